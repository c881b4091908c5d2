// calendarView delta rounds.
// https://learn.microsoft.com/en-us/graph/api/event-delta
// https://learn.microsoft.com/en-us/graph/delta-query-events
// - The first request of a round names the window (startDateTime/endDateTime); every later
//   request just follows @odata.nextLink ($skiptoken) and finally @odata.deltaLink ($deltatoken),
//   whose opaque state tokens encode the window and any other parameter of the first request.
// - `Prefer: odata.maxpagesize=N` sizes the pages.
// - An incremental round returns events added/updated since the token and
//   {"@odata.type":"#microsoft.graph.event","id":..,"@removed":{"reason":"deleted"}} for deleted ones.
// - A token the service can no longer use is refused and the client must start a full sync again
//   (https://learn.microsoft.com/en-us/graph/delta-query-overview#synchronization-reset: 410 Gone;
//   code syncStateNotFound "The sync state generation is not found. The delta token is expired and
//   data must be synchronized again." per
//   https://devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources/).
import { GraphHttpError } from './graph-errors.ts';
import { instancesInView, expandSeries, type Account, type Instance } from './store.ts';

export interface DeltaState {
  /** account */
  a: string;
  /** calendar id */
  c: string;
  /** window */
  s: number;
  e: number;
  /** changes after this sequence number (0 = full round) */
  b: number;
  /** snapshot: changes up to this sequence number belong to this round (skip tokens only) */
  n?: number;
  /** last instance id already returned in this round (skip tokens only) */
  k?: string;
  /** token generation (admin "expire delta tokens" / fault sync_token_expired bump it) */
  p: number;
  /** full round */
  f?: 1;
}

export function encodeState(s: DeltaState): string {
  return Buffer.from(JSON.stringify(s)).toString('base64url');
}

export function decodeState(token: string, acc: Account): DeltaState {
  let s: DeltaState;
  try {
    s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaState;
    if (typeof s !== 'object' || s === null || typeof s.a !== 'string' || typeof s.s !== 'number')
      throw new Error('shape');
  } catch {
    throw new GraphHttpError(
      410,
      'resyncRequired',
      'The delta token is invalid. A resync is required: start a new round without a token.',
    );
  }
  if (s.a !== acc.email || s.p < acc.deltaEpoch || !acc.calendars.has(s.c)) {
    throw new GraphHttpError(
      410,
      'syncStateNotFound',
      'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
    );
  }
  return s;
}

export type DeltaEntry = { kind: 'changed'; inst: Instance } | { kind: 'removed'; id: string };

/** All entries of a round (sorted by id, so paging by "last id" is stable while events change). */
export function roundEntries(acc: Account, st: DeltaState, snap: number): DeltaEntry[] {
  const out = new Map<string, DeltaEntry>();
  for (const ev of acc.events.values()) {
    if (ev.calendarId !== st.c) continue;
    if (ev.seq > snap) continue; // changed after the round began: next round
    if (st.f) {
      if (ev.deleted) continue;
      for (const inst of instancesInView(ev, st.s, st.e)) out.set(inst.id, { kind: 'changed', inst });
      continue;
    }
    if (ev.seq <= st.b) {
      // Only some occurrences changed on their own (exceptions): those are reported.
      for (const [id, exc] of ev.exceptions ?? []) {
        if (exc.seq <= st.b || exc.seq > snap || ev.deleted) continue;
        const inst = instancesInView(ev, st.s, st.e).find((i) => i.id === id);
        if (inst) out.set(id, { kind: 'changed', inst });
      }
      continue;
    }
    if (ev.deleted) {
      const ids = ev.recurrence ? expandSeries(ev, st.s, st.e).map((i) => i.id) : [ev.id];
      for (const id of ids) out.set(id, { kind: 'removed', id });
      continue;
    }
    const insts = instancesInView(ev, st.s, st.e);
    for (const inst of insts) out.set(inst.id, { kind: 'changed', inst });
    // Moved out of the window: it leaves the view.
    if (!insts.length && !ev.recurrence) out.set(ev.id, { kind: 'removed', id: ev.id });
  }
  return [...out.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([, v]) => v);
}
