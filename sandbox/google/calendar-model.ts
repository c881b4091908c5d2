// Calendar v3 resources as the sandbox stores and renders them: calendars, event times in the
// calendar's zone, recurring series expanded into instances, and the event JSON the API returns.
// Reference: https://developers.google.com/calendar/api/v3/reference/events
import { DateTime } from 'luxon';
import type { FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { applyFault, authenticate } from './auth.ts';
import { badRequest, notFound } from './errors.ts';
import { expand, isSupported, parseRecurrence } from './rrule.ts';
import {
  type Account,
  type Attendee,
  type Calendar,
  type EventDateTime,
  type EventFields,
  type GoogleState,
  type StoredEvent,
} from './state.ts';

export type Json = Record<string, unknown>;

// ---- calendars ----------------------------------------------------------------------------

export function newCalendar(id: string, summary: string, timeZone: string, primary: boolean): Calendar {
  return {
    id,
    summary,
    timeZone,
    primary,
    accessRole: 'owner',
    events: new Map(),
    seq: 1,
    syncFloor: 0,
    channels: new Set(),
  };
}

export function resolveCalendar(account: Account, calendarId: string): Calendar {
  const id = calendarId === 'primary' ? account.email : calendarId;
  const cal = account.calendars.get(id) ?? account.calendars.get(id.toLowerCase());
  if (!cal) throw notFound();
  return cal;
}

// ---- time helpers -------------------------------------------------------------------------

function zoneOf(t: EventDateTime, cal: Calendar): string {
  return t.timeZone ?? cal.timeZone;
}

/** The exact instant of a start/end (all-day dates start at midnight in the calendar's zone). */
export function instantOf(t: EventDateTime, cal: Calendar): DateTime {
  if (t.date) return DateTime.fromISO(t.date, { zone: cal.timeZone });
  const hasOffset = /([zZ]|[+-]\d\d:?\d\d)$/.test(t.dateTime ?? '');
  return hasOffset
    ? DateTime.fromISO(t.dateTime ?? '', { setZone: true })
    : DateTime.fromISO(t.dateTime ?? '', { zone: zoneOf(t, cal) });
}

function formatTime(t: EventDateTime, cal: Calendar): EventDateTime {
  if (t.date) return { date: t.date };
  const dt = instantOf(t, cal).setZone(zoneOf(t, cal));
  const out: EventDateTime = { dateTime: dt.toISO({ suppressMilliseconds: true }) ?? t.dateTime };
  if (t.timeZone) out.timeZone = t.timeZone;
  return out;
}

export function parseRfc3339(v: string | undefined, name: string): DateTime | undefined {
  if (v === undefined) return undefined;
  // timeMin/timeMax "Must be an RFC3339 timestamp with mandatory time zone offset"
  // https://developers.google.com/calendar/api/v3/reference/events/list
  const dt = DateTime.fromISO(v, { setZone: true });
  if (!dt.isValid || !/([zZ]|[+-]\d\d:?\d\d)$/.test(v)) throw badRequest('Bad Request', 'badRequest', name);
  return dt;
}

// ---- event resources ----------------------------------------------------------------------

export interface Instance {
  id: string;
  master: StoredEvent;
  fields: EventFields & { start: EventDateTime; end: EventDateTime; status: StoredEvent['status'] };
  originalStartTime: EventDateTime;
  seq: number;
  updated: string;
  sequence: number;
}

export function isRecurring(ev: StoredEvent): boolean {
  return !!ev.recurrence?.length && isSupported(parseRecurrence(ev.recurrence).rule);
}

const DEFAULT_WINDOW_DAYS_AHEAD = 2 * 366;

/** Instances of a recurring event overlapping [from, to) (unbounded ends use a default horizon). */
export function instancesOf(
  ev: StoredEvent,
  cal: Calendar,
  from: DateTime | undefined,
  to: DateTime | undefined,
): Instance[] {
  const { rule, exdates } = parseRecurrence(ev.recurrence ?? []);
  if (!isSupported(rule)) return [];
  const allDay = !!ev.start.date;
  const zone = zoneOf(ev.start, cal);
  const dtstart = instantOf(ev.start, cal).setZone(allDay ? cal.timeZone : zone);
  const end = instantOf(ev.end, cal);
  const durationMs = end.toMillis() - instantOf(ev.start, cal).toMillis();
  // without a window (incremental sync of an unbounded series, a single instance lookup) expand two
  // years past the later of now and the series start
  const horizon =
    to ??
    DateTime.fromMillis(Math.max(Date.now(), dtstart.toMillis())).plus({ days: DEFAULT_WINDOW_DAYS_AHEAD });
  const out: Instance[] = [];
  for (const d of expand(dtstart, rule, exdates, horizon)) {
    const dEnd = d.plus({ milliseconds: durationMs });
    const suffix = allDay ? d.toFormat('yyyyMMdd') : d.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
    const id = `${ev.id}_${suffix}`;
    const originalStartTime: EventDateTime = allDay
      ? { date: d.toISODate() ?? '' }
      : {
          dateTime: d.toISO({ suppressMilliseconds: true }) ?? '',
          ...(ev.start.timeZone ? { timeZone: ev.start.timeZone } : {}),
        };
    const ov = ev.overrides.get(id);
    const base = {
      ...stripSeries(ev),
      start: originalStartTime,
      end: allDay
        ? { date: dEnd.toISODate() ?? '' }
        : {
            dateTime: dEnd.setZone(zone).toISO({ suppressMilliseconds: true }) ?? '',
            ...(ev.end.timeZone ? { timeZone: ev.end.timeZone } : {}),
          },
      status: ev.status,
    };
    const fields = ov ? deepMerge(base, ov.fields) : base;
    const inst: Instance = {
      id,
      master: ev,
      fields: fields as Instance['fields'],
      originalStartTime,
      seq: Math.max(ev.seq, ov?.seq ?? 0),
      updated: ov && ov.seq > ev.seq ? ov.updated : ev.updated,
      sequence: ov?.sequence ?? ev.sequence,
    };
    const s = instantOf(inst.fields.start, cal);
    const e = instantOf(inst.fields.end, cal);
    if (from && e <= from) continue;
    if (to && s >= to) continue;
    out.push(inst);
  }
  return out;
}

export function stripSeries(ev: StoredEvent): EventFields {
  const fields: EventFields = { ...ev };
  delete fields.recurrence;
  for (const k of ['id', 'iCalUID', 'sequence', 'created', 'updated', 'seq', 'overrides', 'createdViaApi']) {
    delete (fields as Json)[k];
  }
  return fields;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Patch semantics: nested objects merge, arrays and scalars replace, null clears. */
export function deepMerge<T extends object>(base: T, patch: object): T {
  const out: Json = { ...(base as Json) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as Json, v);
    else if (v !== undefined) out[k] = v;
  }
  return out as T;
}

function attendeesOut(
  list: Attendee[] | undefined,
  account: Account,
  organizerEmail: string,
): Attendee[] | undefined {
  if (!list?.length) return undefined;
  return list.map((a) => {
    const out: Attendee = { ...a, responseStatus: a.responseStatus ?? 'needsAction' };
    if (a.email.toLowerCase() === account.email) out.self = true;
    if (a.email.toLowerCase() === organizerEmail.toLowerCase()) out.organizer = true;
    return out;
  });
}

function htmlLink(id: string, calId: string) {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calId}`).toString('base64url')}`;
}

function fieldsOut(f: EventFields, account: Account, cal: Calendar): Json {
  const organizerEmail = f.organizer?.email ?? cal.id;
  const out: Json = {};
  if (f.summary !== undefined) out.summary = f.summary;
  if (f.description !== undefined) out.description = f.description;
  if (f.location !== undefined) out.location = f.location;
  if (f.colorId !== undefined) out.colorId = f.colorId;
  out.creator = {
    email: organizerEmail,
    ...(organizerEmail.toLowerCase() === account.email ? { self: true } : {}),
  };
  out.organizer = {
    email: organizerEmail,
    ...(f.organizer?.displayName ? { displayName: f.organizer.displayName } : {}),
    ...(organizerEmail.toLowerCase() === cal.id.toLowerCase() ? { self: true } : {}),
  };
  if (f.start) out.start = formatTime(f.start, cal);
  if (f.end) out.end = formatTime(f.end, cal);
  if (f.transparency) out.transparency = f.transparency;
  if (f.visibility) out.visibility = f.visibility;
  const attendees = attendeesOut(f.attendees, account, organizerEmail);
  if (attendees) out.attendees = attendees;
  if (f.extendedProperties) out.extendedProperties = f.extendedProperties;
  if (f.hangoutLink) out.hangoutLink = f.hangoutLink;
  if (f.conferenceData) out.conferenceData = f.conferenceData;
  out.reminders = f.reminders ?? { useDefault: true };
  out.eventType = f.eventType ?? 'default';
  return out;
}

export function eventResource(ev: StoredEvent, account: Account, cal: Calendar): Json {
  const head: Json = {
    kind: 'calendar#event',
    etag: `"${ev.seq}"`,
    id: ev.id,
    status: ev.status,
    htmlLink: htmlLink(ev.id, cal.id),
    created: ev.created,
    updated: ev.updated,
  };
  return {
    ...head,
    ...fieldsOut(ev, account, cal),
    ...(ev.recurrence?.length ? { recurrence: ev.recurrence } : {}),
    iCalUID: ev.iCalUID,
    sequence: ev.sequence,
  };
}

export function instanceResource(inst: Instance, account: Account, cal: Calendar): Json {
  return {
    kind: 'calendar#event',
    etag: `"${inst.seq}"`,
    id: inst.id,
    status: inst.fields.status,
    htmlLink: htmlLink(inst.id, cal.id),
    created: inst.master.created,
    updated: inst.updated,
    ...fieldsOut(inst.fields, account, cal),
    recurringEventId: inst.master.id,
    originalStartTime: inst.originalStartTime,
    iCalUID: inst.master.iCalUID,
    sequence: inst.sequence,
  };
}

/**
 * "Deleted events are only guaranteed to have the id field populated" (events resource, status):
 * https://developers.google.com/calendar/api/v3/reference/events#status
 */
export function cancelledResource(id: string, seq: number, updated: string, inst?: Instance): Json {
  return {
    kind: 'calendar#event',
    etag: `"${seq}"`,
    id,
    status: 'cancelled',
    updated,
    ...(inst ? { recurringEventId: inst.master.id, originalStartTime: inst.originalStartTime } : {}),
  };
}

// ---- requests -----------------------------------------------------------------------------

/** Authenticates a Calendar request (401 as Google answers it) and applies any injected fault. */
export function calendarGuard(state: GoogleState, ctx: SandboxContext) {
  return async (req: FastifyRequest, opts: { syncTokenRequest?: boolean } = {}): Promise<Account> => {
    const account = authenticate(state, ctx, req);
    await applyFault(state, ctx, req, account, opts);
    return account;
  };
}

/** A JSON object body, or Google's 400 parseError. */
export function bodyOf(req: FastifyRequest): Json {
  if (!isPlainObject(req.body)) throw badRequest('Parse Error', 'parseError');
  return req.body;
}
