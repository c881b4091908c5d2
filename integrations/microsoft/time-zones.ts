// Windows time zone names (Graph's originalStartTimeZone, mailboxSettings.timeZone) <-> IANA.
// Graph reports zones by Windows name ("Tokyo Standard Time") and accepts them when creating events
// (https://learn.microsoft.com/en-us/graph/api/resources/datetimetimezone). The mapping is CLDR's,
// kept by `windows-iana`; its first IANA entry is CLDR's id, which for some zones is a legacy
// alias (Asia/Calcutta), so those are rewritten to the current IANA name when the runtime knows it.
import { IANAZone } from 'luxon';
import { findIana, findWindows } from 'windows-iana';

/** CLDR ids that IANA has since renamed (tzdata "backward" links). */
const CLDR_LEGACY: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'America/Godthab': 'America/Nuuk',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Africa/Asmera': 'Africa/Asmara',
};

const UTC_NAMES = new Set([
  'utc',
  'tzone://microsoft/utc',
  'etc/utc',
  'coordinated universal time',
  'gmt',
  'etc/gmt',
]);

function canonical(zone: string): string {
  const renamed = CLDR_LEGACY[zone];
  return renamed && IANAZone.isValidZone(renamed) ? renamed : zone;
}

/**
 * IANA zone for a Windows zone name (or an IANA name Graph passed through).
 * Returns null for `tzone://Microsoft/Custom` (an event-specific custom zone Graph does not
 * describe) and for names it cannot map: the caller then uses the mailbox's zone.
 */
const memo = new Map<string, string | null>();

export function windowsToIana(name: string | null | undefined): string | null {
  if (!name) return null;
  const hit = memo.get(name);
  if (hit !== undefined) return hit;
  const z = mapWindows(name);
  memo.set(name, z);
  return z;
}

function mapWindows(name: string): string | null {
  const trimmed = name.trim();
  if (UTC_NAMES.has(trimmed.toLowerCase())) return 'UTC';
  if (trimmed.toLowerCase().startsWith('tzone://microsoft/custom')) return null;
  const candidates = findIana(trimmed);
  for (const c of candidates) {
    if (IANAZone.isValidZone(c)) return canonical(c);
  }
  // Graph also passes IANA names through when a client created the event with one.
  if (trimmed.includes('/') && IANAZone.isValidZone(trimmed)) return canonical(trimmed);
  return null;
}

/** Windows zone name for an IANA zone, for writing events; null when CLDR has none. */
export function ianaToWindows(iana: string): string | null {
  if (iana === 'UTC' || iana === 'Etc/UTC') return 'UTC';
  const found = findWindows(iana);
  if (found.length) return found[0]!;
  // CLDR keys the legacy ids: try the alias we rewrote from.
  for (const [legacy, current] of Object.entries(CLDR_LEGACY)) {
    if (current === iana) {
      const w = findWindows(legacy);
      if (w.length) return w[0]!;
    }
  }
  return null;
}

/** The zone of an event: its own when known, else the mailbox's (the documented fallback). */
export function eventZone(
  originalStartTimeZone: string | null | undefined,
  mailboxZone: string | null,
): string | null {
  return windowsToIana(originalStartTimeZone) ?? mailboxZone;
}
