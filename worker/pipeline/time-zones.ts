// Which zone an event and a contact live in, and how a time reads on both sides.
// Every conversion goes through luxon's IANA data (DST included); never a fixed offset.
import { DateTime, IANAZone } from 'luxon';
import type { EventTime } from '../../integrations/provider.ts';

export type ContactZoneSource = 'user' | 'organizer' | 'event';

export function isValidZone(zone: string | null | undefined): zone is string {
  return typeof zone === 'string' && zone.trim() !== '' && IANAZone.isValidZone(zone.trim());
}

/**
 * The zone an event was scheduled in: its own zone, else (floating times and all-day dates)
 * the calendar's, else the user's. Invalid names fall through to the next candidate.
 */
export function eventZone(start: EventTime, calendarZone: string | null | undefined, userZone: string): string {
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
export function resolveContactZone(input: ContactZoneInput): { zone: string | null; source: ContactZoneSource | null } {
  if (isValidZone(input.contactSetting)) return { zone: input.contactSetting.trim(), source: 'user' };
  if (input.contactIsOrganizer && isValidZone(input.organizerZone)) return { zone: input.organizerZone.trim(), source: 'organizer' };
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
export function formatBothZones(instant: Date, userZone: string, contactZone: string | null, contactLabel?: string | null): string {
  const user = DateTime.fromJSDate(instant, { zone: safeZone(userZone) }).setLocale('en-US');
  const mine = `${user.toFormat('ccc, LLL d, h:mm a')} your time (${zoneAbbreviation(user)})`;
  if (!isValidZone(contactZone)) return mine;
  const theirs = DateTime.fromJSDate(instant, { zone: contactZone.trim() }).setLocale('en-US');
  if (theirs.offset === user.offset) return mine;
  const label = contactLabel?.trim() || zoneCity(contactZone);
  return `${mine} / ${theirs.toFormat('ccc, LLL d, h:mm a')} ${label} time (${zoneAbbreviation(theirs)})`;
}

/** "9:55 AM" in a zone (falls back to UTC for an invalid zone). */
export function formatClock(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(zone) }).setLocale('en-US').toFormat('h:mm a');
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
