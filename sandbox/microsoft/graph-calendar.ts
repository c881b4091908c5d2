// Graph v1.0 calendar routes of the sandbox: calendars, calendarView (and its delta) and events.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { decodeState, encodeState, roundEntries, type DeltaState } from './delta.ts';
import { badRequest, ifMatchAccepts, malformedId, notFound, preconditionFailed } from './graph-errors.ts';
import { parseFilter, type Predicate } from './odata-filter.ts';
import type { Operations } from './operations.ts';
import { renderEvent } from './render.ts';
import {
  expandSeries,
  parseOccurrenceId,
  type Account,
  type MicrosoftStore,
  type StoredCalendar,
} from './store.ts';
import {
  type Json,
  type Query,
  account,
  applyPreferenceHeaders,
  page,
  preferences,
  renderOptions,
} from './graph-request.ts';

/**
 * An occurrence of a series as calendarView/delta returns it: a stub with only @odata.type,
 * @odata.etag, id, seriesMasterId, type, start and end. Subject, attendees, responseStatus,
 * isCancelled, isAllDay, originalStartTimeZone... live on the series master
 * (GET /me/events/{seriesMasterId}) or on the occurrence itself (GET /me/events/{id}); plain
 * calendarView and GET return full occurrences. Not in the reference pages; reported from live
 * tenants in https://github.com/microsoftgraph/microsoft-graph-docs/issues/7632,
 * https://github.com/microsoftgraph/microsoft-graph-docs/issues/1716 and
 * https://github.com/microsoftgraph/microsoft-graph-docs/issues/22197. Those threads show
 * occurrences; exceptions (type "exception") are served as stubs too, the less forgiving reading.
 */
function occurrenceStub(full: Record<string, unknown>): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.event',
    '@odata.etag': full['@odata.etag'],
    id: full.id,
    seriesMasterId: full.seriesMasterId,
    type: full.type,
    start: full.start,
    end: full.end,
  };
}

export function registerCalendarRoutes(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: MicrosoftStore,
  ops: Operations,
) {
  const base = '/v1.0';
  const ctxUrl = (p: string) => `${ctx.httpsUrl()}${base}${p}`;

  /**
   * A calendar named by id in the path. Exchange ids are long base64 strings; anything else (a
   * calendar name, Google's `primary`) is refused as malformed, an unknown well-formed id is 404
   * ErrorItemNotFound (https://learn.microsoft.com/en-us/graph/errors; see graph-errors.ts).
   */
  const calendarById = (acc: Account, id: string): StoredCalendar => {
    const c = acc.calendars.get(id);
    if (c) return c;
    if (!/^[A-Za-z0-9+/_=-]{24,}$/.test(id)) throw malformedId();
    throw notFound();
  };

  // ---- calendars --------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-calendars
  const renderCalendar = (
    acc: Account,
    c: { id: string; name: string; isDefault: boolean; canEdit: boolean },
  ) => ({
    id: c.id,
    name: c.name,
    color: 'auto',
    hexColor: '',
    isDefaultCalendar: c.isDefault,
    changeKey: 'fJKVL07sbkmIfHqjbDnRgQAAAAAAAA==',
    canShare: c.isDefault,
    canViewPrivateItems: true,
    canEdit: c.canEdit,
    // https://learn.microsoft.com/en-us/graph/api/resources/calendar: the providers a calendar can
    // create online meetings with. A personal (outlook.com) account offers `skypeForConsumer` at most,
    // and even that makes no link on event create
    // (https://github.com/elie222/inbox-zero/pull/3442): see operations.ts createEvent.
    allowedOnlineMeetingProviders: acc.personal ? ['skypeForConsumer'] : ['teamsForBusiness'],
    defaultOnlineMeetingProvider: acc.personal ? 'skypeForConsumer' : 'teamsForBusiness',
    isTallyingResponses: true,
    isRemovable: !c.isDefault,
    owner: { name: acc.name, address: acc.email },
  });
  app.get(`${base}/me/calendars`, async (req) => {
    const acc = account(req);
    return {
      '@odata.context': ctxUrl('/$metadata#users/calendars'),
      value: [...acc.calendars.values()].map((c) => renderCalendar(acc, c)),
    };
  });
  app.get(`${base}/me/calendar`, async (req) => {
    const acc = account(req);
    return renderCalendar(acc, store.defaultCalendar(acc));
  });
  app.get<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId`, async (req) => {
    const acc = account(req);
    return renderCalendar(acc, calendarById(acc, req.params.calendarId));
  });

  // ---- calendarView delta ------------------------------------------------------------------
  const delta = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const q = req.query as Query;
    const opts = renderOptions(req, ctx);
    const prefs = preferences(req);
    const pageSize = Math.max(1, Math.min(prefs.maxPageSize ?? 100, 1000));
    const token = q.$deltatoken ?? q.$skiptoken ?? q.$skipToken ?? q.$deltaToken;
    let st: DeltaState;
    let snap: number;
    if (token) {
      st = decodeState(token, acc);
      snap = st.n ?? acc.seq;
    } else {
      // https://learn.microsoft.com/en-us/graph/api/event-delta#query-parameters: startDateTime and
      // endDateTime are required in the first request of a round.
      if (!q.startDateTime || !q.endDateTime) {
        throw badRequest(
          'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
          'ErrorInvalidParameter',
        );
      }
      const s = Date.parse(
        q.startDateTime.includes('Z') || /[+-]\d\d:\d\d$/.test(q.startDateTime)
          ? q.startDateTime
          : `${q.startDateTime}Z`,
      );
      const e = Date.parse(
        q.endDateTime.includes('Z') || /[+-]\d\d:\d\d$/.test(q.endDateTime)
          ? q.endDateTime
          : `${q.endDateTime}Z`,
      );
      if (Number.isNaN(s) || Number.isNaN(e))
        throw badRequest('The value of startDateTime or endDateTime is not valid.', 'ErrorInvalidParameter');
      const cal = calendarId ? calendarById(acc, calendarId) : store.defaultCalendar(acc);
      st = { a: acc.email, c: cal.id, s, e, b: 0, p: acc.deltaEpoch, f: 1 };
      snap = acc.seq;
    }
    if (calendarId && st.c !== calendarId)
      throw badRequest('The delta token belongs to another calendar.', 'ErrorInvalidParameter');
    const entries = roundEntries(acc, st, snap).filter((x) =>
      st.k ? (x.kind === 'changed' ? x.inst.id : x.id) > st.k : true,
    );
    const slice = entries.slice(0, pageSize);
    const path = calendarId ? `/me/calendars/${calendarId}/calendarView/delta` : '/me/calendarView/delta';
    const value = slice.map((x) =>
      x.kind === 'changed'
        ? x.inst.type === 'occurrence' || x.inst.type === 'exception'
          ? occurrenceStub(renderEvent(acc, x.inst, opts))
          : renderEvent(acc, x.inst, opts)
        : { '@odata.type': '#microsoft.graph.event', id: x.id, '@removed': { reason: 'deleted' } },
    );
    const out: Json = { '@odata.context': ctxUrl('/$metadata#Collection(event)') };
    if (entries.length > slice.length) {
      const last = slice[slice.length - 1]!;
      const next: DeltaState = { ...st, n: snap, k: last.kind === 'changed' ? last.inst.id : last.id };
      out['@odata.nextLink'] = ctxUrl(`${path}?$skiptoken=${encodeState(next)}`);
    } else {
      const done: DeltaState = { a: st.a, c: st.c, s: st.s, e: st.e, b: snap, p: acc.deltaEpoch };
      out['@odata.deltaLink'] = ctxUrl(`${path}?$deltatoken=${encodeState(done)}`);
    }
    out.value = value;
    applyPreferenceHeaders(req, reply, prefs.maxPageSize ? [`odata.maxpagesize=${pageSize}`] : []);
    return out;
  };
  app.get(`${base}/me/calendarView/delta`, async (req, reply) => delta(req, reply, null));
  app.get(`${base}/me/calendar/calendarView/delta`, async (req, reply) => delta(req, reply, null));
  app.get<{ Params: { calendarId: string } }>(
    `${base}/me/calendars/:calendarId/calendarView/delta`,
    async (req, reply) => delta(req, reply, req.params.calendarId),
  );

  // Plain calendarView (no delta). https://learn.microsoft.com/en-us/graph/api/user-list-calendarview
  const calendarView = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const q = req.query as Query;
    if (!q.startDateTime || !q.endDateTime) {
      throw badRequest(
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
        'ErrorInvalidParameter',
      );
    }
    const s = Date.parse(q.startDateTime);
    const e = Date.parse(q.endDateTime);
    const cal = calendarId ? calendarById(acc, calendarId) : store.defaultCalendar(acc);
    const opts = renderOptions(req, ctx);
    const insts = [...acc.events.values()]
      .filter((ev) => !ev.deleted && ev.calendarId === cal.id)
      .flatMap((ev) =>
        ev.recurrence
          ? expandSeries(ev, s, e)
          : ev.endMs > s && ev.startMs < e
            ? [
                {
                  event: ev,
                  id: ev.id,
                  type: 'singleInstance' as const,
                  startMs: ev.startMs,
                  endMs: ev.endMs,
                },
              ]
            : [],
      )
      .sort((a, b) => a.startMs - b.startMs);
    const { slice, nextLink } = page(req, ctx, insts, 10);
    applyPreferenceHeaders(req, reply, []);
    return {
      '@odata.context': ctxUrl('/$metadata#users/calendarView'),
      value: slice.map((i) => renderEvent(acc, i, opts)),
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    };
  };
  app.get(`${base}/me/calendarView`, async (req, reply) => calendarView(req, reply, null));
  app.get<{ Params: { calendarId: string } }>(
    `${base}/me/calendars/:calendarId/calendarView`,
    async (req, reply) => calendarView(req, reply, req.params.calendarId),
  );

  // ---- events CRUD --------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-events (single instances and series masters)
  const listEvents = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const q = req.query as Query;
    const opts = renderOptions(req, ctx);
    if (calendarId) calendarById(acc, calendarId);
    let events = [...acc.events.values()].filter(
      (ev) => !ev.deleted && (!calendarId || ev.calendarId === calendarId),
    );
    if (q.$filter) {
      const pred: Predicate = parseFilter(q.$filter);
      // The filter sees the event's Graph shape plus its extended properties.
      events = events.filter((ev) =>
        pred({
          ...renderEvent(
            acc,
            {
              event: ev,
              id: ev.id,
              type: ev.recurrence ? 'seriesMaster' : 'singleInstance',
              startMs: ev.startMs,
              endMs: ev.endMs,
            },
            { ...opts, select: undefined },
          ),
          singleValueExtendedProperties: ev.extendedProperties,
        }),
      );
    }
    events.sort((a, b) => a.createdMs - b.createdMs);
    const { slice, nextLink } = page(req, ctx, events, 10);
    applyPreferenceHeaders(req, reply, []);
    return {
      '@odata.context': ctxUrl('/$metadata#users/events'),
      value: slice.map((ev) =>
        renderEvent(
          acc,
          {
            event: ev,
            id: ev.id,
            type: ev.recurrence ? 'seriesMaster' : 'singleInstance',
            startMs: ev.startMs,
            endMs: ev.endMs,
          },
          opts,
        ),
      ),
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    };
  };
  app.get(`${base}/me/events`, async (req, reply) => listEvents(req, reply, null));
  app.get<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId/events`, async (req, reply) =>
    listEvents(req, reply, req.params.calendarId),
  );

  const renderStored = (req: FastifyRequest, reply: FastifyReply, acc: Account, id: string) => {
    const opts = renderOptions(req, ctx);
    applyPreferenceHeaders(req, reply, []);
    const occ = parseOccurrenceId(id);
    if (occ) {
      const master = store.findEvent(acc, occ.masterId);
      const day = Date.parse(`${occ.date}T00:00:00Z`);
      const inst = master
        ? expandSeries(master, day - 86_400_000 * 2, day + 86_400_000 * 2).find((i) => i.id === id)
        : undefined;
      if (!inst) throw notFound();
      return renderEvent(acc, inst, opts);
    }
    const ev = store.findEvent(acc, id);
    if (!ev) throw notFound();
    return renderEvent(
      acc,
      {
        event: ev,
        id: ev.id,
        type: ev.recurrence ? 'seriesMaster' : 'singleInstance',
        startMs: ev.startMs,
        endMs: ev.endMs,
      },
      opts,
    );
  };

  const createEvent = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const calId = calendarId ? calendarById(acc, calendarId).id : store.defaultCalendar(acc).id;
    const ev = ops.createEvent(acc, calId, (req.body as Json) ?? {});
    const out = renderStored(req, reply, acc, ev.id);
    return reply
      .code(201)
      .header('Location', ctxUrl(`/me/events/${ev.id}`))
      .send(out);
  };
  app.post(`${base}/me/events`, async (req, reply) => createEvent(req, reply, null));
  app.post(`${base}/me/calendar/events`, async (req, reply) => createEvent(req, reply, null));
  app.post<{ Params: { calendarId: string } }>(
    `${base}/me/calendars/:calendarId/events`,
    async (req, reply) => createEvent(req, reply, req.params.calendarId),
  );

  for (const prefix of [`${base}/me/events/:id`, `${base}/me/calendars/:calendarId/events/:id`]) {
    app.get<{ Params: { id: string } }>(prefix, async (req, reply) =>
      renderStored(req, reply, account(req), req.params.id),
    );
    app.patch<{ Params: { id: string } }>(prefix, async (req, reply) => {
      const acc = account(req);
      if (parseOccurrenceId(req.params.id))
        throw badRequest(
          'Changing a single occurrence is not supported by the sandbox.',
          'ErrorInvalidRequest',
        );
      // If-Match: W/"<changeKey>" (the event's @odata.etag): a stale one is refused with 412 (or 409).
      const ev = store.findEvent(acc, req.params.id);
      if (ev && !ifMatchAccepts(req.headers['if-match'], ev.changeKey))
        throw preconditionFailed(store.ifMatchConflictStatus);
      ops.updateEvent(acc, req.params.id, (req.body as Json) ?? {});
      return renderStored(req, reply, acc, req.params.id);
    });
    app.delete<{ Params: { id: string } }>(prefix, async (req, reply) => {
      ops.deleteEvent(account(req), req.params.id);
      return reply.code(204).send();
    });
  }
}
