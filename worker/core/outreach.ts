// Outreach request drafts and chat invites the user asks for. Both end as ordinary pipeline
// input: the outreach draft is a Draft row made by the create-draft job; the invite is an event
// on the user's calendar carrying our marker, which the next sync detects as a chat.
import { createHash } from 'node:crypto';
import { DateTime, Duration } from 'luxon';
import type { App } from '../app.ts';
import type { Account } from '../db/generated/client.ts';
import type { NewEvent } from '../../integrations/provider.ts';
import { scheduleJob } from '../queues/schedule-job.ts';
import { withProvider } from '../provider-policy.ts';
import { formatBothZones, formatForContact, isValidZone } from '../pipeline/time-zones.ts';
import { entryMarker } from './compose-prep.ts';

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export async function pickAccount(app: App, from?: string): Promise<Account> {
  const account = await app.prisma.account.findFirst({
    where: { status: 'active', ...(from ? { email: from.toLowerCase() } : {}) },
    orderBy: { createdAt: 'asc' },
  });
  if (!account)
    throw new Error(
      from
        ? `no active account ${from}`
        : 'no active account: add one first (coffee-chat accounts add --help)',
    );
  return account;
}

export async function requestOutreach(
  app: App,
  input: { to: string; name?: string; why: string; from?: string; intro?: string },
) {
  const why = input.why.trim();
  if (why.length < 10)
    throw new Error('--why must say specifically why this person (a sentence, at least 10 characters)');
  const account = await pickAccount(app, input.from);
  const email = input.to.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`"${input.to}" is not an email address`);
  const contact = await app.prisma.contact.upsert({
    where: { userId_email: { userId: account.userId, email } },
    create: { userId: account.userId, email, name: input.name ?? null },
    update: input.name ? { name: input.name } : {},
  });
  if (contact.doNotContact)
    throw new Error(`${email} is marked do-not-contact (coffee-chat contacts resume ${email} to undo)`);
  const key = `outreach-${contact.id}-${shortHash(why)}`;
  const now = app.now();
  const draft = await app.prisma.draft.upsert({
    where: { idempotencyKey: key },
    create: {
      idempotencyKey: key,
      kind: 'outreach',
      userId: account.userId,
      accountId: account.id,
      contactId: contact.id,
      dueAt: now,
      context: { why, intro: input.intro ?? null },
    },
    update: {},
  });
  if (draft.status === 'scheduled' || draft.status === 'failed') {
    await scheduleJob(app.queues, 'create-draft', { key }, { jobId: key, dueAt: now, now });
  }
  return { key, status: draft.status, account: account.email, contact: email };
}

export function parseDuration(text: string): Duration {
  const m = /^(\d+)\s*(m|min|minutes?|h|hours?)$/i.exec(text.trim());
  const d = m
    ? Duration.fromObject(
        m[2]!.toLowerCase().startsWith('h') ? { hours: Number(m[1]) } : { minutes: Number(m[1]) },
      )
    : Duration.fromISO(text.trim());
  if (!d.isValid || d.toMillis() <= 0) throw new Error(`"${text}" is not a duration (try 20m or PT20M)`);
  return d;
}

/** Creates the chat invite on the user's calendar (conference link where the provider can). */
export async function scheduleChat(
  app: App,
  input: {
    with: string;
    name?: string;
    at: string;
    duration: string;
    title?: string;
    zone?: string;
    from?: string;
  },
) {
  const account = await pickAccount(app, input.from);
  const user = await app.prisma.user.findUniqueOrThrow({ where: { id: account.userId } });
  const userZone = input.zone ?? user.timeZone;
  if (!isValidZone(userZone)) throw new Error(`"${userZone}" is not an IANA time zone`);
  const start = DateTime.fromISO(input.at, { zone: userZone });
  if (!start.isValid) throw new Error(`--at "${input.at}" is not an ISO date-time (e.g. 2026-12-01T09:00)`);
  const duration = parseDuration(input.duration);
  if (duration.as('minutes') > 60) throw new Error('a coffee chat is at most 60 minutes (15–30 is the norm)');
  if (start.toMillis() <= app.now().getTime()) throw new Error('--at is in the past');
  const email = input.with.trim().toLowerCase();
  const contact = await app.prisma.contact.upsert({
    where: { userId_email: { userId: account.userId, email } },
    create: { userId: account.userId, email, name: input.name ?? null },
    update: input.name ? { name: input.name } : {},
  });
  if (contact.doNotContact) throw new Error(`${email} is marked do-not-contact`);
  // The calendar synced as primary; before the first sync, the provider's default calendar (each
  // provider names its own: Graph has no `primary` alias, its default is the isDefaultCalendar one).
  const stored = await app.prisma.calendar.findFirst({ where: { accountId: account.id, primary: true } });
  const end = start.plus(duration);
  const key = `invite-${shortHash(`${account.id}|${email}|${start.toUTC().toISO()}`)}`;
  const who = input.name ?? email;
  // The CLI line is read by the user (their side first); the description by the guest (theirs).
  // --zone only says how to read --at: "your time" / "for me" are the user's own zone.
  const senderZone = isValidZone(user.timeZone) ? user.timeZone : userZone;
  const when = formatBothZones(start.toJSDate(), senderZone, contact.timeZone, null);
  // "A video link is attached" only where one is: the calendar may not offer one (a personal
  // Microsoft account has no Teams), and the provider may create the event without it anyway.
  const description = (withLink: boolean) =>
    [
      `Coffee chat: ${Math.round(duration.as('minutes'))} minutes, for advice. #coffeechat`,
      `When: ${formatForContact(start.toJSDate(), senderZone, contact.timeZone)}`,
      withLink
        ? 'A video link is attached; happy to switch to a call if that is easier.'
        : 'Happy to meet by video or on a call, whichever is easier.',
    ].join('\n');
  const prior = await app.prisma.calendarEntry.findUnique({ where: { idempotencyKey: key } });
  const { created, calendarId, generation } = await withProvider(
    app,
    undefined,
    undefined,
    account,
    async ({ calendar: cal }) => {
      const calendars = await cal.listCalendars();
      const target =
        calendars.find((c) => c.id === stored?.providerCalendarId) ??
        calendars.find((c) => c.primary) ??
        calendars[0];
      if (!target) throw new Error(`${account.email} has no calendar to put the invite on`);
      // Asked before: the same invite, found by its marker. Made before but gone (the user
      // deleted it): made anew under the next generation's marker, as a provider may refuse the
      // deleted one's for good (Graph's transactionId).
      let generation = prior?.generation ?? 0;
      const existing = await cal.findEventByMarker(
        target.id,
        entryMarker({ idempotencyKey: key, generation }),
      );
      if (existing) return { created: existing, calendarId: target.id, generation };
      if (prior?.providerEventId) generation += 1;
      const withConference = target.onlineMeetings !== false;
      const event: NewEvent = {
        title: input.title ?? `Coffee chat: ${user.name.split(' ')[0]} / ${who}`,
        description: description(withConference),
        start: start.toJSDate(),
        end: end.toJSDate(),
        timeZone: userZone,
        attendees: [{ email, name: input.name }],
        withConference,
        showAs: 'busy',
        marker: entryMarker({ idempotencyKey: key, generation }),
      };
      const made = await cal.createEvent(target.id, event);
      if (withConference && !made.conferenceUrl) {
        // Asked for a link, none came back (Graph answers 201 with isOnlineMeeting false where
        // Teams is not allowed): the invite must not promise one.
        await cal.updateEvent(target.id, made.providerEventId, {
          ...event,
          description: description(false),
          withConference: false,
        });
      }
      return { created: made, calendarId: target.id, generation };
    },
  );
  await app.prisma.calendarEntry.upsert({
    where: { idempotencyKey: key },
    create: {
      idempotencyKey: key,
      accountId: account.id,
      kind: 'invite',
      calendarId,
      providerEventId: created.providerEventId,
      startUtc: start.toJSDate(),
      endUtc: end.toJSDate(),
      generation,
    },
    update: { providerEventId: created.providerEventId, calendarId, generation },
  });
  const now = app.now();
  await scheduleJob(
    app.queues,
    'sync-account',
    { accountId: account.id, reason: 'invite' },
    { jobId: `sync-now-${account.id}-${now.getTime()}`, dueAt: now, now },
  );
  return {
    key,
    eventId: created.providerEventId,
    conferenceUrl: created.conferenceUrl ?? null,
    when,
    account: account.email,
  };
}
