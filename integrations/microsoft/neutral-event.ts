// Graph event resource -> NeutralEvent (beside Google's neutral-event.ts).
// Event fields: https://learn.microsoft.com/en-us/graph/api/resources/event
// Occurrences from calendarView/delta may come thin: missing content is taken from the series
// master. Times come in UTC (we ask for it) and are mapped with originalStartTimeZone.
import { DateTime } from 'luxon';
import type { EventTime, NeutralAttendee, NeutralEvent, ResponseStatus } from '../provider.ts';
import { htmlToText } from '../html-text.ts';
import { MARKER_NAME } from './markers.ts';
import { windowsToIana } from './time-zones.ts';
import { iCalUidOfGraph } from './ical-uid.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Our transactionId prefix: Graph de-duplicates retried creates by it and returns it on the event. */
export const TX_PREFIX = 'coffee-chat:';

const RESPONSE: Record<string, ResponseStatus> = {
  accepted: 'accepted',
  organizer: 'accepted',
  declined: 'declined',
  tentativelyAccepted: 'tentative',
  none: 'needsAction',
  notResponded: 'needsAction',
};

const FREQUENCY: Record<string, string> = {
  daily: 'DAILY',
  weekly: 'WEEKLY',
  absoluteMonthly: 'MONTHLY',
  relativeMonthly: 'MONTHLY',
  absoluteYearly: 'YEARLY',
  relativeYearly: 'YEARLY',
};

/** Graph dateTimeTimeZone -> UTC ISO. We ask for UTC, but honour any zone Graph answers with. */
function toUtc(v: { dateTime?: string; timeZone?: string } | undefined): string | null {
  if (!v?.dateTime) return null;
  const zone = windowsToIana(v.timeZone ?? 'UTC') ?? 'UTC';
  const dt = DateTime.fromISO(v.dateTime.replace(/(\.\d{3})\d+$/, '$1'), { zone });
  return dt.isValid ? dt.toUTC().toISO({ suppressMilliseconds: true }) : null;
}

/** A Graph dateTimeTimeZone as epoch milliseconds, or null. */
export function utcMillis(v: { dateTime?: string; timeZone?: string } | undefined): number | null {
  const utc = toUtc(v);
  return utc ? Date.parse(utc) : null;
}

/**
 * Every address of the mailbox, lower-cased: `mail`, `userPrincipalName` and the SMTP entries of
 * `proxyAddresses` ("SMTP:primary@x" / "smtp:alias@x"; other types such as "SIP:" or "X500:" are not
 * mail addresses). https://learn.microsoft.com/en-us/graph/api/resources/user
 */
export function addressesOf(
  me: { mail?: unknown; userPrincipalName?: unknown; proxyAddresses?: unknown },
  accountEmail: string,
): string[] {
  const out = new Set<string>([accountEmail.toLowerCase()]);
  for (const v of [me.mail, me.userPrincipalName]) if (typeof v === 'string' && v) out.add(v.toLowerCase());
  for (const p of Array.isArray(me.proxyAddresses) ? me.proxyAddresses : []) {
    const m = /^smtp:(.+)$/i.exec(String(p));
    if (m) out.add(m[1]!.trim().toLowerCase());
  }
  return [...out];
}

function eventTime(v: Json | undefined, allDay: boolean, zone: string | null): EventTime {
  if (allDay) return { kind: 'allDay', date: String(v?.dateTime ?? '').slice(0, 10) };
  // An unreadable time is handed on empty: ingest skips that one event with the reason
  // (worker/pipeline/event-check.ts) rather than this failing the whole sync page every time.
  return { kind: 'timed', utc: toUtc(v) ?? '', timeZone: zone };
}

export function toNeutralEvent(
  ev: Json,
  calendarId: string,
  master: Json | null,
  selfAddresses: string[],
): NeutralEvent {
  const mine = new Set(selfAddresses.map((a) => a.toLowerCase()));
  const isMe = (address: string) => mine.has(address.trim().toLowerCase());
  // Occurrences come from delta as stubs (id, type, seriesMasterId, start, end): everything else,
  // the user's response, cancellation, all-day flag and zone included, is the series master's.
  const src = (k: string) => (ev[k] !== undefined && ev[k] !== null ? ev[k] : master?.[k]);
  const organizerAddr: string | undefined = src('organizer')?.emailAddress?.address;
  const zone = windowsToIana(src('originalStartTimeZone'));
  const allDay = src('isAllDay') === true;
  const ownResponse: ResponseStatus = RESPONSE[src('responseStatus')?.response ?? 'none'] ?? 'unknown';
  const attendees: NeutralAttendee[] = ((src('attendees') as Json[] | undefined) ?? []).map((a) => {
    const email = String(a.emailAddress?.address ?? '');
    const self = isMe(email);
    return {
      email,
      ...(a.emailAddress?.name ? { name: String(a.emailAddress.name) } : {}),
      self,
      organizer: !!organizerAddr && email.toLowerCase() === organizerAddr.toLowerCase(),
      resource: a.type === 'resource',
      optional: a.type === 'optional',
      // The user's own answer is responseStatus; others' are in their status.
      response: self ? ownResponse : (RESPONSE[a.status?.response ?? 'none'] ?? 'unknown'),
    };
  });
  const markers: Record<string, string> = {};
  for (const p of (ev.singleValueExtendedProperties as Json[] | undefined) ?? []) {
    const name = /Name (.+)$/.exec(String(p.id))?.[1];
    if (name) markers[name] = String(p.value);
  }
  if (typeof ev.transactionId === 'string' && ev.transactionId.startsWith(TX_PREFIX)) {
    markers[MARKER_NAME] ??= ev.transactionId.slice(TX_PREFIX.length);
  }
  const body = src('body') as Json | undefined;
  const pattern = (master?.recurrence ?? ev.recurrence)?.pattern?.type as string | undefined;
  const location = src('location')?.displayName as string | undefined;
  const conferenceUrl = (src('onlineMeeting')?.joinUrl ?? ev.onlineMeetingUrl) as string | undefined;
  return {
    providerEventId: String(ev.id),
    ...(ev.iCalUId ? { iCalUid: iCalUidOfGraph(String(ev.iCalUId)) } : {}),
    calendarId,
    status: src('isCancelled') === true ? 'cancelled' : 'confirmed',
    title: String(src('subject') ?? ''),
    description: body
      ? body.contentType === 'html'
        ? htmlToText(String(body.content ?? ''))
        : String(body.content ?? '')
      : String(ev.bodyPreview ?? ''),
    start: eventTime(ev.start, allDay, zone),
    end: eventTime(ev.end, allDay, zone),
    ...(organizerAddr
      ? {
          organizer: {
            email: organizerAddr,
            ...(src('organizer')?.emailAddress?.name
              ? { name: String(src('organizer').emailAddress.name) }
              : {}),
            self: isMe(organizerAddr) || src('isOrganizer') === true,
          },
        }
      : {}),
    attendees,
    ...(ev.seriesMasterId ? { recurringEventId: String(ev.seriesMasterId) } : {}),
    ...(pattern && FREQUENCY[pattern] ? { recurrenceFrequency: FREQUENCY[pattern] } : {}),
    ...(conferenceUrl ? { conferenceUrl } : {}),
    ...(location ? { location } : {}),
    markers,
    ...(ev.lastModifiedDateTime ? { updatedAt: String(ev.lastModifiedDateTime) } : {}),
    ...(ev.webLink ? { webLink: String(ev.webLink) } : {}),
  };
}
