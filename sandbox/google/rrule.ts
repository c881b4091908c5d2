// A small RFC 5545 RRULE expander for the subset the sandbox supports: FREQ=DAILY|WEEKLY with
// INTERVAL, COUNT, UNTIL, BYDAY (weekly), plus EXDATE lines. Google stores recurrence as RRULE /
// EXDATE lines in `recurrence[]` and expands instances when `singleEvents=true`:
// https://developers.google.com/calendar/api/guides/recurringevents
// https://developers.google.com/calendar/api/concepts/events-calendars#recurring_events
import { DateTime } from 'luxon';

export interface Occurrence {
  /** Start of the occurrence (exact instant). */
  start: DateTime;
}

const DAYS: Record<string, number> = { MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6, SU: 7 };

export interface ParsedRule {
  freq: string;
  interval: number;
  count?: number;
  until?: DateTime;
  byDay?: number[];
}

export function parseRecurrence(lines: string[]): { rule?: ParsedRule; exdates: Set<number> } {
  let rule: ParsedRule | undefined;
  const exdates = new Set<number>();
  for (const line of lines) {
    if (line.startsWith('RRULE:')) {
      const parts = Object.fromEntries(
        line
          .slice(6)
          .split(';')
          .map((p) => p.split('=') as [string, string]),
      );
      rule = {
        freq: (parts.FREQ ?? '').toUpperCase(),
        interval: Math.max(1, Number(parts.INTERVAL ?? 1) || 1),
        count: parts.COUNT ? Number(parts.COUNT) : undefined,
        until: parts.UNTIL ? parseIcalDate(parts.UNTIL) : undefined,
        byDay: parts.BYDAY
          ? parts.BYDAY.split(',')
              .map((d) => DAYS[d.slice(-2).toUpperCase()])
              .filter((d): d is number => d !== undefined)
          : undefined,
      };
    } else if (line.startsWith('EXDATE')) {
      const value = line.slice(line.indexOf(':') + 1);
      const tzid = /TZID=([^;:]+)/.exec(line)?.[1];
      for (const v of value.split(',')) {
        const d = parseIcalDate(v, tzid);
        if (d.isValid) exdates.add(d.toMillis());
      }
    }
  }
  return { rule, exdates };
}

function parseIcalDate(v: string, zone?: string): DateTime {
  if (/^\d{8}$/.test(v)) return DateTime.fromFormat(v, 'yyyyMMdd', { zone: zone ?? 'UTC' });
  if (v.endsWith('Z')) return DateTime.fromFormat(v, "yyyyMMdd'T'HHmmss'Z'", { zone: 'UTC' });
  return DateTime.fromFormat(v, "yyyyMMdd'T'HHmmss", { zone: zone ?? 'UTC' });
}

/** Whether the sandbox can expand this recurrence (otherwise the master is treated as one event). */
export function isSupported(rule: ParsedRule | undefined): rule is ParsedRule {
  return !!rule && (rule.freq === 'DAILY' || rule.freq === 'WEEKLY');
}

/**
 * Occurrence starts from dtstart (in its zone, so wall-clock time survives DST), stopping at
 * COUNT/UNTIL, at `horizon`, or after `max` occurrences.
 */
export function expand(
  dtstart: DateTime,
  rule: ParsedRule,
  exdates: Set<number>,
  horizon: DateTime,
  max = 1000,
): DateTime[] {
  const out: DateTime[] = [];
  let produced = 0;
  const accept = (d: DateTime): boolean => {
    if (d < dtstart) return true;
    if (rule.until && d > rule.until) return false;
    if (d > horizon) return false;
    if (rule.count !== undefined && produced >= rule.count) return false;
    produced += 1;
    if (!exdates.has(d.toMillis())) out.push(d);
    return out.length < max;
  };
  if (rule.freq === 'DAILY') {
    for (let i = 0; ; i += rule.interval) {
      if (!accept(dtstart.plus({ days: i }))) break;
    }
  } else {
    const days = (rule.byDay?.length ? rule.byDay : [dtstart.weekday]).slice().sort((a, b) => a - b);
    const weekStart = dtstart.minus({ days: dtstart.weekday - 1 });
    outer: for (let w = 0; ; w += rule.interval) {
      for (const day of days) {
        const d = weekStart.plus({ weeks: w, days: day - 1 });
        if (!accept(d)) break outer;
      }
    }
  }
  return out;
}
