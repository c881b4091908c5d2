// What a user can change, shared by the CLI and the review page. Each change is written to the
// database and then flows through the same jobs: "plan again".
import { DateTime } from 'luxon';
import type { App } from '../app.ts';
import type { NeutralEvent } from '../../integrations/provider.ts';
import { ingestSyncPage } from './ingest-events.ts';
import { requestChatPlan, requestContactPlan } from './request-plan.ts';
import { isValidZone } from '../pipeline/time-zones.ts';

/** Include or exclude an event (by event id or chat id); the detector's decision is redone. */
export async function overrideEvent(app: App, id: string, override: 'include' | 'exclude' | null) {
  const chat = await app.prisma.chat.findUnique({ where: { id } });
  const eventId = chat?.eventId ?? id;
  const event = await app.prisma.event.findUnique({
    where: { id: eventId },
    include: { calendar: { include: { account: { include: { user: true } } } } },
  });
  if (!event) throw new Error(`no event or chat with id ${id} (see: coffee-chat status)`);
  await app.prisma.event.update({ where: { id: event.id }, data: { override } });
  const result = await ingestSyncPage(app, event.calendar.account, event.calendar, {
    changed: [event.payload as unknown as NeutralEvent],
    removed: [],
    cursor: event.calendar.syncCursor ?? '',
    full: false,
    calls: 0,
  });
  for (const c of result.changedChatIds) await requestChatPlan(app, c);
  const after = await app.prisma.event.findUniqueOrThrow({ where: { id: event.id } });
  return { eventId: event.id, title: after.title, isChat: after.isChat, reasons: after.reasons };
}

/** The one piece of advice the thank-you should cite. */
export async function setChatNote(app: App, chatId: string, note: string) {
  const text = note.trim();
  if (!text) throw new Error('the note is empty');
  const chat = await app.prisma.chat
    .update({ where: { id: chatId }, data: { note: text } })
    .catch(() => null);
  if (!chat) throw new Error(`no chat with id ${chatId} (see: coffee-chat chats)`);
  await requestChatPlan(app, chatId);
  return chat;
}

/**
 * The contact with this address: of `userId` when given, else the only user who has it. An
 * address several users share needs the user named (one line listing them).
 */
async function contactByEmail(app: App, email: string, userId?: string) {
  const contacts = await app.prisma.contact.findMany({
    where: { email: email.trim().toLowerCase(), ...(userId ? { userId } : {}) },
    include: { user: { select: { id: true, name: true } } },
    orderBy: { createdAt: 'asc' },
  });
  if (contacts.length === 0)
    throw new Error(`no contact ${email}${userId ? ` for user ${userId}` : ''} (see: coffee-chat contacts)`);
  if (contacts.length > 1) {
    const who = contacts.map((c) => `${c.user.id} (${c.user.name})`).join(', ');
    throw new Error(`${email} is a contact of several users: ${who}; say which with --user USER`);
  }
  return contacts;
}

async function replanContact(app: App, contactId: string) {
  const chats = await app.prisma.chat.findMany({
    where: { contactId, status: { not: 'cancelled' } },
    select: { id: true },
  });
  for (const c of chats) await requestChatPlan(app, c.id);
  await requestContactPlan(app, contactId);
}

export async function setContactTimeZone(app: App, email: string, zone: string, userId?: string) {
  if (!isValidZone(zone)) throw new Error(`"${zone}" is not an IANA time zone (for example Asia/Tokyo)`);
  const contacts = await contactByEmail(app, email, userId);
  for (const c of contacts) {
    await app.prisma.contact.update({
      where: { id: c.id },
      data: { timeZone: zone, timeZoneSource: 'user' },
    });
    await replanContact(app, c.id);
  }
  return contacts.length;
}

/** Do-not-contact: nothing more is drafted to them; scheduled drafts are dropped. */
export async function stopContact(app: App, email: string, userId?: string) {
  const contacts = await contactByEmail(app, email, userId);
  for (const c of contacts) {
    await app.prisma.contact.update({ where: { id: c.id }, data: { doNotContact: true } });
    await app.prisma.checkInPlan.updateMany({
      where: { contactId: c.id },
      data: { status: 'stopped', stopReason: 'do not contact' },
    });
    await replanContact(app, c.id);
  }
  return contacts.length;
}

export async function resumeContact(app: App, email: string, userId?: string) {
  const contacts = await contactByEmail(app, email, userId);
  for (const c of contacts) {
    await app.prisma.contact.update({ where: { id: c.id }, data: { doNotContact: false } });
    await app.prisma.checkInPlan.updateMany({
      where: { contactId: c.id },
      data: { status: 'active', stopReason: null, unansweredCount: 0, consecutiveDiscards: 0 },
    });
    await replanContact(app, c.id);
  }
  return contacts.length;
}

export async function snoozeContact(app: App, email: string, until: Date, userId?: string) {
  if (!DateTime.fromJSDate(until).isValid) throw new Error('invalid snooze date');
  const contacts = await contactByEmail(app, email, userId);
  for (const c of contacts) {
    await app.prisma.checkInPlan.updateMany({ where: { contactId: c.id }, data: { snoozedUntil: until } });
    await requestContactPlan(app, c.id);
  }
  return contacts.length;
}
