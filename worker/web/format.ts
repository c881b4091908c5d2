// How times read on the page: both parties' zones for chats, the user's zone with a relative
// hint ("in 3 hours") for everything else. All through luxon's IANA data.
import { DateTime } from 'luxon';
import { formatBothZones, safeZone } from '../pipeline/time-zones.ts';

export { formatBothZones };

export function inZone(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(zone) })
    .setLocale('en-US')
    .toFormat('ccc, LLL d, h:mm a ZZZZ');
}

export function relative(instant: Date, now: Date): string {
  const diff = instant.getTime() - now.getTime();
  if (Math.abs(diff) < 60_000) return 'now';
  return (
    DateTime.fromJSDate(instant)
      .setLocale('en-US')
      .toRelative({ base: DateTime.fromJSDate(now) }) ?? ''
  );
}

export function minutesBetween(startIso: string, endIso: string): number {
  return Math.round((Date.parse(endIso) - Date.parse(startIso)) / 60_000);
}

/** A date-only value (all-day events) as "Tue, Nov 24". */
export function dateOnly(isoDate: string): string {
  const d = DateTime.fromISO(isoDate, { zone: 'UTC' });
  return d.isValid ? d.setLocale('en-US').toFormat('ccc, LLL d') : isoDate;
}

/** "2026-12-01" in a zone (the snooze form's min and value). */
export function isoDay(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(zone) }).toISODate() ?? '';
}

export const KIND_LABEL: Record<string, string> = {
  thank_you: 'Thank-you',
  check_in: 'Check-in',
  prep: 'Prep block',
  confirmation: 'Confirmation',
  outreach: 'Outreach',
  propose_times: 'Times offered',
  intro_request: 'Introduction request',
  follow_up: 'Follow-up',
};
