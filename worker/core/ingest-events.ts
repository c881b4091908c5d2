// Turns one sync page of neutral events into database state: every event with the detector's
// decision (so status can explain it), and for chats the contact and the chat row. Returns the
// chats whose plan must be recomputed. No provider calls here.
import type { App } from '../app.ts';
import type { Account, Calendar, Prisma } from '../db/generated/client.ts';

/** What ingest reads of the calendar a page came from. */
export type IngestCalendar = Pick<Calendar, 'id' | 'timeZone'>;
import type { NeutralEvent, SyncPage, SyncWindow } from '../../integrations/provider.ts';
import { extractNoteFromDescription } from '../pipeline/thank-you-note.ts';
import { detectChat, DEFAULT_CHAT_KEYWORDS } from '../pipeline/detect-chat.ts';
import { eventZone, resolveContactZone } from '../pipeline/time-zones.ts';
import { eventInstant, unreadableReason } from '../pipeline/event-check.ts';
import { cleanDisplayName } from '../pipeline/mail-address.ts';

const DAY_MS = 86_400_000;

export interface IngestResult {
  events: number;
  chats: number;
  changedChatIds: string[];
}

export async function ingestSyncPage(
  app: App,
  /** Without its user, the user is read when the page has events to take in (the user's zone). */
  given: Account & { user?: { id: string; timeZone: string } },
  calendar: IngestCalendar,
  page: SyncPage,
): Promise<IngestResult> {
  const account =
    given.user || page.changed.length === 0
      ? (given as Account & { user: { id: string; timeZone: string } })
      : {
          ...given,
          user: await app.prisma.user.findUniqueOrThrow({
            where: { id: given.userId },
            select: { id: true, timeZone: true },
          }),
        };
  const now = app.now();
  const changed = new Set<string>();
  let chats = 0;
  const keywords = app.config.CHAT_KEYWORDS ?? DEFAULT_CHAT_KEYWORDS;

  for (const ev of page.changed) {
    // One event that cannot be taken in is skipped with its reason, never the page: the cursor
    // moves on and the rest of the calendar stays in sync.
    const unreadable = unreadableReason(ev);
    if (unreadable) {
      await skipEvent(app, calendar, ev, unreadable, changed);
      continue;
    }
    try {
      chats += await ingestEvent(app, account, calendar, ev, keywords, now, changed);
    } catch (err) {
      if (!eventAtFault(err)) throw err;
      const message = (err instanceof Error ? err.message : String(err)).trim().split('\n').pop() ?? '';
      app.log.warn({ event: ev.providerEventId, err: message }, 'event skipped: it could not be stored');
      // If even the skip cannot be written, the database is at fault: the page fails and retries.
      await skipEvent(app, calendar, ev, `ignored: unreadable: ${message.slice(0, 200)}`, changed).catch(
        () => {
          throw err;
        },
      );
    }
  }

  // Removed (or, for Graph, out of the round's window): only a stored event whose start lies in
  // that window is gone; one outside it (a past chat the window slid past, then edited) stays.
  const inWindow = (start: Date | null, w: SyncWindow | undefined) =>
    !w || !start || (start.getTime() >= w.from.getTime() && start.getTime() < w.to.getTime());
  const gone = async (ev: { id: string; chat: { id: string; status: string } | null }) => {
    await app.prisma.event.update({
      where: { id: ev.id },
      data: { cancelled: true, isChat: false, reasons: ['ignored: cancelled'] },
    });
    if (ev.chat && ev.chat.status !== 'cancelled') {
      await cancelChat(app, ev.chat.id);
      changed.add(ev.chat.id);
    }
  };
  for (const providerEventId of page.removed) {
    const ev = await app.prisma.event.findUnique({
      where: { calendarId_providerEventId: { calendarId: calendar.id, providerEventId } },
      include: { chat: true },
    });
    if (!ev || !inWindow(ev.startUtc, page.window)) continue;
    await gone(ev);
  }

  // A full round lists what exists now: a stored event of its window that did not come back was
  // deleted while no cursor was held.
  if (page.fullWindow) {
    const seen = new Set([...page.changed.map((e) => e.providerEventId), ...page.removed]);
    const stored = await app.prisma.event.findMany({
      where: {
        calendarId: calendar.id,
        cancelled: false,
        startUtc: { gte: page.fullWindow.from, lt: page.fullWindow.to },
      },
      select: { id: true, providerEventId: true, chat: { select: { id: true, status: true } } },
    });
    for (const ev of stored) if (!seen.has(ev.providerEventId)) await gone(ev);
  }

  // Before the cursor moves on (the caller saves it after this): a chat that changed wants a
  // plan, and Postgres says so even if the plan job never reaches Redis or Redis loses it.
  // Written at the time of writing (not the page's start), after the chats it marks. A cancel
  // writes its mark with the cancel itself: a second read of this page would not see it change.
  if (changed.size > 0)
    await app.prisma.chat.updateMany({
      where: { id: { in: [...changed] } },
      data: { planWantedAt: app.now() },
    });
  return { events: page.changed.length, chats, changedChatIds: [...changed] };
}

/** Takes in one readable event: its row with the detector's decision, and its chat. Returns 1 for a chat. */
async function ingestEvent(
  app: App,
  account: Account & { user: { id: string; timeZone: string } },
  calendar: IngestCalendar,
  ev: NeutralEvent,
  keywords: readonly string[],
  now: Date,
  changed: Set<string>,
): Promise<number> {
  const existing = await app.prisma.event.findUnique({
    where: { calendarId_providerEventId: { calendarId: calendar.id, providerEventId: ev.providerEventId } },
    include: { chat: true },
  });
  const override = (existing?.override as 'include' | 'exclude' | null | undefined) ?? null;
  const decision = detectChat(ev, {
    selfEmails: [account.email],
    keywords,
    override,
    seriesIsWeeklyOneOnOne: ev.recurringEventId !== undefined && ev.recurrenceFrequency === 'WEEKLY',
  });
  const times = eventTimes(ev, calendar.timeZone ?? account.user.timeZone);
  const row = {
    iCalUid: ev.iCalUid ?? null,
    title: ev.title,
    startUtc: times.start,
    endUtc: times.end,
    timeZone: times.zone,
    allDay: ev.start.kind === 'allDay',
    cancelled: ev.status === 'cancelled',
    payload: ev as unknown as Prisma.InputJsonValue,
    notes: extractNoteFromDescription(ev.description),
    isChat: decision.isChat,
    reasons: decision.reasons,
  };
  const eventRow = await app.prisma.event.upsert({
    where: { calendarId_providerEventId: { calendarId: calendar.id, providerEventId: ev.providerEventId } },
    create: { calendarId: calendar.id, providerEventId: ev.providerEventId, ...row },
    update: row,
  });

  if (decision.isChat && decision.contact && times.start && times.end) {
    // The same meeting on another connected account of the user (one invite to two addresses):
    // one chat, so one thank-you. The first account to take it in keeps it.
    const meeting = ev.iCalUid
      ? { iCalUid: ev.iCalUid, start: ev.recurringEventId ? times.start : null }
      : null;
    if (!existing?.chat && meeting) {
      const twin = await sameMeetingChats(app, account.userId, meeting);
      if (twin.length > 0) return sameMeetingSkip(app, eventRow.id, twin[0]!);
    }
    const timed = { start: times.start, end: times.end, zone: times.zone };
    const chat = await upsertChat(app, account, eventRow.id, ev, decision, timed, now);
    if (chat.created && meeting) {
      // Two accounts syncing at once may both have created one: every creator looks again after
      // its insert, and all but the oldest back out (nothing is planned for them yet).
      const first = (await sameMeetingChats(app, account.userId, meeting))[0];
      if (first && first.id !== chat.id) {
        await app.prisma.chat.delete({ where: { id: chat.id } });
        return sameMeetingSkip(app, eventRow.id, first);
      }
    }
    changed.add(chat.id);
    return 1;
  } else if (existing?.chat && existing.chat.status !== 'cancelled' && decision.endsChat) {
    // Was a chat; now cancelled, declined or excluded.
    await cancelChat(app, existing.chat.id);
    changed.add(existing.chat.id);
  } else if (existing?.chat && existing.chat.status !== 'cancelled') {
    // Was a chat and no longer looks like one (it grew past an hour, a guest was added): not a
    // cancel. It keeps its new times; plan-chat plans nothing new for it (core/chat-waiting.ts).
    if (times.start && times.end)
      await app.prisma.chat.update({
        where: { id: existing.chat.id },
        data: { startUtc: times.start, endUtc: times.end },
      });
    changed.add(existing.chat.id);
  }
  return 0;
}

/** The user's live chats for one meeting (iCalendar UID; for an occurrence of a series, its start), oldest first. */
async function sameMeetingChats(
  app: App,
  userId: string,
  meeting: { iCalUid: string; start: Date | null },
): Promise<{ id: string; account: { email: string } }[]> {
  return app.prisma.chat.findMany({
    where: {
      userId,
      iCalUid: meeting.iCalUid,
      status: { not: 'cancelled' },
      ...(meeting.start ? { startUtc: meeting.start } : {}),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, account: { select: { email: true } } },
  });
}

/** The event is a meeting already a chat on another account: stored, not a second chat. */
async function sameMeetingSkip(
  app: App,
  eventId: string,
  twin: { account: { email: string } },
): Promise<number> {
  await app.prisma.event.update({
    where: { id: eventId },
    data: {
      isChat: false,
      reasons: [`ignored: the same meeting is your chat on ${twin.account.email} (same iCalUID)`],
    },
  });
  return 0;
}

/**
 * Stores an event that cannot be taken in as ignored, with the reason; a chat it was is dropped
 * (its drafts are retracted by the plan): nothing is ever addressed from an event we cannot read.
 */
async function skipEvent(
  app: App,
  calendar: IngestCalendar,
  ev: NeutralEvent,
  reason: string,
  changed: Set<string>,
): Promise<void> {
  const instant = (t: NeutralEvent['start']) => {
    const ms = eventInstant(t);
    return ms === null ? null : new Date(ms);
  };
  const row = {
    iCalUid: ev.iCalUid ?? null,
    title: String(ev.title ?? '').replace(/\0/g, ''),
    startUtc: instant(ev.start),
    endUtc: instant(ev.end),
    timeZone: null,
    allDay: ev.start?.kind === 'allDay',
    cancelled: ev.status === 'cancelled',
    // What was sent, as far as Postgres can hold it (jsonb refuses \u0000).
    payload: JSON.parse(JSON.stringify(ev).replace(/\\u0000/g, '')) as Prisma.InputJsonValue,
    notes: null,
    isChat: false,
    reasons: [reason],
  };
  const stored = await app.prisma.event.upsert({
    where: { calendarId_providerEventId: { calendarId: calendar.id, providerEventId: ev.providerEventId } },
    create: { calendarId: calendar.id, providerEventId: ev.providerEventId, ...row },
    update: row,
    include: { chat: true },
  });
  if (stored.chat && stored.chat.status !== 'cancelled') {
    await cancelChat(app, stored.chat.id);
    changed.add(stored.chat.id);
  }
}

/**
 * Did storing the event fail because of the event itself (a value Postgres refuses: a NUL byte, a
 * string too long, a number out of range) rather than the database being unreachable, busy or
 * wrong? Only those known data errors skip the event; anything else fails the page, which the job
 * retries, so a passing database fault never drops a chat.
 * Prisma: https://www.prisma.io/docs/orm/reference/error-reference (P2000, P2006, P2007, P2019,
 * P2020, P2023); Postgres class 22, "data exception":
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function eventAtFault(err: unknown): boolean {
  const DATA_ERRORS = new Set(['P2000', 'P2006', 'P2007', 'P2019', 'P2020', 'P2023']);
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as {
      code?: unknown;
      originalCode?: unknown;
      message?: unknown;
      meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } };
    };
    // Through a driver adapter the SQLSTATE may only be in the message ("Database error. Code: `22021`").
    const inMessage = typeof x.message === 'string' ? /Code: `(\w{5})`/.exec(x.message)?.[1] : undefined;
    for (const code of [
      x.code,
      x.originalCode,
      x.meta?.code,
      x.meta?.driverAdapterError?.cause?.originalCode,
      inMessage,
    ])
      if (typeof code === 'string' && (DATA_ERRORS.has(code) || /^22[0-9A-Z]{3}$/.test(code))) return true;
  }
  return false;
}

function eventTimes(
  ev: NeutralEvent,
  fallbackZone: string,
): { start: Date | null; end: Date | null; zone: string | null } {
  if (ev.start.kind !== 'timed' || ev.end.kind !== 'timed') return { start: null, end: null, zone: null };
  return {
    start: new Date(ev.start.utc),
    end: new Date(ev.end.utc),
    zone: eventZone(ev.start, fallbackZone, fallbackZone),
  };
}

async function upsertChat(
  app: App,
  account: Account & { user: { id: string; timeZone: string } },
  eventId: string,
  ev: NeutralEvent,
  decision: ReturnType<typeof detectChat>,
  times: { start: Date; end: Date; zone: string | null },
  now: Date,
): Promise<{ id: string; created: boolean }> {
  const who = decision.contact!;
  const email = who.email.toLowerCase();
  const userZone = account.user.timeZone;
  const chatZone = times.zone ?? userZone;
  const name = cleanDisplayName(who.name);
  const contact = await app.prisma.contact.upsert({
    where: { userId_email: { userId: account.userId, email } },
    create: { userId: account.userId, email, name },
    update: name ? { name } : {},
  });
  if (contact.timeZoneSource !== 'user') {
    const resolved = resolveContactZone({
      contactSetting: null,
      contactIsOrganizer: who.isOrganizer,
      organizerZone: who.isOrganizer ? chatZone : null,
      eventZone: chatZone,
      userZone,
    });
    if (resolved.zone && (resolved.zone !== contact.timeZone || resolved.source !== contact.timeZoneSource)) {
      await app.prisma.contact.update({
        where: { id: contact.id },
        data: { timeZone: resolved.zone, timeZoneSource: resolved.source },
      });
    }
  }

  const ended = times.end.getTime() <= now.getTime();
  const data = {
    eventId,
    iCalUid: ev.iCalUid ?? null,
    contactId: contact.id,
    title: ev.title,
    startUtc: times.start,
    endUtc: times.end,
    timeZone: chatZone,
    detectionReasons: decision.reasons,
    conferenceUrl: ev.conferenceUrl ?? null,
    location: ev.location ?? null,
  };
  const existing = await app.prisma.chat.findUnique({
    where: { accountId_providerEventId: { accountId: account.id, providerEventId: ev.providerEventId } },
  });
  if (existing) {
    const status = ended ? 'done' : 'upcoming';
    await app.prisma.chat.update({ where: { id: existing.id }, data: { ...data, status } });
    return { id: existing.id, created: false };
  }
  const seenLate = times.end.getTime() + DAY_MS < now.getTime();
  const created = await app.prisma.chat.create({
    data: {
      ...data,
      userId: account.userId,
      accountId: account.id,
      providerEventId: ev.providerEventId,
      status: ended ? 'done' : 'upcoming',
      seenLate,
    },
  });
  return { id: created.id, created: true };
}

/**
 * A chat a sync found cancelled, with its plan mark in the same write: a worker killed before the
 * page's marks would leave a cancelled chat that a second read of the page no longer sees change.
 */
async function cancelChat(app: App, chatId: string): Promise<void> {
  await app.prisma.chat.update({
    where: { id: chatId },
    data: { status: 'cancelled', planWantedAt: app.now() },
  });
}
