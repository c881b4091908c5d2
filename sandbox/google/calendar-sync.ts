// events.list as Calendar v3 answers it: paging, sync tokens (and 410 when they expire), time
// windows, singleEvents expansion, extended-property and text filters.
// Sync model: https://developers.google.com/calendar/api/guides/sync
import { DateTime } from 'luxon';
import { GoogleApiError, badRequest } from './errors.ts';
import { type Account, type Calendar, type EventFields } from './state.ts';
import { findInstance } from './calendar-mutations.ts';
import {
  type Json,
  cancelledResource,
  eventResource,
  instanceResource,
  instancesOf,
  instantOf,
  isRecurring,
  parseRfc3339,
} from './calendar-model.ts';

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

export const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
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
  const hay = [
    f.summary,
    f.description,
    f.location,
    ...(f.attendees ?? []).flatMap((a) => [a.email, a.displayName]),
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .every((w) => hay.includes(w));
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
    for (const k of [
      'iCalUID',
      'orderBy',
      'privateExtendedProperty',
      'q',
      'sharedExtendedProperty',
      'timeMin',
      'timeMax',
      'updatedMin',
    ]) {
      if (query[k] !== undefined)
        throw badRequest(`The parameter ${k} cannot be used together with syncToken.`, 'invalidParameter', k);
    }
    // "Deletions since the previous list request will always be in the result set and it is not allowed to set showDeleted to False."
    if (showDeletedParam === 'false')
      throw badRequest('showDeleted cannot be false with syncToken.', 'invalidParameter', 'showDeleted');
    const tok = dec<SyncTokenData>(syncToken);
    if (!tok || typeof tok.s !== 'number' || tok.c !== cal.id || tok.a !== account.email) {
      throw badRequest('Invalid sync token value.', 'invalid', 'syncToken');
    }
    // https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server
    if (tok.s < cal.syncFloor) {
      throw new GoogleApiError(
        410,
        'fullSyncRequired',
        'Sync token is no longer valid, a full sync is required.',
        { domain: 'calendar' },
      );
    }
    since = tok.s;
    showDeleted = true;
    // The token keeps the window of the full sync it came from. The reference only says the other
    // parameters "should be the same as for the initial synchronization to avoid undefined
    // behavior" (events/list#syncToken) and the sync guide that incremental sync returns "the
    // resources that have been modified since the last sync request"
    // (https://developers.google.com/calendar/api/guides/sync): either way an event lying beyond
    // the window and left unchanged is never reported. A client thread reports changes beyond
    // timeMax arriving in increments (https://github.com/kidd/org-gcal.el/pull/82); keeping the
    // window is the less forgiving reading (a client must sync in full again to see further ahead).
    from = tok.mn !== undefined ? DateTime.fromMillis(tok.mn) : undefined;
    to = tok.mx !== undefined ? DateTime.fromMillis(tok.mx) : undefined;
  } else {
    from = parseRfc3339(str('timeMin'), 'timeMin');
    to = parseRfc3339(str('timeMax'), 'timeMax');
    updatedMin = parseRfc3339(str('updatedMin'), 'updatedMin');
    if (from && to && to <= from) {
      // https://developers.google.com/calendar/api/guides/errors#400_bad_request (timeRangeEmpty)
      throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', {
        domain: 'calendar',
        location: 'timeMax',
        locationType: 'parameter',
      });
    }
    // orderBy=startTime "is only available when querying single events (i.e. the parameter singleEvents is True)"
    if (orderBy === 'startTime' && !singleEvents)
      throw badRequest(
        'The requested ordering is not available for the particular query.',
        'invalid',
        'orderBy',
      );
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
  const push = (json: Json, start: number, updated: string) =>
    items.push({ sortStart: start, sortUpdated: updated, id: String(json.id), json });

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
            push(
              cancelled
                ? cancelledResource(inst.id, inst.seq, inst.updated, inst)
                : instanceResource(inst, account, cal),
              instantOf(inst.fields.start, cal).toMillis(),
              inst.updated,
            );
          }
        } else {
          for (const [instId, ov] of ev.overrides) {
            if (ov.seq <= since) continue;
            const inst = findInstance(cal, ev, instId);
            if (!inst) continue;
            push(
              inst.fields.status === 'cancelled'
                ? cancelledResource(inst.id, inst.seq, inst.updated, inst)
                : instanceResource(inst, account, cal),
              instantOf(inst.fields.start, cal).toMillis(),
              inst.updated,
            );
          }
        }
      } else {
        if (ev.seq > since)
          push(
            ev.status === 'cancelled'
              ? cancelledResource(ev.id, ev.seq, ev.updated)
              : eventResource(ev, account, cal),
            evStart,
            ev.updated,
          );
        for (const [instId, ov] of ev.overrides) {
          if (ov.seq <= since || ev.seq > since) continue;
          const inst = findInstance(cal, ev, instId);
          if (inst)
            push(
              inst.fields.status === 'cancelled'
                ? cancelledResource(inst.id, inst.seq, inst.updated, inst)
                : instanceResource(inst, account, cal),
              evStart,
              inst.updated,
            );
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
        push(
          cancelled
            ? cancelledResource(inst.id, inst.seq, inst.updated, inst)
            : instanceResource(inst, account, cal),
          instantOf(inst.fields.start, cal).toMillis(),
          inst.updated,
        );
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
    push(
      ev.status === 'cancelled'
        ? cancelledResource(ev.id, ev.seq, ev.updated)
        : eventResource(ev, account, cal),
      evStart,
      ev.updated,
    );
    if (recurring) {
      // Exceptions of a series are listed as their own events when singleEvents is false, and
      // "Cancelled instances of recurring events (but not the underlying recurring event) will still
      // be included if showDeleted and singleEvents are both False" (events.list, showDeleted).
      for (const instId of ev.overrides.keys()) {
        const inst = findInstance(cal, ev, instId);
        if (inst) {
          push(
            inst.fields.status === 'cancelled'
              ? cancelledResource(inst.id, inst.seq, inst.updated, inst)
              : instanceResource(inst, account, cal),
            evStart,
            inst.updated,
          );
        }
      }
    }
  }

  if (orderBy === 'updated')
    items.sort((a, b) => a.sortUpdated.localeCompare(b.sortUpdated) || a.id.localeCompare(b.id));
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
    res.nextPageToken = enc({
      o: page.o + maxResults,
      s: snapshot,
      mn: from?.toMillis(),
      mx: to?.toMillis(),
    });
  } else {
    // nextSyncToken only on the last page: https://developers.google.com/calendar/api/guides/sync
    const window =
      since !== undefined
        ? { mn: from?.toMillis(), mx: to?.toMillis() }
        : { mn: from?.toMillis(), mx: to?.toMillis() };
    res.nextSyncToken = enc({ a: account.email, c: cal.id, s: snapshot, ...window } satisfies SyncTokenData);
  }
  res.items = slice.map((i) => i.json);
  return res;
}
