// Time handling for the Graph sandbox: Graph names zones with Windows names ("Tokyo Standard Time")
// and also accepts IANA names in `Prefer: outlook.timezone`; dateTimes are written without offset,
// with seven fractional digits, next to a separate timeZone field.
// https://learn.microsoft.com/en-us/graph/api/resources/datetimetimezone
// https://learn.microsoft.com/en-us/graph/api/event-get#request-headers (Prefer: outlook.timezone; UTC by default)
import { DateTime, IANAZone } from 'luxon';
import { findIana } from 'windows-iana';

const cache = new Map<string, string | null>();

/** IANA zone for a Windows or IANA zone name; null when unknown. (Memoized: zone checks are costly.) */
export function ianaFor(name: string | undefined | null): string | null {
  if (!name) return null;
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const z = lookup(name);
  cache.set(name, z);
  return z;
}

function lookup(name: string): string | null {
  if (name === 'UTC' || name === 'tzone://Microsoft/Utc' || name === 'Etc/UTC') return 'UTC';
  if (IANAZone.isValidZone(name)) return name;
  for (const z of findIana(name)) if (IANAZone.isValidZone(z)) return z;
  return null;
}

export function isKnownZone(name: string): boolean {
  return ianaFor(name) !== null;
}

/** Graph's wire form of a local date-time: 2026-11-25T10:00:00.0000000 */
export function graphLocal(dt: DateTime): string {
  return `${dt.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.0000000`;
}

export function renderDateTime(utcMs: number, zoneName: string): { dateTime: string; timeZone: string } {
  const zone = ianaFor(zoneName) ?? 'UTC';
  return { dateTime: graphLocal(DateTime.fromMillis(utcMs, { zone })), timeZone: zoneName };
}

/** Parses a Graph dateTimeTimeZone ({dateTime, timeZone}) into an instant (ms). */
export function parseDateTimeTimeZone(
  v: { dateTime?: string; timeZone?: string } | undefined,
): number | null {
  if (!v?.dateTime) return null;
  const zone = ianaFor(v.timeZone ?? 'UTC');
  if (!zone) return null;
  // An explicit offset wins; otherwise the dateTime is local to timeZone.
  const hasOffset = /(Z|[+-]\d{2}:\d{2})$/.test(v.dateTime);
  const dt = hasOffset
    ? DateTime.fromISO(v.dateTime, { setZone: true })
    : DateTime.fromISO(v.dateTime.replace(/(\.\d{3})\d+$/, '$1'), { zone });
  return dt.isValid ? dt.toMillis() : null;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1' + '0000Z');
}
