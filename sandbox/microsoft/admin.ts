// The typed seeding/reading API of the Microsoft sandbox (`sandbox.microsoft.*`) and its HTTP
// twin under /__admin/microsoft (documented in README.md).
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { SandboxContext } from '../context.ts';
import { thirdPartyICalUId, type Operations } from './operations.ts';
import { renderEvent, renderMessage } from './render.ts';
import {
  bodyText,
  newId,
  type Account,
  type FolderName,
  type EntraApp,
  type MicrosoftStore,
  type StoredEvent,
  type StoredMessage,
} from './store.ts';
import { ianaFor } from './time.ts';

const person = z.object({ email: z.string(), name: z.string().optional() });

export const accountInput = z.object({
  email: z.string().min(3),
  name: z.string().optional(),
  /** Windows zone name, as mailboxSettings reports it ("Tokyo Standard Time"). */
  windowsTimeZone: z.string().optional(),
  refreshToken: z.string().optional(),
  /** Other SMTP addresses of the mailbox (proxyAddresses `smtp:alias@x`). */
  aliases: z.array(z.string()).optional(),
  /** A personal Microsoft account (outlook.com): no Teams meetings (see operations.ts createEvent). */
  personal: z.boolean().optional(),
});

const occurrenceInput = z.object({
  isCancelled: z.boolean().optional(),
  response: z.enum(['accepted', 'tentativelyAccepted', 'declined']).optional(),
});

const time = z.union([z.string(), z.object({ dateTime: z.string(), timeZone: z.string() })]);

export const eventInput = z.object({
  calendarId: z.string().optional(),
  subject: z.string().default(''),
  /** ISO instant ("2026-12-01T09:00:00Z") or Graph {dateTime, timeZone}; all-day: "2026-12-01". */
  start: time,
  end: time,
  /** Windows (or IANA) zone the event was scheduled in: originalStartTimeZone. Default: the mailbox zone. */
  timeZone: z.string().optional(),
  isAllDay: z.boolean().optional(),
  body: z.string().optional(),
  bodyHtml: z.string().optional(),
  location: z.string().optional(),
  organizer: person.optional(),
  attendees: z
    .array(
      person.extend({
        type: z.enum(['required', 'optional', 'resource']).optional(),
        response: z
          .enum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded'])
          .optional(),
      }),
    )
    .optional(),
  isOnlineMeeting: z.boolean().optional(),
  isCancelled: z.boolean().optional(),
  showAs: z.string().optional(),
  /** Simple form, or a raw Graph patternedRecurrence. */
  recurrence: z
    .union([
      z.object({
        frequency: z.enum(['daily', 'weekly', 'monthly', 'yearly']),
        interval: z.number().int().positive().optional(),
        count: z.number().int().positive().optional(),
        until: z.string().optional(),
        daysOfWeek: z.array(z.string()).optional(),
      }),
      z.object({ pattern: z.record(z.string(), z.unknown()), range: z.record(z.string(), z.unknown()) }),
    ])
    .optional(),
  /**
   * Overrides the reported originalStartTimeZone/originalEndTimeZone after the times are placed
   * with `timeZone`: e.g. "tzone://Microsoft/Custom", which Graph reports for events whose zone
   * came from an ICS VTIMEZONE it could not name.
   */
  originalTimeZoneLabel: z.string().optional(),
  /** singleValueExtendedProperties: { "String {guid} Name x": "value" } */
  extendedProperties: z.record(z.string(), z.string()).optional(),
  /**
   * The iCalendar UID of a meeting that reached this mailbox from a non-Exchange organizer (a
   * Google invite): Exchange keeps it inside the event's global object id, which Graph reports as
   * `iCalUId` (see thirdPartyICalUId in operations.ts).
   */
  uid: z.string().min(1).optional(),
});
export type EventInput = z.input<typeof eventInput>;

export const messageInput = z.object({
  folder: z.enum(['inbox', 'sentitems']).default('inbox'),
  from: person.optional(),
  to: z.array(person).default([]),
  cc: z.array(person).default([]),
  subject: z.string().default(''),
  text: z.string().optional(),
  html: z.string().optional(),
  /** When it was received (inbox) or sent (sentitems). Default: now. */
  at: z.string().optional(),
  internetMessageId: z.string().optional(),
  /**
   * The internetMessageId of the message this one answers (its In-Reply-To): it joins that
   * message's conversation, as Exchange threads a reply into the conversation of the message it
   * answers (conversationId: "The ID of the conversation the email belongs to",
   * https://learn.microsoft.com/en-us/graph/api/resources/message).
   */
  inReplyTo: z.string().optional(),
});
export type MessageInput = z.input<typeof messageInput>;

export interface DecodedMessage {
  id: string;
  folder: FolderName;
  isDraft: boolean;
  from?: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  internetMessageId: string;
  conversationId: string;
  changeKey: string;
  markers: Record<string, string>;
  receivedDateTime: string;
  sentDateTime: string | null;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function decode(m: StoredMessage): DecodedMessage {
  return {
    id: m.id,
    folder: m.folder,
    isDraft: m.isDraft,
    ...(m.from ? { from: m.from.address } : {}),
    to: m.toRecipients.map((r) => r.address),
    cc: m.ccRecipients.map((r) => r.address),
    subject: m.subject,
    text: bodyText(m.body),
    html: m.body.contentType === 'html' ? m.body.content : null,
    internetMessageId: m.internetMessageId,
    conversationId: m.conversationId,
    changeKey: m.changeKey,
    markers: Object.fromEntries(m.extendedProperties.map((p) => [p.id, p.value])),
    // Graph's message timestamps have second precision.
    receivedDateTime: new Date(m.receivedMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sentDateTime: m.sentMs === null ? null : new Date(m.sentMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** The conversation of the message with this internetMessageId in the mailbox, when there is one. */
function conversationOf(a: Account, internetMessageId: string): { conversationId?: string } {
  const bare = (id: string) => id.trim().replace(/^<|>$/g, '').toLowerCase();
  for (const m of a.messages.values())
    if (bare(m.internetMessageId) === bare(internetMessageId)) return { conversationId: m.conversationId };
  return {};
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export function createAdminApi(store: MicrosoftStore, ops: Operations, ctx: SandboxContext) {
  const acc = (email: string): Account => {
    const a = store.account(email);
    if (!a) throw new AdminError(404, `no microsoft sandbox account ${email}`);
    return a;
  };

  const graphTime = (t: z.infer<typeof time>, zone: string, allDay: boolean) => {
    if (typeof t !== 'string') return t;
    if (allDay || /^\d{4}-\d{2}-\d{2}$/.test(t))
      return { dateTime: `${t.slice(0, 10)}T00:00:00`, timeZone: zone };
    const dt = DateTime.fromISO(t, { setZone: true });
    if (!dt.isValid) throw new AdminError(400, `invalid time ${t}`);
    return { dateTime: dt.setZone(ianaFor(zone) ?? 'UTC').toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: zone };
  };

  const toGraphBody = (a: Account, input: Partial<z.output<typeof eventInput>>): Record<string, unknown> => {
    const zone = input.timeZone ?? a.windowsTimeZone;
    if (!ianaFor(zone)) throw new AdminError(400, `unknown time zone ${zone}`);
    const allDay = input.isAllDay === true;
    const body: Record<string, unknown> = {};
    if (input.subject !== undefined) body.subject = input.subject;
    if (input.start !== undefined) body.start = graphTime(input.start, zone, allDay);
    if (input.end !== undefined) body.end = graphTime(input.end, zone, allDay);
    if (input.isAllDay !== undefined) body.isAllDay = input.isAllDay;
    if (input.bodyHtml !== undefined) body.body = { contentType: 'html', content: input.bodyHtml };
    else if (input.body !== undefined) body.body = { contentType: 'text', content: input.body };
    if (input.location !== undefined) body.location = { displayName: input.location };
    if (input.organizer)
      body.organizer = { emailAddress: { address: input.organizer.email, name: input.organizer.name } };
    if (input.attendees) {
      body.attendees = input.attendees.map((x) => ({
        type: x.type ?? 'required',
        emailAddress: { address: x.email, name: x.name },
        status: { response: x.response ?? 'none' },
      }));
    }
    if (input.isOnlineMeeting !== undefined) body.isOnlineMeeting = input.isOnlineMeeting;
    if (input.isCancelled !== undefined) body.isCancelled = input.isCancelled;
    if (input.showAs !== undefined) body.showAs = input.showAs;
    if (input.extendedProperties) {
      body.singleValueExtendedProperties = Object.entries(input.extendedProperties).map(([id, value]) => ({
        id,
        value,
      }));
    }
    const rec = input.recurrence;
    if (rec && 'frequency' in rec) {
      const startStr = input.start !== undefined ? graphTime(input.start, zone, allDay).dateTime : undefined;
      if (!startStr) throw new AdminError(400, 'a recurrence needs the start');
      const local = DateTime.fromISO(startStr, { zone: ianaFor(zone) ?? 'UTC' });
      const type =
        rec.frequency === 'monthly'
          ? 'absoluteMonthly'
          : rec.frequency === 'yearly'
            ? 'absoluteYearly'
            : rec.frequency;
      body.recurrence = {
        pattern: {
          type,
          interval: rec.interval ?? 1,
          ...(type === 'weekly'
            ? { daysOfWeek: rec.daysOfWeek ?? [WEEKDAYS[local.weekday - 1]], firstDayOfWeek: 'sunday' }
            : {}),
          ...(type === 'absoluteMonthly' || type === 'absoluteYearly' ? { dayOfMonth: local.day } : {}),
          ...(type === 'absoluteYearly' ? { month: local.month } : {}),
        },
        range: rec.count
          ? {
              type: 'numbered',
              startDate: local.toISODate(),
              numberOfOccurrences: rec.count,
              recurrenceTimeZone: zone,
            }
          : rec.until
            ? {
                type: 'endDate',
                startDate: local.toISODate(),
                endDate: rec.until.slice(0, 10),
                recurrenceTimeZone: zone,
              }
            : { type: 'noEnd', startDate: local.toISODate(), recurrenceTimeZone: zone },
      };
    } else if (rec) {
      body.recurrence = rec;
    }
    return body;
  };

  const renderUtc = (a: Account, ev: StoredEvent) =>
    renderEvent(
      a,
      {
        event: ev,
        id: ev.id,
        type: ev.recurrence ? 'seriesMaster' : 'singleInstance',
        startMs: ev.startMs,
        endMs: ev.endMs,
      },
      { timeZone: 'UTC', baseUrl: ctx.httpsUrl(), expandProps: () => true },
    );

  const api = {
    seedAccount(input: z.input<typeof accountInput>) {
      const parsed = accountInput.parse(input);
      const a = store.addAccount(parsed);
      return {
        email: a.email,
        userId: a.userId,
        refreshToken: parsed.refreshToken ?? store.refreshTokenFor(a.email)!,
        defaultCalendarId: store.defaultCalendar(a).id,
      };
    },
    account(email: string) {
      const a = acc(email);
      return {
        email: a.email,
        userId: a.userId,
        name: a.name,
        windowsTimeZone: a.windowsTimeZone,
        revoked: a.revoked,
        calendars: [...a.calendars.values()],
        events: [...a.events.values()].filter((e) => !e.deleted).length,
        messages: a.messages.size,
      };
    },
    addCalendar(email: string, input: { name: string; canEdit?: boolean }) {
      const a = acc(email);
      const id = newId('AAMkCal');
      a.calendars.set(id, { id, name: input.name, isDefault: false, canEdit: input.canEdit ?? true });
      return { id, name: input.name };
    },
    /** Adds an event as if the user (or an inviter) made it in Outlook. Returns its Graph JSON (UTC). */
    addEvent(email: string, input: EventInput) {
      const a = acc(email);
      const parsed = eventInput.parse(input);
      const ev = ops.createEvent(
        a,
        parsed.calendarId ?? store.defaultCalendar(a).id,
        toGraphBody(a, parsed),
        'admin',
      );
      if (parsed.uid) ev.iCalUId = thirdPartyICalUId(parsed.uid);
      if (parsed.originalTimeZoneLabel) {
        ev.originalStartTimeZone = parsed.originalTimeZoneLabel;
        ev.originalEndTimeZone = parsed.originalTimeZoneLabel;
      }
      return renderUtc(a, ev);
    },
    updateEvent(email: string, id: string, patch: Partial<EventInput>) {
      const a = acc(email);
      // Only the fields given: zod would fill the omitted ones with their create defaults.
      const all = eventInput.partial().parse(patch) as Record<string, unknown>;
      const parsed = Object.fromEntries(Object.entries(all).filter(([k]) => k in patch)) as Partial<
        z.output<typeof eventInput>
      >;
      const ev = a.events.get(id);
      if (!ev || ev.deleted) throw new AdminError(404, `no event ${id}`);
      if (parsed.timeZone === undefined && (parsed.start !== undefined || parsed.end !== undefined))
        parsed.timeZone = ev.originalStartTimeZone;
      return renderUtc(a, ops.updateEvent(a, id, toGraphBody(a, parsed)));
    },
    /**
     * One occurrence of a series changes on its own (it becomes an exception): the organizer
     * cancels it (`isCancelled`), or the user answers it alone (`response`).
     */
    changeOccurrence(
      email: string,
      occurrenceId: string,
      change: { isCancelled?: boolean; response?: 'accepted' | 'tentativelyAccepted' | 'declined' },
    ) {
      ops.changeOccurrence(acc(email), occurrenceId, occurrenceInput.parse(change));
    },
    deleteEvent(email: string, id: string) {
      const a = acc(email);
      if (!store.findEvent(a, id)) throw new AdminError(404, `no event ${id}`);
      ops.deleteEvent(a, id);
    },
    /** Live events (Graph JSON in UTC, with singleValueExtendedProperties). origin 'graph' = made by a client. */
    events(email: string, filter: { origin?: 'admin' | 'graph'; calendarId?: string } = {}) {
      const a = acc(email);
      return [...a.events.values()]
        .filter(
          (e) =>
            !e.deleted &&
            (!filter.origin || e.origin === filter.origin) &&
            (!filter.calendarId || e.calendarId === filter.calendarId),
        )
        .map((e) => renderUtc(a, e));
    },
    createdEvents(email: string) {
      return api.events(email, { origin: 'graph' });
    },
    addMessage(email: string, input: MessageInput) {
      const a = acc(email);
      const m = messageInput.parse(input);
      const at = m.at ? Date.parse(m.at) : ctx.now().getTime();
      if (Number.isNaN(at)) throw new AdminError(400, `invalid time ${m.at}`);
      const from = m.from ?? (m.folder === 'sentitems' ? { email: a.email, name: a.name } : undefined);
      if (!from) throw new AdminError(400, 'an inbox message needs from');
      const stored = ops.newMessage(a, m.folder, {
        subject: m.subject,
        body:
          m.html !== undefined
            ? { contentType: 'html', content: m.html }
            : { contentType: 'text', content: m.text ?? '' },
        from: { address: from.email, ...(from.name ? { name: from.name } : {}) },
        toRecipients: m.to.map((p) => ({ address: p.email, ...(p.name ? { name: p.name } : {}) })),
        ccRecipients: m.cc.map((p) => ({ address: p.email, ...(p.name ? { name: p.name } : {}) })),
        receivedMs: at,
        sentMs: at,
        createdMs: at,
        modifiedMs: at,
        ...(m.internetMessageId ? { internetMessageId: m.internetMessageId } : {}),
        ...(m.inReplyTo ? conversationOf(a, m.inReplyTo) : {}),
      });
      return decode(stored);
    },
    /** Drafts decoded: to, subject, text, html, markers (extended properties), changeKey. */
    drafts(email: string) {
      return [...acc(email).messages.values()].filter((m) => m.folder === 'drafts').map(decode);
    },
    messages(email: string, folder?: FolderName) {
      return [...acc(email).messages.values()].filter((m) => !folder || m.folder === folder).map(decode);
    },
    /**
     * The user presses Send in Outlook. Returns the sent copy (new id, same conversationId).
     * `newInternetMessageId`: as classic Outlook desktop does (see Operations.sendDraft).
     */
    sendDraft(
      email: string,
      id: string,
      opts: { newInternetMessageId?: boolean; dropExtendedProperties?: boolean } = {},
    ) {
      return decode(ops.sendDraft(acc(email), id, opts));
    },
    /** The user discards a draft. */
    deleteDraft(email: string, id: string) {
      ops.deleteMessage(acc(email), id);
    },
    /** The user edits a draft (its changeKey changes). */
    editDraft(email: string, id: string, input: { subject?: string; html?: string; text?: string }) {
      const body: Record<string, unknown> = {};
      if (input.subject !== undefined) body.subject = input.subject;
      if (input.html !== undefined) body.body = { contentType: 'html', content: input.html };
      else if (input.text !== undefined) body.body = { contentType: 'text', content: input.text };
      return decode(ops.updateMessage(acc(email), id, body));
    },
    /** Graph JSON of a message as a client would see it. */
    messageJson(email: string, id: string) {
      const a = acc(email);
      const m = a.messages.get(id);
      return m
        ? renderMessage(a, m, { timeZone: 'UTC', baseUrl: ctx.httpsUrl(), expandProps: () => true })
        : null;
    },
    /** Revokes the account's grants: refresh -> invalid_grant, access tokens -> 401. */
    revoke(email: string) {
      acc(email);
      store.revoke(email);
    },
    /**
     * Registers an app (Entra → App registrations). From the first one on, authorize and token
     * check client id, redirect URI and client authentication as Entra does (identity.ts).
     */
    registerApp(app: EntraApp) {
      if (app.kind === 'confidential' && !app.clientSecret)
        throw new Error('a confidential (Web platform) app needs a clientSecret');
      store.apps.set(app.clientId, { ...app, redirectUris: [...app.redirectUris] });
    },
    /** The account's next consents leave out these permissions ([] = none), e.g. Mail.ReadWrite. */
    withholdScopesAtConsent(email: string, scopes: string[]) {
      store.withheldScopes.set(acc(email).email, [...scopes]);
    },
    /** Every delta token issued so far is refused (410 syncStateNotFound) from now on. */
    expireDeltaTokens(email: string) {
      acc(email).deltaEpoch += 1;
    },
    /** Live access tokens of the account answer 401 (expired) from now on. */
    expireAccessTokens(email: string) {
      acc(email);
      store.expireAccessTokens(email);
    },
    setAccessTokenTtl(seconds: number) {
      store.accessTokenTtlSeconds = seconds;
    },
    /** How reused transactionIds and stale If-Match headers are answered (see graph-errors.ts). */
    setErrorStatuses(input: { duplicateTransactionIdStatus?: 400 | 409; ifMatchConflictStatus?: 409 | 412 }) {
      if (input.duplicateTransactionIdStatus !== undefined)
        store.duplicateTransactionIdStatus = input.duplicateTransactionIdStatus;
      if (input.ifMatchConflictStatus !== undefined)
        store.ifMatchConflictStatus = input.ifMatchConflictStatus;
    },
    refreshTokenOf(email: string) {
      return store.refreshTokenFor(email);
    },
    subscriptions() {
      return [...store.subscriptions.values()];
    },
  };
  return api;
}

export type MicrosoftAdminApi = ReturnType<typeof createAdminApi>;

export function registerAdmin(app: FastifyInstance, api: MicrosoftAdminApi) {
  const p = '/__admin/microsoft';
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof AdminError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof z.ZodError)
      return reply.code(400).send({ error: 'invalid input', issues: err.issues });
    const status =
      (err as { status?: number; statusCode?: number }).status ??
      (err as { statusCode?: number }).statusCode ??
      500;
    return reply.code(status >= 400 && status < 600 ? status : 500).send({ error: (err as Error).message });
  });
  type E = { Params: { email: string } };
  type EI = { Params: { email: string; id: string } };
  app.post(`${p}/accounts`, async (req, reply) =>
    reply.code(201).send(api.seedAccount(req.body as z.input<typeof accountInput>)),
  );
  app.post(`${p}/accounts/bulk`, async (req, reply) => {
    const list = (req.body as { accounts?: z.input<typeof accountInput>[] }).accounts ?? [];
    return reply.code(201).send({ accounts: list.map((a) => api.seedAccount(a)) });
  });
  app.get<E>(`${p}/accounts/:email`, async (req) => api.account(req.params.email));
  app.post<E>(`${p}/accounts/:email/calendars`, async (req, reply) =>
    reply.code(201).send(api.addCalendar(req.params.email, req.body as { name: string; canEdit?: boolean })),
  );
  app.post<E>(`${p}/accounts/:email/events`, async (req, reply) =>
    reply.code(201).send(api.addEvent(req.params.email, req.body as EventInput)),
  );
  app.patch<EI>(`${p}/accounts/:email/events/:id`, async (req) =>
    api.updateEvent(req.params.email, req.params.id, req.body as Partial<EventInput>),
  );
  app.patch<EI>(`${p}/accounts/:email/occurrences/:id`, async (req, reply) => {
    api.changeOccurrence(req.params.email, req.params.id, req.body as { isCancelled?: boolean });
    return reply.code(204).send();
  });
  app.delete<EI>(`${p}/accounts/:email/events/:id`, async (req, reply) => {
    api.deleteEvent(req.params.email, req.params.id);
    return reply.code(204).send();
  });
  app.get<E & { Querystring: { origin?: 'admin' | 'graph'; calendarId?: string } }>(
    `${p}/accounts/:email/events`,
    async (req) => ({
      events: api.events(req.params.email, req.query),
    }),
  );
  app.post<E>(`${p}/accounts/:email/messages`, async (req, reply) =>
    reply.code(201).send(api.addMessage(req.params.email, req.body as MessageInput)),
  );
  app.get<E & { Querystring: { folder?: FolderName } }>(`${p}/accounts/:email/messages`, async (req) => ({
    messages: api.messages(req.params.email, req.query.folder),
  }));
  app.get<E>(`${p}/accounts/:email/drafts`, async (req) => ({ drafts: api.drafts(req.params.email) }));
  app.post<EI>(`${p}/accounts/:email/drafts/:id/send`, async (req) =>
    api.sendDraft(
      req.params.email,
      req.params.id,
      (req.body ?? {}) as { newInternetMessageId?: boolean; dropExtendedProperties?: boolean },
    ),
  );
  app.patch<EI>(`${p}/accounts/:email/drafts/:id`, async (req) =>
    api.editDraft(
      req.params.email,
      req.params.id,
      req.body as { subject?: string; html?: string; text?: string },
    ),
  );
  app.delete<EI>(`${p}/accounts/:email/drafts/:id`, async (req, reply) => {
    api.deleteDraft(req.params.email, req.params.id);
    return reply.code(204).send();
  });
  app.post(`${p}/apps`, async (req, reply) => {
    api.registerApp(req.body as EntraApp);
    return reply.code(204).send();
  });
  app.post<E>(`${p}/accounts/:email/withhold-scopes`, async (req, reply) => {
    const scopes = (req.body as { scopes?: unknown } | undefined)?.scopes;
    if (!Array.isArray(scopes)) return reply.code(400).send({ error: 'scopes (an array) is required' });
    api.withholdScopesAtConsent(req.params.email, scopes.map(String));
    return reply.code(204).send();
  });
  app.post<E>(`${p}/accounts/:email/revoke`, async (req, reply) => {
    api.revoke(req.params.email);
    return reply.code(204).send();
  });
  app.post<E>(`${p}/accounts/:email/expire-delta-tokens`, async (req, reply) => {
    api.expireDeltaTokens(req.params.email);
    return reply.code(204).send();
  });
  app.post<E>(`${p}/accounts/:email/expire-access-tokens`, async (req, reply) => {
    api.expireAccessTokens(req.params.email);
    return reply.code(204).send();
  });
  app.put(`${p}/settings`, async (req) => {
    const b = z
      .object({
        accessTokenTtlSeconds: z.number().optional(),
        duplicateTransactionIdStatus: z.union([z.literal(400), z.literal(409)]).optional(),
        ifMatchConflictStatus: z.union([z.literal(409), z.literal(412)]).optional(),
      })
      .parse(req.body ?? {});
    if (typeof b.accessTokenTtlSeconds === 'number') api.setAccessTokenTtl(b.accessTokenTtlSeconds);
    api.setErrorStatuses(b);
    return b;
  });
  app.get(`${p}/subscriptions`, async () => ({ subscriptions: api.subscriptions() }));
}
