// Calendar v3 writes: insert, patch/update (of a series or one instance) and delete, each bumping
// the calendar's sequence so the next incremental sync returns the change.
// Reference: https://developers.google.com/calendar/api/v3/reference/events
import { randomBytes } from 'node:crypto';
import { GoogleApiError, badRequest, notFound } from './errors.ts';
import { newEventId, type Account, type Calendar, type EventFields, type StoredEvent } from './state.ts';
import {
  type Instance,
  type Json,
  deepMerge,
  instancesOf,
  instantOf,
  isRecurring,
  stripSeries,
} from './calendar-model.ts';

// ---- mutations ----------------------------------------------------------------------------

export interface Notifier {
  changed(account: Account, cal: Calendar): void;
}

function nextSeq(cal: Calendar): number {
  cal.seq += 1;
  return cal.seq;
}

function validateTimes(fields: EventFields, cal: Calendar): void {
  if (!fields.start || (!fields.start.date && !fields.start.dateTime))
    throw new GoogleApiError(400, 'required', 'Missing start time.');
  if (!fields.end || (!fields.end.date && !fields.end.dateTime))
    throw new GoogleApiError(400, 'required', 'Missing end time.');
  const s = instantOf(fields.start, cal);
  const e = instantOf(fields.end, cal);
  if (!s.isValid || !e.isValid) throw badRequest('Invalid start or end time.', 'invalid');
  if (
    !fields.start.date &&
    !fields.start.timeZone &&
    !/([zZ]|[+-]\d\d:?\d\d)$/.test(fields.start.dateTime ?? '')
  ) {
    // https://developers.google.com/calendar/api/v3/reference/events#start.dateTime — an offset is required unless timeZone is given.
    throw badRequest('Missing time zone definition for start time.', 'required');
  }
  if (e < s)
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', {
      domain: 'calendar',
      location: 'end',
      locationType: 'parameter',
    });
}

const WRITABLE: (keyof EventFields)[] = [
  'status',
  'summary',
  'description',
  'location',
  'start',
  'end',
  'recurrence',
  'attendees',
  'organizer',
  'extendedProperties',
  'hangoutLink',
  'conferenceData',
  'transparency',
  'visibility',
  'reminders',
  'colorId',
  'eventType',
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
  const cd = fields.conferenceData as
    { createRequest?: { requestId?: string; conferenceSolutionKey?: { type?: string } } } | undefined;
  if (!cd?.createRequest) return;
  const type = cd.createRequest.conferenceSolutionKey?.type ?? 'hangoutsMeet';
  const code = meetCode();
  const uri = `https://meet.google.com/${code}`;
  fields.conferenceData = {
    createRequest: {
      requestId: cd.createRequest.requestId ?? randomBytes(6).toString('hex'),
      conferenceSolutionKey: { type },
      status: { statusCode: 'success' },
    },
    entryPoints: [{ entryPointType: 'video', uri, label: `meet.google.com/${code}` }],
    conferenceSolution: {
      key: { type },
      name: 'Google Meet',
      iconUri:
        'https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png',
    },
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
    // https://developers.google.com/calendar/api/v3/reference/events#id — base32hex (a-v, 0-9),
    // 5..1024 chars, unique per calendar; a deleted (cancelled) event keeps its id.
    if (!/^[a-v0-9]{5,1024}$/.test(id)) throw badRequest('Invalid resource id value.', 'invalid');
    // https://developers.google.com/calendar/api/guides/errors#409_the_requested_identifier_already_exists
    if (cal.events.has(id))
      throw new GoogleApiError(409, 'duplicate', 'The requested identifier already exists.');
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
  if (ev.attendees)
    ev.attendees = ev.attendees.map((a) => ({ ...a, responseStatus: a.responseStatus ?? 'needsAction' }));
  cal.events.set(id, ev);
  opts.notifier.changed(account, cal);
  return ev;
}

/**
 * A conditional write: `If-Match` with the ETag the client last read. "If the resource has been
 * modified since [...] the server returns 412 Precondition Failed"
 * (https://developers.google.com/calendar/api/guides/version-resources#conditional_modification).
 * An event's ETag is `"<seq>"` (calendar-model.ts), so any change, ours or the user's, renews it.
 */
export function checkIfMatch(cal: Calendar, eventId: string, header: string | string[] | undefined): void {
  if (header === undefined) return;
  const ev = cal.events.get(eventId);
  if (!ev) return; // instances and unknown ids: the write itself answers
  const tags = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim());
  if (tags.some((t) => t === '*' || t === `"${ev.seq}"`)) return;
  throw new GoogleApiError(412, 'conditionNotMet', 'Precondition Failed', {
    location: 'If-Match',
    locationType: 'header',
  });
}

export function splitInstanceId(
  cal: Calendar,
  eventId: string,
): { master: StoredEvent; instanceId: string } | undefined {
  const i = eventId.lastIndexOf('_');
  if (i < 0) return undefined;
  const master = cal.events.get(eventId.slice(0, i));
  if (!master || !isRecurring(master)) return undefined;
  return { master, instanceId: eventId };
}

export function findInstance(cal: Calendar, master: StoredEvent, instanceId: string): Instance | undefined {
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
    else if (!opts.replace && ev.recurrence && patch.recurrence === undefined)
      merged.recurrence = ev.recurrence;
    validateTimes(merged, cal);
    const material = MATERIAL.some(
      (k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(ev[k]),
    );
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
  split.master.overrides.set(eventId, {
    fields,
    seq: nextSeq(cal),
    updated: nowIso,
    sequence: (prev?.sequence ?? split.master.sequence) + 1,
  });
  opts.notifier.changed(account, cal);
  return { kind: 'instance', inst: findInstance(cal, split.master, eventId)! };
}

export function deleteEvent(
  account: Account,
  cal: Calendar,
  eventId: string,
  now: Date,
  notifier: Notifier,
): void {
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
  if (inst.fields.status === 'cancelled')
    throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
  const prev = split.master.overrides.get(eventId);
  split.master.overrides.set(eventId, {
    fields: { ...(prev?.fields ?? {}), status: 'cancelled' },
    seq: nextSeq(cal),
    updated: now.toISOString(),
    sequence: prev?.sequence ?? split.master.sequence,
  });
  notifier.changed(account, cal);
}
