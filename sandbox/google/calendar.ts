// Google Calendar v3 as the sandbox serves it (under /calendar/v3).
// Reference: https://developers.google.com/calendar/api/v3/reference
// Sync model: https://developers.google.com/calendar/api/guides/sync
import { createHash, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { applyFault, authenticate } from './auth.ts';
import { GoogleApiError, badRequest, notFound } from './errors.ts';
import { expand, isSupported, parseRecurrence } from './rrule.ts';
import {
  newEventId,
  type Account,
  type Attendee,
  type Calendar,
  type Channel,
  type EventDateTime,
  type EventFields,
  type GoogleState,
  type StoredEvent,
} from './state.ts';

type Json = Record<string, unknown>;

// ---- calendars ----------------------------------------------------------------------------

export function newCalendar(id: string, summary: string, timeZone: string, primary: boolean): Calendar {
  return { id, summary, timeZone, primary, accessRole: 'owner', events: new Map(), seq: 1, syncFloor: 0, channels: new Set() };
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

function parseRfc3339(v: string | undefined, name: string): DateTime | undefined {
  if (v === undefined) return undefined;
  // timeMin/timeMax "Must be an RFC3339 timestamp with mandatory time zone offset"
  // https://developers.google.com/calendar/api/v3/reference/events/list
  const dt = DateTime.fromISO(v, { setZone: true });
  if (!dt.isValid || !/([zZ]|[+-]\d\d:?\d\d)$/.test(v)) throw badRequest('Bad Request', 'badRequest', name);
  return dt;
}

// ---- event resources ----------------------------------------------------------------------

interface Instance {
  id: string;
  master: StoredEvent;
  fields: EventFields & { start: EventDateTime; end: EventDateTime; status: StoredEvent['status'] };
  originalStartTime: EventDateTime;
  seq: number;
  updated: string;
  sequence: number;
}

function isRecurring(ev: StoredEvent): boolean {
  return !!ev.recurrence?.length && isSupported(parseRecurrence(ev.recurrence).rule);
}

const DEFAULT_WINDOW_DAYS_AHEAD = 2 * 366;

/** Instances of a recurring event overlapping [from, to) (unbounded ends use a default horizon). */
export function instancesOf(ev: StoredEvent, cal: Calendar, from: DateTime | undefined, to: DateTime | undefined): Instance[] {
  const { rule, exdates } = parseRecurrence(ev.recurrence ?? []);
  if (!isSupported(rule)) return [];
  const allDay = !!ev.start.date;
  const zone = zoneOf(ev.start, cal);
  const dtstart = instantOf(ev.start, cal).setZone(allDay ? cal.timeZone : zone);
  const end = instantOf(ev.end, cal);
  const durationMs = end.toMillis() - instantOf(ev.start, cal).toMillis();
  // without a window (incremental sync of an unbounded series, a single instance lookup) expand two
  // years past the later of now and the series start
  const horizon = to ?? DateTime.fromMillis(Math.max(Date.now(), dtstart.toMillis())).plus({ days: DEFAULT_WINDOW_DAYS_AHEAD });
  const out: Instance[] = [];
  for (const d of expand(dtstart, rule, exdates, horizon)) {
    const dEnd = d.plus({ milliseconds: durationMs });
    const suffix = allDay ? d.toFormat('yyyyMMdd') : d.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
    const id = `${ev.id}_${suffix}`;
    const originalStartTime: EventDateTime = allDay
      ? { date: d.toISODate() ?? '' }
      : { dateTime: d.toISO({ suppressMilliseconds: true }) ?? '', ...(ev.start.timeZone ? { timeZone: ev.start.timeZone } : {}) };
    const ov = ev.overrides.get(id);
    const base = {
      ...stripSeries(ev),
      start: originalStartTime,
      end: allDay
        ? { date: dEnd.toISODate() ?? '' }
        : { dateTime: dEnd.setZone(zone).toISO({ suppressMilliseconds: true }) ?? '', ...(ev.end.timeZone ? { timeZone: ev.end.timeZone } : {}) },
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

function stripSeries(ev: StoredEvent): EventFields {
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

function attendeesOut(list: Attendee[] | undefined, account: Account, organizerEmail: string): Attendee[] | undefined {
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
  out.creator = { email: organizerEmail, ...(organizerEmail.toLowerCase() === account.email ? { self: true } : {}) };
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
  const head: Json = { kind: 'calendar#event', etag: `"${ev.seq}"`, id: ev.id, status: ev.status, htmlLink: htmlLink(ev.id, cal.id), created: ev.created, updated: ev.updated };
  return {
    ...head,
    ...fieldsOut(ev, account, cal),
    ...(ev.recurrence?.length ? { recurrence: ev.recurrence } : {}),
    iCalUID: ev.iCalUID,
    sequence: ev.sequence,
  };
}

function instanceResource(inst: Instance, account: Account, cal: Calendar): Json {
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
function cancelledResource(id: string, seq: number, updated: string, inst?: Instance): Json {
  return {
    kind: 'calendar#event',
    etag: `"${seq}"`,
    id,
    status: 'cancelled',
    updated,
    ...(inst ? { recurringEventId: inst.master.id, originalStartTime: inst.originalStartTime } : {}),
  };
}

// ---- mutations ----------------------------------------------------------------------------

export interface Notifier {
  changed(account: Account, cal: Calendar): void;
}

function nextSeq(cal: Calendar): number {
  cal.seq += 1;
  return cal.seq;
}

function validateTimes(fields: EventFields, cal: Calendar): void {
  if (!fields.start || (!fields.start.date && !fields.start.dateTime)) throw new GoogleApiError(400, 'required', 'Missing start time.');
  if (!fields.end || (!fields.end.date && !fields.end.dateTime)) throw new GoogleApiError(400, 'required', 'Missing end time.');
  const s = instantOf(fields.start, cal);
  const e = instantOf(fields.end, cal);
  if (!s.isValid || !e.isValid) throw badRequest('Invalid start or end time.', 'invalid');
  if (!fields.start.date && !fields.start.timeZone && !/([zZ]|[+-]\d\d:?\d\d)$/.test(fields.start.dateTime ?? '')) {
    // https://developers.google.com/calendar/api/v3/reference/events#start.dateTime — an offset is required unless timeZone is given.
    throw badRequest('Missing time zone definition for start time.', 'required');
  }
  if (e < s) throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', { domain: 'calendar', location: 'end', locationType: 'parameter' });
}

const WRITABLE: (keyof EventFields)[] = [
  'status', 'summary', 'description', 'location', 'start', 'end', 'recurrence', 'attendees', 'organizer',
  'extendedProperties', 'hangoutLink', 'conferenceData', 'transparency', 'visibility', 'reminders', 'colorId', 'eventType',
];

function pickWritable(body: Json): EventFields {
  const out: Json = {};
  for (const k of WRITABLE) if (body[k] !== undefined) out[k] = body[k];
  return out as EventFields;
}

function meetCode(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const pick = (n: number) => Array.from(randomBytes(n), (b) => letters[b % 26]).join('');
  return `${pick(3)}-${pick(4)}-${pick(3)}`;
}

/**
 * conferenceDataVersion=1 + conferenceData.createRequest creates a Meet conference; version 0
 * ignores conferenceData. https://developers.google.com/calendar/api/guides/create-events#conferencing
 */
function applyConference(fields: EventFields, conferenceDataVersion: number): void {
  if (conferenceDataVersion < 1) {
    delete fields.conferenceData;
    return;
  }
  const cd = fields.conferenceData as { createRequest?: { requestId?: string; conferenceSolutionKey?: { type?: string } } } | undefined;
  if (!cd?.createRequest) return;
  const type = cd.createRequest.conferenceSolutionKey?.type ?? 'hangoutsMeet';
  const code = meetCode();
  const uri = `https://meet.google.com/${code}`;
  fields.conferenceData = {
    createRequest: { requestId: cd.createRequest.requestId ?? randomBytes(6).toString('hex'), conferenceSolutionKey: { type }, status: { statusCode: 'success' } },
    entryPoints: [{ entryPointType: 'video', uri, label: `meet.google.com/${code}` }],
    conferenceSolution: { key: { type }, name: 'Google Meet', iconUri: 'https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png' },
    conferenceId: code,
  };
  fields.hangoutLink = uri;
}

export function insertEvent(
  account: Account,
  cal: Calendar,
  body: Json,
  opts: { viaApi: boolean; conferenceDataVersion: number; now: Date; notifier: Notifier },
): StoredEvent {
  const fields = pickWritable(body);
  validateTimes(fields, cal);
  let id = typeof body.id === 'string' ? body.id : newEventId();
  if (typeof body.id === 'string') {
    // https://developers.google.com/calendar/api/v3/reference/events/insert — base32hex, 5..1024 chars
    if (!/^[a-v0-9]{5,1024}$/.test(id)) throw badRequest('Invalid resource id value.', 'invalid');
    if (cal.events.has(id)) throw new GoogleApiError(409, 'duplicate', 'The requested identifier already exists.');
  } else {
    while (cal.events.has(id)) id = newEventId();
  }
  applyConference(fields, opts.conferenceDataVersion);
  const nowIso = opts.now.toISOString();
  const ev: StoredEvent = {
    ...fields,
    id,
    status: fields.status ?? 'confirmed',
    start: fields.start!,
    end: fields.end!,
    iCalUID: typeof body.iCalUID === 'string' ? body.iCalUID : `${id}@google.com`,
    sequence: 0,
    created: nowIso,
    updated: nowIso,
    seq: nextSeq(cal),
    overrides: new Map(),
    createdViaApi: opts.viaApi,
  };
  if (ev.attendees) ev.attendees = ev.attendees.map((a) => ({ ...a, responseStatus: a.responseStatus ?? 'needsAction' }));
  cal.events.set(id, ev);
  opts.notifier.changed(account, cal);
  return ev;
}

function splitInstanceId(cal: Calendar, eventId: string): { master: StoredEvent; instanceId: string } | undefined {
  const i = eventId.lastIndexOf('_');
  if (i < 0) return undefined;
  const master = cal.events.get(eventId.slice(0, i));
  if (!master || !isRecurring(master)) return undefined;
  return { master, instanceId: eventId };
}

function findInstance(cal: Calendar, master: StoredEvent, instanceId: string): Instance | undefined {
  return instancesOf(master, cal, undefined, undefined).find((x) => x.id === instanceId);
}

const MATERIAL: (keyof EventFields)[] = ['start', 'end', 'location', 'summary', 'recurrence'];

export type PatchResult = { kind: 'event'; ev: StoredEvent } | { kind: 'instance'; inst: Instance };

export function patchEvent(
  account: Account,
  cal: Calendar,
  eventId: string,
  body: Json,
  opts: { replace: boolean; conferenceDataVersion: number; now: Date; notifier: Notifier },
): PatchResult {
  const ev = cal.events.get(eventId);
  const nowIso = opts.now.toISOString();
  if (ev) {
    const patch = pickWritable(body);
    applyConference(patch, opts.conferenceDataVersion);
    const merged = opts.replace ? ({ ...patch } as EventFields) : deepMerge(stripSeries(ev), patch);
    if (opts.replace && ev.recurrence && !patch.recurrence) delete merged.recurrence;
    else if (!opts.replace && ev.recurrence && patch.recurrence === undefined) merged.recurrence = ev.recurrence;
    validateTimes(merged, cal);
    const material = MATERIAL.some((k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(ev[k]));
    for (const k of WRITABLE) delete (ev as EventFields)[k];
    Object.assign(ev, merged);
    ev.status = merged.status ?? 'confirmed';
    ev.updated = nowIso;
    if (material) ev.sequence += 1;
    ev.seq = nextSeq(cal);
    opts.notifier.changed(account, cal);
    return { kind: 'event', ev };
  }
  const split = splitInstanceId(cal, eventId);
  const inst = split && findInstance(cal, split.master, split.instanceId);
  if (!split || !inst) throw notFound();
  const patch = pickWritable(body);
  const prev = split.master.overrides.get(eventId);
  const fields = deepMerge(prev?.fields ?? {}, patch);
  split.master.overrides.set(eventId, { fields, seq: nextSeq(cal), updated: nowIso, sequence: (prev?.sequence ?? split.master.sequence) + 1 });
  opts.notifier.changed(account, cal);
  return { kind: 'instance', inst: findInstance(cal, split.master, eventId)! };
}

export function deleteEvent(account: Account, cal: Calendar, eventId: string, now: Date, notifier: Notifier): void {
  const ev = cal.events.get(eventId);
  if (ev) {
    // Deleting an already deleted event: 410 "Resource has been deleted".
    if (ev.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    ev.status = 'cancelled';
    ev.updated = now.toISOString();
    ev.seq = nextSeq(cal);
    notifier.changed(account, cal);
    return;
  }
  const split = splitInstanceId(cal, eventId);
  const inst = split && findInstance(cal, split.master, split.instanceId);
  if (!split || !inst) throw notFound();
  if (inst.fields.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
  const prev = split.master.overrides.get(eventId);
  split.master.overrides.set(eventId, {
    fields: { ...(prev?.fields ?? {}), status: 'cancelled' },
    seq: nextSeq(cal),
    updated: now.toISOString(),
    sequence: prev?.sequence ?? split.master.sequence,
  });
  notifier.changed(account, cal);
}

// ---- list / sync --------------------------------------------------------------------------

interface SyncTokenData {
  a: string;
  c: string;
  s: number;
  mn?: number;
  mx?: number;
}
interface PageTokenData {
  o: number;
  s: number;
  mn?: number;
  mx?: number;
}

const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
function dec<T>(s: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

function qArray(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function matchesProps(f: EventFields, priv: string[], shared: string[]): boolean {
  const check = (want: string[], have: Record<string, string> | undefined) =>
    want.every((kv) => {
      const i = kv.indexOf('=');
      return i > 0 && have?.[kv.slice(0, i)] === kv.slice(i + 1);
    });
  return check(priv, f.extendedProperties?.private) && check(shared, f.extendedProperties?.shared);
}

function matchesText(f: EventFields, q: string): boolean {
  const hay = [f.summary, f.description, f.location, ...(f.attendees ?? []).flatMap((a) => [a.email, a.displayName])]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return q.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

export function listEvents(account: Account, cal: Calendar, query: Record<string, unknown>, now: Date): Json {
  const str = (k: string) => (query[k] === undefined ? undefined : String(query[k]));
  const bool = (k: string) => str(k) === 'true';
  const syncToken = str('syncToken');
  const pageToken = str('pageToken');
  const singleEvents = bool('singleEvents');
  const showDeletedParam = str('showDeleted');
  let showDeleted = showDeletedParam === 'true';
  const maxResults = Math.min(2500, Math.max(1, Number(str('maxResults') ?? 250) || 250));
  const priv = qArray(query.privateExtendedProperty);
  const shared = qArray(query.sharedExtendedProperty);
  const q = str('q');
  const iCalUID = str('iCalUID');
  const orderBy = str('orderBy');

  let since: number | undefined;
  let from: DateTime | undefined;
  let to: DateTime | undefined;
  let updatedMin: DateTime | undefined;
  if (syncToken !== undefined) {
    // "There are several query parameters that cannot be specified together with nextSyncToken ...
    // iCalUID, orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin, timeMax, updatedMin."
    // https://developers.google.com/calendar/api/v3/reference/events/list#syncToken
    for (const k of ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin']) {
      if (query[k] !== undefined) throw badRequest(`The parameter ${k} cannot be used together with syncToken.`, 'invalidParameter', k);
    }
    // "Deletions since the previous list request will always be in the result set and it is not allowed to set showDeleted to False."
    if (showDeletedParam === 'false') throw badRequest('showDeleted cannot be false with syncToken.', 'invalidParameter', 'showDeleted');
    const tok = dec<SyncTokenData>(syncToken);
    if (!tok || typeof tok.s !== 'number' || tok.c !== cal.id || tok.a !== account.email) {
      throw badRequest('Invalid sync token value.', 'invalid', 'syncToken');
    }
    // https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server
    if (tok.s < cal.syncFloor) {
      throw new GoogleApiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', { domain: 'calendar' });
    }
    since = tok.s;
    showDeleted = true;
    from = tok.mn !== undefined ? DateTime.fromMillis(tok.mn) : undefined;
    to = tok.mx !== undefined ? DateTime.fromMillis(tok.mx) : undefined;
  } else {
    from = parseRfc3339(str('timeMin'), 'timeMin');
    to = parseRfc3339(str('timeMax'), 'timeMax');
    updatedMin = parseRfc3339(str('updatedMin'), 'updatedMin');
    if (from && to && to <= from) {
      // https://developers.google.com/calendar/api/guides/errors#400_bad_request (timeRangeEmpty)
      throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', { domain: 'calendar', location: 'timeMax', locationType: 'parameter' });
    }
    // orderBy=startTime "is only available when querying single events (i.e. the parameter singleEvents is True)"
    if (orderBy === 'startTime' && !singleEvents) throw badRequest('The requested ordering is not available for the particular query.', 'invalid', 'orderBy');
  }

  let page: PageTokenData = { o: 0, s: cal.seq };
  if (pageToken !== undefined) {
    const p = dec<PageTokenData>(pageToken);
    if (!p || typeof p.o !== 'number') throw badRequest('Invalid page token value.', 'invalid', 'pageToken');
    page = p;
  }
  const snapshot = page.s;

  type Item = { sortStart: number; sortUpdated: string; id: string; json: Json };
  const items: Item[] = [];
  const push = (json: Json, start: number, updated: string) => items.push({ sortStart: start, sortUpdated: updated, id: String(json.id), json });

  for (const ev of cal.events.values()) {
    if (iCalUID && ev.iCalUID !== iCalUID) continue;
    if (!matchesProps(ev, priv, shared)) continue;
    if (q && !matchesText(ev, q)) continue;
    const recurring = isRecurring(ev);
    const evStart = instantOf(ev.start, cal).toMillis();
    if (since !== undefined) {
      // incremental: changed since the token (deleted ones included)
      if (recurring && singleEvents) {
        if (ev.seq > since) {
          for (const inst of instancesOf(ev, cal, from, to)) {
            const cancelled = ev.status === 'cancelled' || inst.fields.status === 'cancelled';
            push(cancelled ? cancelledResource(inst.id, inst.seq, inst.updated, inst) : instanceResource(inst, account, cal), instantOf(inst.fields.start, cal).toMillis(), inst.updated);
          }
        } else {
          for (const [instId, ov] of ev.overrides) {
            if (ov.seq <= since) continue;
            const inst = findInstance(cal, ev, instId);
            if (!inst) continue;
            push(inst.fields.status === 'cancelled' ? cancelledResource(inst.id, inst.seq, inst.updated, inst) : instanceResource(inst, account, cal), instantOf(inst.fields.start, cal).toMillis(), inst.updated);
          }
        }
      } else {
        if (ev.seq > since) push(ev.status === 'cancelled' ? cancelledResource(ev.id, ev.seq, ev.updated) : eventResource(ev, account, cal), evStart, ev.updated);
        for (const [instId, ov] of ev.overrides) {
          if (ov.seq <= since || ev.seq > since) continue;
          const inst = findInstance(cal, ev, instId);
          if (inst) push(inst.fields.status === 'cancelled' ? cancelledResource(inst.id, inst.seq, inst.updated, inst) : instanceResource(inst, account, cal), evStart, inst.updated);
        }
      }
      continue;
    }
    // full listing of the window
    const updatedOk = (u: string) => !updatedMin || DateTime.fromISO(u) >= updatedMin;
    // "updatedMin ... When specified, entries deleted since this time will always be included regardless of showDeleted."
    const showCancelled = showDeleted || !!updatedMin;
    // "If showDeleted and singleEvents are both True, only single instances of deleted events (but
    // not the underlying recurring events) are returned." https://developers.google.com/calendar/api/v3/reference/events/list
    if (recurring && singleEvents) {
      if (ev.status === 'cancelled' && !showCancelled) continue;
      for (const inst of instancesOf(ev, cal, from, to)) {
        if (!updatedOk(inst.updated)) continue;
        const cancelled = ev.status === 'cancelled' || inst.fields.status === 'cancelled';
        if (cancelled && !showCancelled) continue;
        push(cancelled ? cancelledResource(inst.id, inst.seq, inst.updated, inst) : instanceResource(inst, account, cal), instantOf(inst.fields.start, cal).toMillis(), inst.updated);
      }
      continue;
    }
    if (ev.status === 'cancelled' && !showCancelled) continue;
    if (!updatedOk(ev.updated)) continue;
    const evEnd = instantOf(ev.end, cal);
    if (!recurring) {
      if (from && evEnd <= from) continue;
      if (to && DateTime.fromMillis(evStart) >= to) continue;
    } else if (to && DateTime.fromMillis(evStart) >= to) continue;
    push(ev.status === 'cancelled' ? cancelledResource(ev.id, ev.seq, ev.updated) : eventResource(ev, account, cal), evStart, ev.updated);
    if (recurring) {
      // Exceptions of a series are listed as their own events when singleEvents is false, and
      // "Cancelled instances of recurring events (but not the underlying recurring event) will still
      // be included if showDeleted and singleEvents are both False" (events.list, showDeleted).
      for (const instId of ev.overrides.keys()) {
        const inst = findInstance(cal, ev, instId);
        if (inst) {
          push(inst.fields.status === 'cancelled' ? cancelledResource(inst.id, inst.seq, inst.updated, inst) : instanceResource(inst, account, cal), evStart, inst.updated);
        }
      }
    }
  }

  if (orderBy === 'updated') items.sort((a, b) => a.sortUpdated.localeCompare(b.sortUpdated) || a.id.localeCompare(b.id));
  else items.sort((a, b) => a.sortStart - b.sortStart || a.id.localeCompare(b.id));

  const slice = items.slice(page.o, page.o + maxResults);
  const more = page.o + maxResults < items.length;
  const res: Json = {
    kind: 'calendar#events',
    etag: `"p${cal.seq}"`,
    summary: cal.summary,
    description: '',
    updated: now.toISOString(),
    timeZone: cal.timeZone,
    accessRole: cal.accessRole,
    defaultReminders: [{ method: 'popup', minutes: 10 }],
  };
  if (more) {
    res.nextPageToken = enc({ o: page.o + maxResults, s: snapshot, mn: from?.toMillis(), mx: to?.toMillis() });
  } else {
    // nextSyncToken only on the last page: https://developers.google.com/calendar/api/guides/sync
    const window = since !== undefined ? { mn: from?.toMillis(), mx: to?.toMillis() } : { mn: from?.toMillis(), mx: to?.toMillis() };
    res.nextSyncToken = enc({ a: account.email, c: cal.id, s: snapshot, ...window } satisfies SyncTokenData);
  }
  res.items = slice.map((i) => i.json);
  return res;
}

// ---- push notifications -------------------------------------------------------------------

/**
 * https://developers.google.com/calendar/api/guides/push — notifications are POSTs with an empty
 * body and X-Goog-Channel-ID, X-Goog-Channel-Token, X-Goog-Channel-Expiration, X-Goog-Resource-ID,
 * X-Goog-Resource-URI, X-Goog-Resource-State ("sync" first, then "exists"), X-Goog-Message-Number.
 */
export class PushDispatcher implements Notifier {
  private queues = new Map<string, Promise<void>>();
  delivered: { channelId: string; state: string; messageNumber: number; status: number | 'error' }[] = [];
  constructor(private readonly state: GoogleState) {}

  changed(_account: Account, cal: Calendar): void {
    for (const id of cal.channels) {
      const ch = this.state.channels.get(id);
      if (ch) this.send(ch, 'exists');
    }
  }

  send(ch: Channel, resourceState: 'sync' | 'exists'): void {
    const n = ch.messageNumber++;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': ch.id,
      'X-Goog-Resource-ID': ch.resourceId,
      'X-Goog-Resource-URI': ch.resourceUri,
      'X-Goog-Resource-State': resourceState,
      'X-Goog-Message-Number': String(n),
    };
    if (ch.token !== undefined) headers['X-Goog-Channel-Token'] = ch.token;
    if (ch.expiration) headers['X-Goog-Channel-Expiration'] = new Date(Number(ch.expiration)).toUTCString();
    const prev = this.queues.get(ch.id) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        const res = await fetch(ch.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
        this.delivered.push({ channelId: ch.id, state: resourceState, messageNumber: n, status: res.status });
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        this.delivered.push({ channelId: ch.id, state: resourceState, messageNumber: n, status: 'error' });
      }
    });
    this.queues.set(ch.id, next);
  }

  reset(): void {
    this.queues.clear();
    this.delivered = [];
  }
}

// ---- routes -------------------------------------------------------------------------------

export function registerCalendar(app: FastifyInstance, state: GoogleState, ctx: SandboxContext, push: PushDispatcher): void {
  const guard = async (req: FastifyRequest, opts: { syncTokenRequest?: boolean } = {}) => {
    const account = authenticate(state, ctx, req);
    await applyFault(state, ctx, req, account, opts);
    return account;
  };
  type P = { calendarId: string; eventId: string; setting: string };
  const cdv = (req: FastifyRequest) => Number((req.query as Json).conferenceDataVersion ?? 0) || 0;
  const bodyOf = (req: FastifyRequest): Json => {
    if (!isPlainObject(req.body)) throw badRequest('Parse Error', 'parseError');
    return req.body;
  };

  // https://developers.google.com/calendar/api/v3/reference/settings/get
  app.get('/users/me/settings/:setting', async (req) => {
    const account = await guard(req);
    const { setting } = req.params as P;
    const primary = account.calendars.get(account.email)!;
    const values: Record<string, string> = { timezone: primary.timeZone, format24HourTime: 'false', weekStart: '0', locale: 'en' };
    const value = values[setting];
    if (value === undefined) throw notFound();
    return { kind: 'calendar#setting', etag: `"${primary.seq}"`, id: setting, value };
  });

  // https://developers.google.com/calendar/api/v3/reference/calendarList/list
  app.get('/users/me/calendarList', async (req) => {
    const account = await guard(req);
    return {
      kind: 'calendar#calendarList',
      etag: `"${account.calendars.size}"`,
      nextSyncToken: enc({ cl: account.calendars.size }),
      items: [...account.calendars.values()].map((c) => ({
        kind: 'calendar#calendarListEntry',
        etag: `"${c.seq}"`,
        id: c.id,
        summary: c.summary,
        timeZone: c.timeZone,
        accessRole: c.accessRole,
        selected: true,
        ...(c.primary ? { primary: true } : {}),
        defaultReminders: [],
      })),
    };
  });

  // https://developers.google.com/calendar/api/v3/reference/events/list
  app.get('/calendars/:calendarId/events', async (req) => {
    const query = req.query as Json;
    const account = await guard(req, { syncTokenRequest: query.syncToken !== undefined });
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    return listEvents(account, cal, query, ctx.now());
  });

  // https://developers.google.com/calendar/api/v3/reference/events/get
  app.get('/calendars/:calendarId/events/:eventId', async (req) => {
    const account = await guard(req);
    const { calendarId, eventId } = req.params as P;
    const cal = resolveCalendar(account, calendarId);
    const ev = cal.events.get(eventId);
    if (ev) return eventResource(ev, account, cal);
    const split = splitInstanceId(cal, eventId);
    const inst = split && findInstance(cal, split.master, eventId);
    if (!inst) throw notFound();
    return instanceResource(inst, account, cal);
  });

  // https://developers.google.com/calendar/api/v3/reference/events/insert
  app.post('/calendars/:calendarId/events', async (req) => {
    const account = await guard(req);
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    if (cal.accessRole !== 'owner' && cal.accessRole !== 'writer') throw new GoogleApiError(403, 'forbidden', 'Forbidden');
    const ev = insertEvent(account, cal, bodyOf(req), { viaApi: true, conferenceDataVersion: cdv(req), now: ctx.now(), notifier: push });
    return eventResource(ev, account, cal);
  });

  // https://developers.google.com/calendar/api/v3/reference/events/patch and /update
  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/calendars/:calendarId/events/:eventId',
      handler: async (req) => {
        const account = await guard(req);
        const { calendarId, eventId } = req.params as P;
        const cal = resolveCalendar(account, calendarId);
        const r = patchEvent(account, cal, eventId, bodyOf(req), { replace: method === 'PUT', conferenceDataVersion: cdv(req), now: ctx.now(), notifier: push });
        return r.kind === 'event' ? eventResource(r.ev, account, cal) : instanceResource(r.inst, account, cal);
      },
    });
  }

  // https://developers.google.com/calendar/api/v3/reference/events/delete — 204, then "cancelled" in the next sync
  app.delete('/calendars/:calendarId/events/:eventId', async (req, reply) => {
    const account = await guard(req);
    const { calendarId, eventId } = req.params as P;
    deleteEvent(account, resolveCalendar(account, calendarId), eventId, ctx.now(), push);
    return reply.code(204).send();
  });

  // https://developers.google.com/calendar/api/v3/reference/events/watch
  app.post('/calendars/:calendarId/events/watch', async (req) => {
    const account = await guard(req);
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    const body = bodyOf(req);
    const id = typeof body.id === 'string' ? body.id : '';
    const address = typeof body.address === 'string' ? body.address : '';
    if (!id || id.length > 64) throw new GoogleApiError(400, 'required', 'Channel id must be set and at most 64 characters.');
    if (body.type !== 'web_hook' && body.type !== 'webhook') throw badRequest('Unknown channel type.', 'invalid');
    if (!/^https?:\/\//.test(address)) throw badRequest('WebHook callback must be a valid URL.', 'invalid');
    if (state.channels.has(id)) throw new GoogleApiError(400, 'channelIdNotUnique', 'Channel id not unique.');
    const resourceId = createHash('sha1').update(`${account.email}/${cal.id}`).digest('base64url').slice(0, 27);
    // default and maximum channel lifetime for Calendar events is one week
    const maxExp = ctx.now().getTime() + 7 * 24 * 3600 * 1000;
    const expiration = String(Math.min(Number(body.expiration ?? maxExp) || maxExp, maxExp));
    const ch: Channel = {
      id,
      resourceId,
      resourceUri: `${ctx.httpUrl()}/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
      address,
      token: typeof body.token === 'string' ? body.token : undefined,
      expiration,
      account: account.email,
      calendarId: cal.id,
      messageNumber: 1,
    };
    state.channels.set(id, ch);
    cal.channels.add(id);
    push.send(ch, 'sync');
    return { kind: 'api#channel', id, resourceId, resourceUri: ch.resourceUri, ...(ch.token !== undefined ? { token: ch.token } : {}), expiration };
  });

  // https://developers.google.com/calendar/api/v3/reference/channels/stop
  app.post('/channels/stop', async (req, reply) => {
    const account = await guard(req);
    const body = bodyOf(req);
    const ch = state.channels.get(String(body.id ?? ''));
    if (!ch || ch.resourceId !== body.resourceId || ch.account !== account.email) {
      throw notFound(`Channel '${String(body.id ?? '')}' not found for project`);
    }
    state.channels.delete(ch.id);
    account.calendars.get(ch.calendarId)?.channels.delete(ch.id);
    return reply.code(204).send();
  });
}
