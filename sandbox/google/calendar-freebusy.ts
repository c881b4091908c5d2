// Calendar v3 freebusy.query as the sandbox serves it (POST /calendar/v3/freeBusy).
// Reference: https://developers.google.com/calendar/api/v3/reference/freebusy/query
//   request  { timeMin, timeMax, timeZone?, groupExpansionMax?, calendarExpansionMax?, items: [{ id }] }
//   response { kind: "calendar#freeBusy", timeMin, timeMax, calendars: { id: { busy: [{ start, end }], errors? } } }
// A calendar that cannot be read is not a request error: its entry carries `errors` (reasons
// "notFound", "tooManyCalendarsRequested", "internalError"…) and the others are answered.
import { DateTime } from 'luxon';
import { GoogleApiError, badRequest } from './errors.ts';
import {
  type Json,
  instancesOf,
  instantOf,
  isRecurring,
  parseRfc3339,
  resolveCalendar,
} from './calendar-model.ts';
import type { Account, Calendar, EventFields } from './state.ts';

/**
 * calendarExpansionMax: "Maximal number of calendars for which FreeBusy information is to be
 * provided. Optional. Maximum value is 50." (FreeBusyRequest,
 * https://developers.google.com/calendar/api/v3/reference/freebusy/query#request-body).
 */
const CALENDAR_EXPANSION_MAX = 50;
/**
 * The longest window Google answers: "The Google /freeBusy endpoint has a maximum time span of 90
 * days" and answers longer ones with 400 "The requested time range is too long."
 * (https://github.com/calcom/cal.com/pull/11962, https://github.com/calcom/cal.com/pull/11696). Not
 * on the reference page; measured by its users.
 */
const MAX_RANGE_DAYS = 90;

type Range = { s: number; e: number };

/** Does this event make the calendar's owner busy? */
function blocks(f: EventFields, account: Account): boolean {
  if (f.status === 'cancelled') return false;
  // transparency "transparent": "Does not block time on the calendar"
  // (https://developers.google.com/calendar/api/v3/reference/events#transparency).
  if (f.transparency === 'transparent') return false;
  // An invitation the owner declined does not block their time (the event stays on the calendar,
  // https://developers.google.com/calendar/api/v3/reference/events#attendees.responseStatus).
  const self = f.attendees?.find((a) => a.email.toLowerCase() === account.email);
  return self?.responseStatus !== 'declined';
}

function busyRanges(account: Account, cal: Calendar, from: DateTime, to: DateTime): Range[] {
  const out: Range[] = [];
  const push = (start: DateTime, end: DateTime) => {
    const s = Math.max(start.toMillis(), from.toMillis());
    const e = Math.min(end.toMillis(), to.toMillis());
    if (e > s) out.push({ s, e });
  };
  for (const ev of cal.events.values()) {
    if (isRecurring(ev)) {
      for (const inst of instancesOf(ev, cal, from, to)) {
        if (blocks(inst.fields, account))
          push(instantOf(inst.fields.start, cal), instantOf(inst.fields.end, cal));
      }
    } else if (blocks(ev, account)) {
      push(instantOf(ev.start, cal), instantOf(ev.end, cal));
    }
  }
  // Busy periods come merged: overlapping and touching events are one period.
  out.sort((a, b) => a.s - b.s);
  const merged: Range[] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r.s <= last.e) last.e = Math.max(last.e, r.e);
    else merged.push({ ...r });
  }
  return merged;
}

export function queryFreeBusy(account: Account, body: Json): Json {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
  // timeMin and timeMax are both required ("The start/end of the interval for the query").
  if (str('timeMin') === undefined) throw badRequest('Missing timeMin.', 'required', 'timeMin');
  if (str('timeMax') === undefined) throw badRequest('Missing timeMax.', 'required', 'timeMax');
  const from = parseRfc3339(str('timeMin'), 'timeMin')!;
  const to = parseRfc3339(str('timeMax'), 'timeMax')!;
  // The calendar API's answer to an empty or reversed window (domain "calendar", reason
  // "timeRangeEmpty", location timeMax): https://github.com/kewisch/gdata-provider/issues/12
  if (to <= from)
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', {
      domain: 'calendar',
      location: 'timeMax',
      locationType: 'parameter',
    });
  if (to.diff(from, 'days').days > MAX_RANGE_DAYS)
    throw badRequest('The requested time range is too long.', 'timeRangeTooLong', 'timeMax');
  const zone = str('timeZone') ?? 'UTC';
  if (!DateTime.now().setZone(zone).isValid) throw badRequest('Invalid time zone.', 'invalid', 'timeZone');
  const expansionMax =
    body.calendarExpansionMax === undefined ? CALENDAR_EXPANSION_MAX : Number(body.calendarExpansionMax);
  if (!Number.isInteger(expansionMax) || expansionMax < 1 || expansionMax > CALENDAR_EXPANSION_MAX)
    throw badRequest('Invalid value for calendarExpansionMax.', 'invalid', 'calendarExpansionMax');
  const items = Array.isArray(body.items) ? (body.items as Json[]) : [];

  // Times are written in the request's timeZone ("Time zone used in the response. Optional. The
  // default is UTC."), as RFC 3339 with that zone's offset.
  const fmt = (ms: number) =>
    zone === 'UTC'
      ? new Date(ms).toISOString().replace('.000Z', 'Z')
      : DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true });
  const calendars: Json = {};
  items.forEach((item, i) => {
    const id = typeof item.id === 'string' ? item.id : '';
    if (i >= expansionMax) {
      calendars[id] = { errors: [{ domain: 'calendar', reason: 'tooManyCalendarsRequested' }], busy: [] };
      return;
    }
    let cal: Calendar;
    try {
      cal = resolveCalendar(account, id);
    } catch {
      // Another user's calendar the sandbox does not hold, or a typo: per-calendar notFound.
      calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
      return;
    }
    calendars[id] = {
      busy: busyRanges(account, cal, from, to).map((r) => ({ start: fmt(r.s), end: fmt(r.e) })),
    };
  });
  return { kind: 'calendar#freeBusy', timeMin: fmt(from.toMillis()), timeMax: fmt(to.toMillis()), calendars };
}
