// Microsoft Graph v1.0 routes of the sandbox (served over HTTPS, see ../tls.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { decodeState, encodeState, roundEntries, type DeltaState } from './delta.ts';
import { badRequest, GraphHttpError, ifMatchAccepts, notFound, preconditionFailed, sendGraphError } from './graph-errors.ts';
import { parseFilter, type Predicate } from './odata-filter.ts';
import type { Operations } from './operations.ts';
import { renderEvent, renderMessage, type RenderOptions } from './render.ts';
import {
  bodyText,
  expandSeries,
  parseOccurrenceId,
  type Account,
  type ExtendedProperty,
  type FolderName,
  type MicrosoftStore,
  type StoredMessage,
} from './store.ts';
import { createSubscription, renderSubscription } from './subscriptions.ts';
import { isKnownZone } from './time.ts';

type Query = Record<string, string | undefined>;
type Json = Record<string, unknown>;

declare module 'fastify' {
  interface FastifyRequest {
    msAccount?: Account;
  }
}

/** Prefer header values (several headers or one comma-separated list). */
export function preferences(req: FastifyRequest): { maxPageSize?: number; timeZone?: string; bodyType?: 'text' | 'html'; raw: string[] } {
  const h = req.headers.prefer;
  const raw = (Array.isArray(h) ? h : h ? [h] : []).flatMap((v) => v.match(/(?:[^,"]|"[^"]*")+/g) ?? []).map((s) => s.trim());
  const out: { maxPageSize?: number; timeZone?: string; bodyType?: 'text' | 'html'; raw: string[] } = { raw };
  for (const p of raw) {
    const m = /^odata\.maxpagesize\s*=\s*(\d+)$/i.exec(p);
    if (m) out.maxPageSize = Number(m[1]);
    const tz = /^outlook\.timezone\s*=\s*"?([^"]*)"?$/i.exec(p);
    if (tz) out.timeZone = tz[1];
    const bt = /^outlook\.body-content-type\s*=\s*"?(text|html)"?$/i.exec(p);
    if (bt) out.bodyType = bt[1]!.toLowerCase() as 'text' | 'html';
  }
  return out;
}

function account(req: FastifyRequest): Account {
  if (!req.msAccount) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  return req.msAccount;
}

/** `$expand=singleValueExtendedProperties($filter=id eq '...')` */
function expandProps(expand: string | undefined): ((p: ExtendedProperty) => boolean) | null {
  if (!expand) return null;
  const m = /singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(.*)\))?/i.exec(expand);
  if (!m) return null;
  if (!m[1]) return () => true;
  const pred = parseFilter(m[1]);
  return (p) => pred(p);
}

function renderOptions(req: FastifyRequest, ctx: SandboxContext): RenderOptions {
  const q = req.query as Query;
  const tz = preferences(req).timeZone;
  if (tz && !isKnownZone(tz)) {
    throw badRequest(
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${tz}'.`,
      'TimeZoneNotSupportedException',
    );
  }
  return {
    timeZone: tz ?? 'UTC',
    bodyType: preferences(req).bodyType,
    select: q.$select ? q.$select.split(',').map((s) => s.trim()) : undefined,
    expandProps: expandProps(q.$expand),
    baseUrl: ctx.httpsUrl(),
  };
}

function applyPreferenceHeaders(req: FastifyRequest, reply: FastifyReply, applied: string[]) {
  const { timeZone: tz, bodyType } = preferences(req);
  if (tz) applied.push(`outlook.timezone="${tz}"`);
  if (bodyType) applied.push(`outlook.body-content-type="${bodyType}"`);
  if (applied.length) reply.header('Preference-Applied', applied.join(', '));
}

/** Paging for plain collections: $top (+ Prefer maxpagesize) and $skip, with an absolute nextLink. */
function page<T>(req: FastifyRequest, ctx: SandboxContext, items: T[], defaultTop: number) {
  const q = req.query as Query;
  const top = Math.min(Number(q.$top ?? preferences(req).maxPageSize ?? defaultTop) || defaultTop, 1000);
  const skip = Number(q.$skip ?? 0) || 0;
  const slice = items.slice(skip, skip + top);
  let nextLink: string | undefined;
  if (skip + top < items.length) {
    const u = new URL(req.url, ctx.httpsUrl());
    u.searchParams.set('$skip', String(skip + top));
    if (q.$top) u.searchParams.set('$top', String(top));
    nextLink = `${ctx.httpsUrl()}${u.pathname}?${u.searchParams.toString().replace(/\+/g, '%20')}`;
  }
  return { slice, nextLink };
}

// ---- mail search ($search) ------------------------------------------------------------

/**
 * KQL subset on messages: participants:, from:, to:, cc:, subject:, bare words; AND by default, OR.
 * https://learn.microsoft.com/en-us/graph/search-query-parameter#using-search-on-message-collections
 * (participants = from, to, cc, bcc; results sorted by date sent; $search can't be combined with $orderby)
 */
function searchPredicate(raw: string): (m: StoredMessage) => boolean {
  const q = raw.trim().replace(/^"(.*)"$/s, '$1');
  const groups = q.split(/\s+OR\s+/);
  const addrMatch = (list: { address: string; name?: string }[], v: string) =>
    list.some((a) => a.address.toLowerCase().includes(v) || (a.name ?? '').toLowerCase().includes(v));
  const term = (t: string): ((m: StoredMessage) => boolean) => {
    const m = /^(\w+):(.*)$/.exec(t);
    const key = m?.[1]?.toLowerCase();
    const v = (m ? m[2]! : t).replace(/^"(.*)"$/, '$1').toLowerCase();
    switch (key) {
      case 'participants':
        return (x) => addrMatch([...(x.from ? [x.from] : []), ...x.toRecipients, ...x.ccRecipients, ...x.bccRecipients], v);
      case 'from':
        return (x) => addrMatch(x.from ? [x.from] : [], v);
      case 'to':
        return (x) => addrMatch(x.toRecipients, v);
      case 'cc':
        return (x) => addrMatch(x.ccRecipients, v);
      case 'subject':
        return (x) => x.subject.toLowerCase().includes(v);
      case 'body':
        return (x) => bodyText(x.body).toLowerCase().includes(v);
      default:
        return (x) =>
          x.subject.toLowerCase().includes(v) || bodyText(x.body).toLowerCase().includes(v) || addrMatch(x.from ? [x.from] : [], v);
    }
  };
  const preds = groups.map((g) => (g.match(/\w+:"[^"]*"|\S+/g) ?? []).map(term));
  return (m) => preds.some((all) => all.every((p) => p(m)));
}

function sortMessages(list: StoredMessage[], orderby: string | undefined): StoredMessage[] {
  const [field = 'receivedDateTime', dir = 'desc'] = (orderby ?? 'receivedDateTime desc').trim().split(/\s+/);
  const key = (m: StoredMessage) =>
    field.toLowerCase() === 'sentdatetime' ? (m.sentMs ?? 0) : field.toLowerCase() === 'subject' ? m.subject : m.receivedMs;
  return list.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return dir.toLowerCase() === 'desc' ? -c : c;
  });
}

const WELL_KNOWN: Record<string, FolderName> = { drafts: 'drafts', sentitems: 'sentitems', inbox: 'inbox' };

function folderOf(acc: Account, idOrName: string): FolderName {
  const n = idOrName.replace(/^\('?|'?\)$/g, '').toLowerCase();
  if (WELL_KNOWN[n]) return WELL_KNOWN[n]!;
  for (const [k, v] of Object.entries(acc.folderIds)) if (v === idOrName) return k as FolderName;
  throw notFound('The specified folder could not be found in the store.', 'ErrorFolderNotFound');
}

export function registerGraph(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: MicrosoftStore,
  ops: Operations,
) {
  const base = '/v1.0';
  const ctxUrl = (p: string) => `${ctx.httpsUrl()}${base}${p}`;

  // ---- profile ---------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-get
  app.get(`${base}/me`, async (req) => {
    const acc = account(req);
    return {
      '@odata.context': ctxUrl('/$metadata#users/$entity'),
      businessPhones: [],
      displayName: acc.name,
      givenName: acc.name.split(' ')[0] ?? null,
      jobTitle: null,
      mail: acc.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-US',
      surname: acc.name.split(' ').slice(1).join(' ') || null,
      userPrincipalName: acc.email,
      id: acc.userId,
    };
  });

  // https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings (timeZone is a Windows name by default)
  app.get(`${base}/me/mailboxSettings`, async (req) => {
    const acc = account(req);
    return {
      '@odata.context': ctxUrl(`/$metadata#users('${acc.userId}')/mailboxSettings`),
      archiveFolder: acc.folderIds.inbox,
      timeZone: acc.windowsTimeZone,
      delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
      dateFormat: 'yyyy-MM-dd',
      timeFormat: 'HH:mm',
      userPurpose: 'user',
      language: { locale: 'en-US', displayName: 'English (United States)' },
      workingHours: {
        daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
        startTime: '08:00:00.0000000',
        endTime: '17:00:00.0000000',
        timeZone: { name: acc.windowsTimeZone },
      },
    };
  });

  // ---- calendars --------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-calendars
  const renderCalendar = (acc: Account, c: { id: string; name: string; isDefault: boolean; canEdit: boolean }) => ({
    id: c.id,
    name: c.name,
    color: 'auto',
    hexColor: '',
    isDefaultCalendar: c.isDefault,
    changeKey: 'fJKVL07sbkmIfHqjbDnRgQAAAAAAAA==',
    canShare: c.isDefault,
    canViewPrivateItems: true,
    canEdit: c.canEdit,
    allowedOnlineMeetingProviders: ['teamsForBusiness'],
    defaultOnlineMeetingProvider: 'teamsForBusiness',
    isTallyingResponses: true,
    isRemovable: !c.isDefault,
    owner: { name: acc.name, address: acc.email },
  });
  app.get(`${base}/me/calendars`, async (req) => {
    const acc = account(req);
    return { '@odata.context': ctxUrl('/$metadata#users/calendars'), value: [...acc.calendars.values()].map((c) => renderCalendar(acc, c)) };
  });
  app.get(`${base}/me/calendar`, async (req) => {
    const acc = account(req);
    return renderCalendar(acc, store.defaultCalendar(acc));
  });
  app.get<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId`, async (req) => {
    const acc = account(req);
    const c = acc.calendars.get(req.params.calendarId);
    if (!c) throw notFound();
    return renderCalendar(acc, c);
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
      const s = Date.parse(q.startDateTime.includes('Z') || /[+-]\d\d:\d\d$/.test(q.startDateTime) ? q.startDateTime : `${q.startDateTime}Z`);
      const e = Date.parse(q.endDateTime.includes('Z') || /[+-]\d\d:\d\d$/.test(q.endDateTime) ? q.endDateTime : `${q.endDateTime}Z`);
      if (Number.isNaN(s) || Number.isNaN(e)) throw badRequest('The value of startDateTime or endDateTime is not valid.', 'ErrorInvalidParameter');
      const cal = calendarId ? acc.calendars.get(calendarId) : store.defaultCalendar(acc);
      if (!cal) throw notFound();
      st = { a: acc.email, c: cal.id, s, e, b: 0, p: acc.deltaEpoch, f: 1 };
      snap = acc.seq;
    }
    if (calendarId && st.c !== calendarId) throw badRequest('The delta token belongs to another calendar.', 'ErrorInvalidParameter');
    const entries = roundEntries(acc, st, snap).filter((x) => (st.k ? (x.kind === 'changed' ? x.inst.id : x.id) > st.k : true));
    const slice = entries.slice(0, pageSize);
    const path = calendarId ? `/me/calendars/${calendarId}/calendarView/delta` : '/me/calendarView/delta';
    const value = slice.map((x) =>
      x.kind === 'changed'
        ? renderEvent(acc, x.inst, opts)
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
  app.get<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId/calendarView/delta`, async (req, reply) =>
    delta(req, reply, req.params.calendarId),
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
    const cal = calendarId ? acc.calendars.get(calendarId) : store.defaultCalendar(acc);
    if (!cal) throw notFound();
    const opts = renderOptions(req, ctx);
    const insts = [...acc.events.values()]
      .filter((ev) => !ev.deleted && ev.calendarId === cal.id)
      .flatMap((ev) => (ev.recurrence ? expandSeries(ev, s, e) : ev.endMs > s && ev.startMs < e ? [{ event: ev, id: ev.id, type: 'singleInstance' as const, startMs: ev.startMs, endMs: ev.endMs }] : []))
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
  app.get<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId/calendarView`, async (req, reply) =>
    calendarView(req, reply, req.params.calendarId),
  );

  // ---- events CRUD --------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-events (single instances and series masters)
  const listEvents = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const q = req.query as Query;
    const opts = renderOptions(req, ctx);
    if (calendarId && !acc.calendars.has(calendarId)) throw notFound();
    let events = [...acc.events.values()].filter((ev) => !ev.deleted && (!calendarId || ev.calendarId === calendarId));
    if (q.$filter) {
      const pred: Predicate = parseFilter(q.$filter);
      // The filter sees the event's Graph shape plus its extended properties.
      events = events.filter((ev) =>
        pred({
          ...renderEvent(acc, { event: ev, id: ev.id, type: ev.recurrence ? 'seriesMaster' : 'singleInstance', startMs: ev.startMs, endMs: ev.endMs }, { ...opts, select: undefined }),
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
        renderEvent(acc, { event: ev, id: ev.id, type: ev.recurrence ? 'seriesMaster' : 'singleInstance', startMs: ev.startMs, endMs: ev.endMs }, opts),
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
      const inst = master ? expandSeries(master, day - 86_400_000 * 2, day + 86_400_000 * 2).find((i) => i.id === id) : undefined;
      if (!inst) throw notFound();
      return renderEvent(acc, inst, opts);
    }
    const ev = store.findEvent(acc, id);
    if (!ev) throw notFound();
    return renderEvent(acc, { event: ev, id: ev.id, type: ev.recurrence ? 'seriesMaster' : 'singleInstance', startMs: ev.startMs, endMs: ev.endMs }, opts);
  };

  const createEvent = async (req: FastifyRequest, reply: FastifyReply, calendarId: string | null) => {
    const acc = account(req);
    const ev = ops.createEvent(acc, calendarId ?? store.defaultCalendar(acc).id, (req.body as Json) ?? {});
    const out = renderStored(req, reply, acc, ev.id);
    return reply.code(201).header('Location', ctxUrl(`/me/events/${ev.id}`)).send(out);
  };
  app.post(`${base}/me/events`, async (req, reply) => createEvent(req, reply, null));
  app.post(`${base}/me/calendar/events`, async (req, reply) => createEvent(req, reply, null));
  app.post<{ Params: { calendarId: string } }>(`${base}/me/calendars/:calendarId/events`, async (req, reply) =>
    createEvent(req, reply, req.params.calendarId),
  );

  for (const prefix of [`${base}/me/events/:id`, `${base}/me/calendars/:calendarId/events/:id`]) {
    app.get<{ Params: { id: string } }>(prefix, async (req, reply) => renderStored(req, reply, account(req), req.params.id));
    app.patch<{ Params: { id: string } }>(prefix, async (req, reply) => {
      const acc = account(req);
      if (parseOccurrenceId(req.params.id)) throw badRequest('Changing a single occurrence is not supported by the sandbox.', 'ErrorInvalidRequest');
      // If-Match: W/"<changeKey>" (the event's @odata.etag): a stale one is refused with 412.
      const ev = store.findEvent(acc, req.params.id);
      if (ev && !ifMatchAccepts(req.headers['if-match'], ev.changeKey)) throw preconditionFailed();
      ops.updateEvent(acc, req.params.id, (req.body as Json) ?? {});
      return renderStored(req, reply, acc, req.params.id);
    });
    app.delete<{ Params: { id: string } }>(prefix, async (req, reply) => {
      ops.deleteEvent(account(req), req.params.id);
      return reply.code(204).send();
    });
  }

  // ---- messages -----------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-messages
  const listMessages = async (req: FastifyRequest, folder: FolderName | null) => {
    const acc = account(req);
    const q = req.query as Query;
    const opts = renderOptions(req, ctx);
    let msgs = [...acc.messages.values()].filter((m) => !folder || m.folder === folder);
    if (q.$search !== undefined) {
      if (q.$orderby) {
        throw badRequest("The query parameter '$orderBy' is not supported with '$search'.", 'ErrorInvalidUrlQuery');
      }
      const pred = searchPredicate(q.$search);
      msgs = msgs.filter(pred);
    }
    if (q.$filter) {
      const pred = parseFilter(q.$filter);
      msgs = msgs.filter((m) => pred({ ...renderMessage(acc, m, { ...opts, select: undefined, expandProps: null }), singleValueExtendedProperties: m.extendedProperties }));
    }
    msgs = q.$search !== undefined ? sortMessages(msgs, 'sentDateTime desc') : sortMessages(msgs, q.$orderby);
    const { slice, nextLink } = page(req, ctx, msgs, 10);
    return {
      '@odata.context': ctxUrl('/$metadata#users/messages'),
      value: slice.map((m) => renderMessage(acc, m, opts)),
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    };
  };
  app.get(`${base}/me/messages`, async (req) => listMessages(req, null));
  app.get<{ Params: { folder: string } }>(`${base}/me/mailFolders/:folder/messages`, async (req) =>
    listMessages(req, folderOf(account(req), req.params.folder)),
  );
  app.get<{ Params: { folder: string } }>(`${base}/me/mailFolders/:folder`, async (req) => {
    const acc = account(req);
    const f = folderOf(acc, req.params.folder);
    const count = [...acc.messages.values()].filter((m) => m.folder === f).length;
    const names: Record<FolderName, string> = { drafts: 'Drafts', sentitems: 'Sent Items', inbox: 'Inbox' };
    return { id: acc.folderIds[f], displayName: names[f], parentFolderId: null, childFolderCount: 0, unreadItemCount: 0, totalItemCount: count, isHidden: false };
  });

  app.post(`${base}/me/messages`, async (req, reply) => {
    const acc = account(req);
    const m = ops.createDraft(acc, (req.body as Json) ?? {});
    return reply.code(201).send(renderMessage(acc, m, renderOptions(req, ctx)));
  });
  app.post<{ Params: { folder: string } }>(`${base}/me/mailFolders/:folder/messages`, async (req, reply) => {
    const acc = account(req);
    if (folderOf(acc, req.params.folder) !== 'drafts') throw badRequest('Only drafts can be created by the sandbox.', 'ErrorInvalidOperation');
    const m = ops.createDraft(acc, (req.body as Json) ?? {});
    return reply.code(201).send(renderMessage(acc, m, renderOptions(req, ctx)));
  });
  app.get<{ Params: { id: string } }>(`${base}/me/messages/:id`, async (req) => {
    const acc = account(req);
    const m = acc.messages.get(req.params.id);
    if (!m) throw notFound();
    return renderMessage(acc, m, renderOptions(req, ctx));
  });
  // https://learn.microsoft.com/en-us/graph/api/message-update. If-Match: W/"<changeKey>" (the
  // message's @odata.etag, bare changeKey accepted too): a stale one is refused with 412
  // ErrorIrresolvableConflict and the message is left as it is. A missing message stays a 404.
  app.patch<{ Params: { id: string } }>(`${base}/me/messages/:id`, async (req) => {
    const acc = account(req);
    const current = acc.messages.get(req.params.id);
    if (current && !ifMatchAccepts(req.headers['if-match'], current.changeKey)) throw preconditionFailed();
    const m = ops.updateMessage(acc, req.params.id, (req.body as Json) ?? {});
    return renderMessage(acc, m, renderOptions(req, ctx));
  });
  app.delete<{ Params: { id: string } }>(`${base}/me/messages/:id`, async (req, reply) => {
    ops.deleteMessage(account(req), req.params.id);
    return reply.code(204).send();
  });
  // https://learn.microsoft.com/en-us/graph/api/message-send: 202 Accepted, no body.
  app.post<{ Params: { id: string } }>(`${base}/me/messages/:id/send`, async (req, reply) => {
    ops.sendDraft(account(req), req.params.id);
    return reply.code(202).send();
  });

  // ---- subscriptions ---------------------------------------------------------------------------
  app.post(`${base}/subscriptions`, async (req, reply) => {
    const acc = account(req);
    const sub = await createSubscription(store, acc, (req.body as Json) ?? {}, ctx.now().getTime());
    return reply.code(201).send(renderSubscription(sub, acc.userId));
  });
  app.get<{ Params: { id: string } }>(`${base}/subscriptions/:id`, async (req) => {
    const acc = account(req);
    const sub = store.subscriptions.get(req.params.id);
    if (!sub || sub.email !== acc.email) throw notFound(`The object was not found.`, 'ResourceNotFound');
    return renderSubscription(sub, acc.userId);
  });
  app.delete<{ Params: { id: string } }>(`${base}/subscriptions/:id`, async (req, reply) => {
    const acc = account(req);
    const sub = store.subscriptions.get(req.params.id);
    if (!sub || sub.email !== acc.email) throw notFound(`The object was not found.`, 'ResourceNotFound');
    store.subscriptions.delete(sub.id);
    return reply.code(204).send();
  });

  // ---- JSON batching -------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/json-batching: up to 20 requests, each {id, method,
  // url (relative to the version), headers, body, dependsOn}; responses {id, status, headers, body}.
  // A failed dependency answers 424.
  app.post(`${base}/$batch`, async (req) => {
    account(req);
    const body = req.body as { requests?: unknown } | undefined;
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0) throw badRequest('Invalid batch payload format.', 'BadRequest');
    if (requests.length > 20) throw badRequest('Number of included requests in the request body exceeds the limit of 20.', 'BadRequest');
    const ids = new Set<string>();
    for (const r of requests as Json[]) {
      if (typeof r.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') {
        throw badRequest('Each batch request needs an id, a method and a url.', 'BadRequest');
      }
      if (ids.has(r.id)) throw badRequest(`Batch request ids must be unique: '${r.id}'.`, 'BadRequest');
      ids.add(r.id);
    }
    const statusById = new Map<string, number>();
    const responses: Json[] = [];
    for (const r of requests as Json[]) {
      const id = r.id as string;
      const deps = Array.isArray(r.dependsOn) ? (r.dependsOn as string[]) : [];
      if (deps.some((d) => (statusById.get(d) ?? 424) >= 400)) {
        statusById.set(id, 424);
        responses.push({ id, status: 424, headers: { 'Content-Type': 'application/json' }, body: { error: { code: 'FailedDependency', message: 'A request this one depends on failed.' } } });
        continue;
      }
      const url = (r.url as string).replace(/^https:\/\/[^/]+\/v1\.0/, '');
      const headers: Record<string, string> = { ...((r.headers as Record<string, string>) ?? {}) };
      headers.authorization = req.headers.authorization ?? '';
      if (req.headers.prefer && !headers.prefer && !headers.Prefer) headers.prefer = String(req.headers.prefer);
      const hasBody = r.body !== undefined;
      if (hasBody && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
        throw badRequest(`Content-Type header is required for request '${id}' with a body.`, 'BadRequest');
      }
      // Each step runs through the whole pipeline (auth, faults) like a separate request.
      const res = await fetch(`${ctx.httpsUrl()}${base}${url.startsWith('/') ? '' : '/'}${url}`, {
        method: (r.method as string).toUpperCase(),
        headers,
        body: hasBody ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined,
      });
      statusById.set(id, res.status);
      const ct = res.headers.get('content-type') ?? '';
      const outHeaders: Record<string, string> = {};
      if (ct) outHeaders['Content-Type'] = ct;
      const retryAfter = res.headers.get('retry-after');
      if (retryAfter) outHeaders['Retry-After'] = retryAfter;
      const text = await res.text();
      responses.push({ id, status: res.status, headers: outHeaders, ...(text ? { body: ct.includes('json') ? JSON.parse(text) : text } : {}) });
    }
    return { responses };
  });

  // Anything else under /v1.0: Graph's "segment not found" 400.
  app.all(`${base}/*`, async (req) => {
    const seg = req.url.split('?')[0]!.replace(`${base}/`, '').split('/').pop();
    throw badRequest(`Resource not found for the segment '${seg}'.`, 'BadRequest');
  });

  void sendGraphError;
}
