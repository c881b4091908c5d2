// Can a neutral event be taken in at all? An event whose time does not parse, that ends before it
// starts, or that names someone by something other than one plain mail address is skipped at
// ingest with this reason (shown in `status` and on the review page's ignored list) instead of
// failing its whole sync page every time. Pure.
import type { EventTime, NeutralEvent } from '../../integrations/provider.ts';
import { isMailAddress } from './mail-address.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/**
 * The instants an event may have: years 1 to 9999 (UTC). Outside them a date has no ISO form of four
 * digits and Postgres refuses it ("date/time field value out of range"); an event at 1 January of
 * year 1 in New York is in year 0 in UTC (the zone's local mean time, -4:56:02), which once failed a
 * whole sync page every time.
 */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
// A few weeks short of the end of 9999: a thank-you or check-in due after the chat stays in range.
const LATEST = Date.parse('9999-12-01T00:00:00.000Z');

/** The instant (ms) of a point in calendar time, or null when it does not parse. */
export function eventInstant(t: EventTime): number | null {
  if (t.kind === 'allDay') {
    if (!DATE.test(t.date)) return null;
    const ms = Date.parse(`${t.date}T00:00:00Z`);
    return Number.isNaN(ms) || ms < EARLIEST || new Date(ms).toISOString().slice(0, 10) !== t.date
      ? null
      : ms;
  }
  if (!t.utc) return null;
  const ms = Date.parse(t.utc);
  return Number.isNaN(ms) || ms < EARLIEST || ms > LATEST ? null : ms;
}

const shown = (t: EventTime) => JSON.stringify(t.kind === 'allDay' ? t.date : t.utc);

/** Why the event cannot be taken in (`ignored: unreadable: ...`), or null when it can. */
export function unreadableReason(ev: NeutralEvent): string | null {
  const why = (s: string) => `ignored: unreadable: ${s}`;
  const start = eventInstant(ev.start);
  if (start === null) return why(`start time ${shown(ev.start)} is not a time`);
  const end = eventInstant(ev.end);
  if (end === null) return why(`end time ${shown(ev.end)} is not a time`);
  if (end < start) return why(`ends (${shown(ev.end)}) before it starts (${shown(ev.start)})`);
  // Rooms and equipment never become a contact; people and the organizer might.
  const people = [...ev.attendees.filter((a) => !a.resource).map((a) => a.email), ev.organizer?.email];
  for (const email of people) {
    if (email !== undefined && !isMailAddress(email))
      return why(`${JSON.stringify(email)} is not one mail address`);
  }
  return null;
}
