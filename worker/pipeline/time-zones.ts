// Which zone an event and a contact live in, and how a time reads on both sides.
// Every conversion goes through luxon's IANA data (DST included); never a fixed offset.
import { DateTime, IANAZone } from 'luxon';
import type { EventTime } from '../../integrations/provider.ts';

export type ContactZoneSource = 'user' | 'organizer' | 'event';

/**
 * Luxon answers `isValidZone` by building an `Intl.DateTimeFormat` each time (no cache): called
 * several times per event, it was 2.6 % of a worker's CPU in the bench's first full sync. The
 * answer for a name never changes within a process, so it is kept; names come from outside (an
 * invite can carry anything), so at most this many are kept and the rest are asked each time.
 */
const ZONE_ANSWERS_MAX = 2_000;
const zoneAnswers = new Map<string, boolean>();

export function isValidZone(zone: string | null | undefined): zone is string {
  if (typeof zone !== 'string') return false;
  const name = zone.trim();
  if (name === '') return false;
  let ok = zoneAnswers.get(name);
  if (ok === undefined) {
    ok = IANAZone.isValidZone(name);
    if (zoneAnswers.size < ZONE_ANSWERS_MAX) zoneAnswers.set(name, ok);
  }
  return ok;
}

/**
 * The zone an event was scheduled in: its own zone, else (floating times and all-day dates)
 * the calendar's, else the user's. Invalid names fall through to the next candidate.
 */
export function eventZone(
  start: EventTime,
  calendarZone: string | null | undefined,
  userZone: string,
): string {
  if (start.kind === 'timed' && isValidZone(start.timeZone)) return start.timeZone.trim();
  if (isValidZone(calendarZone)) return calendarZone.trim();
  return isValidZone(userZone) ? userZone.trim() : 'UTC';
}

export interface ContactZoneInput {
  /** Set by the user (`contacts set ADDR --time-zone ...`). */
  contactSetting?: string | null;
  contactIsOrganizer: boolean;
  organizerZone?: string | null;
  eventZone?: string | null;
  userZone: string;
}

/**
 * The contact's zone, in order of trust: what the user set; the organizer's zone when the
 * contact organized; the event's zone when it differs from the user's (people tend to
 * schedule in the other side's zone); else unknown.
 */
export function resolveContactZone(input: ContactZoneInput): {
  zone: string | null;
  source: ContactZoneSource | null;
} {
  if (isValidZone(input.contactSetting)) return { zone: input.contactSetting.trim(), source: 'user' };
  if (input.contactIsOrganizer && isValidZone(input.organizerZone))
    return { zone: input.organizerZone.trim(), source: 'organizer' };
  if (isValidZone(input.eventZone) && !sameZoneName(input.eventZone, input.userZone)) {
    return { zone: input.eventZone.trim(), source: 'event' };
  }
  return { zone: null, source: null };
}

/**
 * "Tue, Mar 10, 9:00 AM your time (PDT) / Wed, Mar 11, 1:00 AM Tokyo time (JST)".
 * One side only when the contact's zone is unknown, invalid, or shows the same wall time.
 * `contactLabel` replaces the city taken from the zone name ("Ana's" gives "Ana's time").
 */
export function formatBothZones(
  instant: Date,
  userZone: string,
  contactZone: string | null,
  contactLabel?: string | null,
): string {
  const user = DateTime.fromJSDate(instant, { zone: safeZone(userZone) }).setLocale('en-US');
  const mine = `${user.toFormat('ccc, LLL d, h:mm a')} your time (${zoneAbbreviation(user)})`;
  if (!isValidZone(contactZone)) return mine;
  const theirs = DateTime.fromJSDate(instant, { zone: contactZone.trim() }).setLocale('en-US');
  if (theirs.offset === user.offset) return mine;
  const label = contactLabel?.trim() || zoneCity(contactZone);
  return `${mine} / ${theirs.toFormat('ccc, LLL d, h:mm a')} ${label} time (${zoneAbbreviation(theirs)})`;
}

/**
 * A time as the contact reads it, in anything addressed to them: their side first, called
 * "your time"; the sender's side after it, named as the sender's. Each side names its own day,
 * so a chat across midnight reads right on both:
 *   "Tuesday, Dec 1, 9:00 AM your time (JST) / Monday, Nov 30, 7:00 PM for me in New York (EST)"
 *   "Tuesday, Mar 10, 4:00 PM your time (GMT) / 9:00 AM for me in Los Angeles (PDT)"
 * When both read the same clock: "Tuesday, Mar 10, 9:00 AM your time and mine (PDT)".
 * When the contact's zone is unknown (or invalid) nothing is called theirs: the sender's time
 * with its zone, and a plain word that we don't know theirs.
 * (The user's own side, for the prep block and the review page, is formatBothZones.)
 */
export function formatForContact(instant: Date, senderZone: string, contactZone: string | null): string {
  const sender = DateTime.fromJSDate(instant, { zone: safeZone(senderZone) }).setLocale('en-US');
  const mine = `${senderPlace(senderZone)} (${zoneAbbreviation(sender)})`;
  if (!isValidZone(contactZone)) {
    return `${sender.toFormat(DAY_AND_CLOCK)} my time${mine}. I don't know which time zone you're in, so please check this against your calendar.`;
  }
  const reader = DateTime.fromJSDate(instant, { zone: contactZone.trim() }).setLocale('en-US');
  const theirs = `${reader.toFormat(DAY_AND_CLOCK)} your time`;
  if (reader.offset === sender.offset) return `${theirs} and mine (${zoneAbbreviation(reader)})`;
  const senderSide = sender.toFormat(reader.toISODate() === sender.toISODate() ? CLOCK : DAY_AND_CLOCK);
  return `${theirs} (${zoneAbbreviation(reader)}) / ${senderSide} for me${mine}`;
}

/**
 * The chat's day for a subject addressed to the contact: their day ("Tuesday, Dec 1"); when
 * their zone is unknown, the sender's day, saying whose it is ("Monday, Nov 30 (New York time)").
 */
export function dayForContact(instant: Date, senderZone: string, contactZone: string | null): string {
  if (isValidZone(contactZone))
    return DateTime.fromJSDate(instant, { zone: contactZone.trim() }).setLocale('en-US').toFormat(DAY);
  const sender = DateTime.fromJSDate(instant, { zone: safeZone(senderZone) }).setLocale('en-US');
  const city = cityOf(safeZone(senderZone));
  return `${sender.toFormat(DAY)} (${city ? `${city} time` : zoneAbbreviation(sender)})`;
}

/** "March": the month of an instant on the calendar of `zone` (the reader's, where known). */
export function monthIn(instant: Date, zone: string | null | undefined): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(zone) })
    .setLocale('en-US')
    .toFormat('LLLL');
}

const DAY = 'cccc, LLL d';
const CLOCK = 'h:mm a';
const DAY_AND_CLOCK = `${DAY}, ${CLOCK}`;

/** " in New York", or nothing for UTC and Etc/ zones (which are not a place). */
function senderPlace(zone: string): string {
  const city = cityOf(safeZone(zone));
  return city ? ` in ${city}` : '';
}

function cityOf(zone: string): string | null {
  return /^(Etc\/|UTC$|GMT$|UCT$|Universal$|Zulu$)/.test(zone) ? null : zoneCity(zone);
}

/** "9:55 AM" in a zone (falls back to UTC for an invalid zone). */
export function formatClock(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(zone) })
    .setLocale('en-US')
    .toFormat('h:mm a');
}

/** "Tokyo" from Asia/Tokyo, "Buenos Aires" from America/Argentina/Buenos_Aires. */
export function zoneCity(zone: string): string {
  const name = zone.trim();
  // POSIX-style Etc/GMT+3 means UTC-3: the sign is inverted.
  const etc = /^Etc\/GMT([+-])(\d{1,2})$/.exec(name);
  if (etc) return `UTC${etc[1] === '+' ? '-' : '+'}${etc[2]}`;
  return (name.split('/').pop() ?? name).replace(/_/g, ' ');
}

/** A zone's valid name, or UTC: a bad stored name must never crash a render. */
export function safeZone(zone: string | null | undefined): string {
  return isValidZone(zone) ? zone.trim() : 'UTC';
}

// CLDR gives letter abbreviations per locale only where they are in common use there
// (PDT in en-US, BST in en-GB, AEST in en-AU, JST in ja), else "GMT+9". Ask the locales
// where the usual abbreviations live and keep the first real one; the GMT offset is the
// honest fallback.
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-SG', 'ja-JP'];

function zoneAbbreviation(dt: DateTime): string {
  for (const locale of ABBREVIATION_LOCALES) {
    const name = dt.setLocale(locale).offsetNameShort;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  return dt.setLocale('en-US').offsetNameShort ?? dt.toFormat('ZZ');
}

function sameZoneName(a: string, b: string): boolean {
  return canonicalZone(a) === canonicalZone(b);
}

function canonicalZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    return zone.trim();
  }
}
