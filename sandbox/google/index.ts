// The Google half of the sandbox: OAuth token endpoint, Calendar v3, Gmail v1, and the admin API
// under /__admin/google (documented in ./README.md). `sandbox.google` is the typed form of the
// same admin API for tests.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext, SandboxModule } from '../context.ts';
import { revokeAccount } from './auth.ts';
import { registerCalendar } from './calendar.ts';
import { eventResource, newCalendar, resolveCalendar } from './calendar-model.ts';
import { deleteEvent, insertEvent, patchEvent } from './calendar-mutations.ts';
import { PushDispatcher } from './calendar-push.ts';
import { GoogleApiError, sendGoogleError } from './errors.ts';
import {
  asSentFromGmailWeb,
  deleteDraft,
  registerGmail,
  sendDraft,
  storeMessage,
  updateDraft,
} from './gmail.ts';
import { registerOAuth } from './oauth.ts';
import { GoogleState, newToken, type Account, type GoogleOAuthClient, type StoredMessage } from './state.ts';

type Json = Record<string, unknown>;

export interface SeedAccountInput {
  email: string;
  name?: string;
  /** IANA zone of the primary calendar and the account settings. Default UTC. */
  timeZone?: string;
  /** The refresh token the account accepts. Generated when absent. */
  refreshToken?: string;
}

export interface SeedCalendarInput {
  id?: string;
  summary: string;
  timeZone?: string;
  accessRole?: 'owner' | 'writer' | 'reader';
}

export interface SeedMailInput {
  /** received: lands in INBOX (UNREAD); sent: SENT, as if the user sent it from Gmail. */
  direction: 'received' | 'sent';
  from?: string;
  to: string;
  cc?: string;
  subject: string;
  text: string;
  html?: string;
  date?: string | Date;
  messageId?: string;
  inReplyTo?: string;
  /** Extra MIME headers (e.g. Auto-Submitted from a vacation responder). */
  headers?: Record<string, string>;
}

export interface DecodedMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  internalDate: string;
  messageId: string;
  headers: Record<string, string>;
  from: string;
  to: string;
  cc: string;
  subject: string;
  text: string;
  html: string;
}

export interface DecodedDraft extends DecodedMessage {
  draftId: string;
}

function decode(m: StoredMessage): DecodedMessage {
  const headers: Record<string, string> = {};
  for (const h of m.headers) headers[h.name.toLowerCase()] = h.value;
  return {
    id: m.id,
    threadId: m.threadId,
    labelIds: [...m.labelIds],
    internalDate: new Date(m.internalDate).toISOString(),
    messageId: m.rfc822MsgId,
    headers,
    from: m.from,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    text: m.text,
    html: m.html,
  };
}

function errorHandler(err: FastifyError | GoogleApiError, _req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof GoogleApiError) return sendGoogleError(reply, err);
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    return sendGoogleError(
      reply,
      new GoogleApiError(status, status === 400 ? 'parseError' : 'invalid', err.message),
    );
  }
  // never a stack trace: https://developers.google.com/calendar/api/guides/errors#500_backend_error
  return sendGoogleError(reply, new GoogleApiError(500, 'backendError', 'Backend Error'));
}

function notFoundHandler(_req: FastifyRequest, reply: FastifyReply) {
  return sendGoogleError(reply, new GoogleApiError(404, 'notFound', 'Not Found'));
}

export function googleSandbox() {
  const state = new GoogleState();
  const push = new PushDispatcher(state);
  let ctx: SandboxContext | undefined;
  const now = () => ctx?.now() ?? new Date();

  const need = (email: string): Account => {
    const a = state.account(email);
    if (!a) throw new GoogleApiError(404, 'notFound', `No sandbox account ${email}`);
    return a;
  };

  const api = {
    state,
    /** Every refresh and access token this sandbox holds (for tests that look for leaks). */
    issuedTokens: (): string[] => [...state.refreshTokens.keys(), ...state.accessTokens.keys()],
    seedAccount(input: SeedAccountInput): { email: string; refreshToken: string } {
      const email = input.email.toLowerCase();
      let account = state.account(email);
      if (!account) {
        account = {
          email,
          name: input.name ?? email.split('@')[0]!,
          timeZone: input.timeZone ?? 'UTC',
          revoked: false,
          calendars: new Map(),
          messages: new Map(),
          drafts: new Map(),
          historyId: 1000,
          historyFloor: 0,
          history: [],
          refreshTokenSet: new Set(),
          accessTokenSet: new Set(),
        };
        account.calendars.set(email, newCalendar(email, email, account.timeZone, true));
        state.accounts.set(email, account);
      } else {
        if (input.name) account.name = input.name;
        if (input.timeZone) {
          account.timeZone = input.timeZone;
          account.calendars.get(email)!.timeZone = input.timeZone;
        }
        account.revoked = false;
      }
      const refreshToken = input.refreshToken ?? newToken('1//sandbox-');
      state.addRefreshToken(account, refreshToken);
      return { email, refreshToken };
    },
    seedCalendar(email: string, input: SeedCalendarInput): string {
      const account = need(email);
      const id = input.id ?? `${Math.random().toString(36).slice(2, 12)}@group.calendar.google.com`;
      const cal = newCalendar(id, input.summary, input.timeZone ?? account.timeZone, false);
      cal.accessRole = input.accessRole ?? 'owner';
      account.calendars.set(id, cal);
      return id;
    },
    /** Seeds an event as if someone (or the user in the Calendar UI) created it. Body is a Google event resource. */
    seedEvent(email: string, calendarId: string, event: Json): Json {
      const account = need(email);
      const cal = resolveCalendar(account, calendarId);
      const ev = insertEvent(account, cal, event, {
        viaApi: false,
        conferenceDataVersion: 1,
        now: now(),
        notifier: push,
      });
      return eventResource(ev, account, cal);
    },
    patchEvent(email: string, calendarId: string, eventId: string, patch: Json): Json {
      const account = need(email);
      const cal = resolveCalendar(account, calendarId);
      const r = patchEvent(account, cal, eventId, patch, {
        replace: false,
        conferenceDataVersion: 1,
        now: now(),
        notifier: push,
      });
      return r.kind === 'event'
        ? eventResource(r.ev, account, cal)
        : { id: r.inst.id, recurringEventId: r.inst.master.id };
    },
    deleteEvent(email: string, calendarId: string, eventId: string): void {
      const account = need(email);
      deleteEvent(account, resolveCalendar(account, calendarId), eventId, now(), push);
    },
    /** Every stored event (series masters, not expanded), including cancelled ones. */
    events(email: string, calendarId = 'primary', opts: { createdViaApi?: boolean } = {}): Json[] {
      const account = need(email);
      const cal = resolveCalendar(account, calendarId);
      return [...cal.events.values()]
        .filter((e) => opts.createdViaApi === undefined || e.createdViaApi === opts.createdViaApi)
        .map((e) => ({ ...eventResource(e, account, cal), createdViaApi: e.createdViaApi }));
    },
    async seedMail(email: string, input: SeedMailInput): Promise<DecodedMessage> {
      const account = need(email);
      const date = input.date ? new Date(input.date) : now();
      const from = input.from ?? (input.direction === 'sent' ? account.email : undefined);
      if (!from) throw new GoogleApiError(400, 'invalidArgument', 'from is required for received mail');
      const raw = await new MailComposer({
        from,
        to: input.to,
        cc: input.cc,
        subject: input.subject,
        text: input.text,
        html: input.html,
        date,
        messageId: input.messageId,
        inReplyTo: input.inReplyTo,
        references: input.inReplyTo,
        headers: input.headers,
      })
        .compile()
        .build();
      const labels = input.direction === 'sent' ? ['SENT'] : ['INBOX', 'UNREAD'];
      const msg = await storeMessage(account, raw, labels, { internalDate: date.getTime(), now: now() });
      return decode(msg);
    },
    messages(email: string, opts: { label?: string } = {}): DecodedMessage[] {
      const account = need(email);
      return [...account.messages.values()]
        .filter((m) => !opts.label || m.labelIds.has(opts.label))
        .sort((a, b) => b.internalDate - a.internalDate)
        .map(decode);
    },
    drafts(email: string): DecodedDraft[] {
      const account = need(email);
      return [...account.drafts].map(([draftId, msgId]) => ({
        draftId,
        ...decode(account.messages.get(msgId)!),
      }));
    },
    /**
     * The user presses Send in Gmail: a new SENT message in the draft's thread, with Gmail's own
     * Message-ID and without the API's `X-` headers (asSentFromGmailWeb).
     */
    async sendDraftAsUser(email: string, draftId: string): Promise<DecodedMessage> {
      return decode(await sendDraft(state, need(email), draftId, now(), asSentFromGmailWeb));
    },
    /** The user discards the draft. */
    deleteDraftAsUser(email: string, draftId: string): void {
      deleteDraft(need(email), draftId);
    },
    /**
     * The user edits the draft (Gmail gives the draft a new message id). A changed subject moves
     * the draft to a new thread: "editing the subject re-threads the draft (Gmail threads by
     * subject) → new thread_id", seen live in taylorwilsdon/google_workspace_mcp#920.
     */
    async editDraftAsUser(
      email: string,
      draftId: string,
      edit: { subject?: string; text?: string },
    ): Promise<DecodedDraft> {
      const account = need(email);
      const cur = decode(
        account.messages.get(account.drafts.get(draftId) ?? '') ??
          (() => {
            throw new GoogleApiError(404, 'notFound', 'Requested entity was not found.');
          })(),
      );
      const extra = Object.entries(cur.headers)
        .filter(([k]) => k.startsWith('x-'))
        .map(([key, value]) => ({ key, value }));
      const raw = await new MailComposer({
        from: cur.from,
        to: cur.to,
        subject: edit.subject ?? cur.subject,
        text: edit.text ?? cur.text,
        html: cur.html || undefined,
        messageId: cur.messageId,
        headers: extra,
      })
        .compile()
        .build();
      const sameSubject = edit.subject === undefined || edit.subject === cur.subject;
      await updateDraft(account, draftId, raw, now(), sameSubject ? cur.threadId : undefined);
      return api.drafts(email).find((d) => d.draftId === draftId)!;
    },
    revoke(email: string): void {
      revokeAccount(state, need(email));
    },
    /** How long Gmail search (`q`) takes to see a new message (GoogleState.searchIndexDelayMs). */
    setSearchIndexDelay(ms: number): void {
      state.searchIndexDelayMs = Math.max(0, ms);
    },
    /**
     * Registers an OAuth client (Google Cloud console → Credentials). From the first one on, the
     * consent and token endpoints check client id, secret and redirect URI (oauth.ts).
     */
    registerClient(
      client: Omit<GoogleOAuthClient, 'publishing'> & Partial<Pick<GoogleOAuthClient, 'publishing'>>,
    ) {
      state.clients.set(client.clientId, { publishing: 'production', ...client });
    },
    /** Granular consent: at the account's next consents the user unticks these scopes ([] = none). */
    withholdScopesAtConsent(email: string, scopes: string[]): void {
      state.withheldScopes.set(need(email).email, [...scopes]);
    },
    /** Every sync token minted so far for the calendar(s) answers 410 fullSyncRequired. */
    invalidateSyncTokens(email: string, calendarId?: string): void {
      const account = need(email);
      const cals = calendarId ? [resolveCalendar(account, calendarId)] : [...account.calendars.values()];
      for (const c of cals) {
        c.seq += 1;
        c.syncFloor = c.seq;
      }
    },
    /** Access tokens expire now (the next API call gets 401; the client must refresh). */
    expireAccessTokens(email: string): void {
      const a = need(email);
      state.dropAccessTokens(a);
    },
    /** history.list with any startHistoryId up to now answers 404. */
    expireHistory(email: string): void {
      const a = need(email);
      a.historyFloor = a.historyId + 1;
      a.history = [];
    },
    channels() {
      return [...state.channels.values()];
    },
    pushDeliveries() {
      return push.delivered;
    },
  };

  return {
    provider: 'google' as const,
    ...api,
    register(app: FastifyInstance, c: SandboxContext) {
      ctx = c;
      app.register(async (scope) => {
        scope.setErrorHandler(errorHandler);
        registerOAuth(scope, state, c);
      });
      app.register(
        async (scope) => {
          scope.setErrorHandler(errorHandler);
          scope.setNotFoundHandler(notFoundHandler);
          registerCalendar(scope, state, c, push);
        },
        { prefix: '/calendar/v3' },
      );
      app.register(
        async (scope) => {
          scope.setErrorHandler(errorHandler);
          scope.setNotFoundHandler(notFoundHandler);
          registerGmail(scope, state, c);
        },
        { prefix: '/gmail/v1' },
      );
      app.register(async (scope) => registerAdmin(scope, api), { prefix: '/__admin/google' });
    },
    reset() {
      state.reset();
      push.reset();
    },
  } satisfies SandboxModule;
}

type GoogleApi = Omit<ReturnType<typeof googleSandbox>, 'register' | 'reset' | 'provider'>;

function registerAdmin(app: FastifyInstance, api: GoogleApi): void {
  app.setErrorHandler((err: FastifyError | GoogleApiError, _req, reply) => {
    if (err instanceof GoogleApiError) return sendGoogleError(reply, err);
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 400;
    return reply.code(status).send({ error: { code: status, message: err.message } });
  });
  type P = { email: string; calendarId: string; eventId: string; draftId: string };
  const body = (req: FastifyRequest) => (req.body ?? {}) as Json;

  app.post('/accounts', async (req, reply) => {
    const b = req.body;
    const list = (Array.isArray(b) ? b : [b]) as SeedAccountInput[];
    for (const x of list)
      if (!x || typeof x.email !== 'string') throw new GoogleApiError(400, 'invalid', 'email is required');
    const out = list.map((x) => api.seedAccount(x));
    return reply.code(201).send(Array.isArray(b) ? out : out[0]);
  });
  app.get('/accounts/:email', async (req) => {
    const a = api.state.account((req.params as P).email);
    if (!a) throw new GoogleApiError(404, 'notFound', 'No such account');
    return {
      email: a.email,
      name: a.name,
      timeZone: a.timeZone,
      revoked: a.revoked,
      historyId: a.historyId,
      calendars: [...a.calendars.values()].map((c) => ({
        id: c.id,
        summary: c.summary,
        timeZone: c.timeZone,
        primary: c.primary,
        events: c.events.size,
      })),
      messages: a.messages.size,
      drafts: a.drafts.size,
    };
  });
  app.post('/accounts/:email/calendars', async (req, reply) =>
    reply
      .code(201)
      .send({ id: api.seedCalendar((req.params as P).email, body(req) as unknown as SeedCalendarInput) }),
  );
  app.post('/accounts/:email/calendars/:calendarId/events', async (req, reply) => {
    const { email, calendarId } = req.params as P;
    return reply.code(201).send(api.seedEvent(email, calendarId, body(req)));
  });
  app.get('/accounts/:email/calendars/:calendarId/events', async (req) => {
    const { email, calendarId } = req.params as P;
    const q = req.query as Json;
    const createdViaApi = q.createdViaApi === undefined ? undefined : q.createdViaApi === 'true';
    return { items: api.events(email, calendarId, { createdViaApi }) };
  });
  app.patch('/accounts/:email/calendars/:calendarId/events/:eventId', async (req) => {
    const { email, calendarId, eventId } = req.params as P;
    return api.patchEvent(email, calendarId, eventId, body(req));
  });
  app.delete('/accounts/:email/calendars/:calendarId/events/:eventId', async (req, reply) => {
    const { email, calendarId, eventId } = req.params as P;
    api.deleteEvent(email, calendarId, eventId);
    return reply.code(204).send();
  });
  app.post('/accounts/:email/mail', async (req, reply) =>
    reply.code(201).send(await api.seedMail((req.params as P).email, body(req) as unknown as SeedMailInput)),
  );
  app.get('/accounts/:email/messages', async (req) => {
    const label = (req.query as Json).label;
    return { messages: api.messages((req.params as P).email, { label: label ? String(label) : undefined }) };
  });
  app.get('/accounts/:email/drafts', async (req) => ({ drafts: api.drafts((req.params as P).email) }));
  app.post('/search-index-delay', async (req, reply) => {
    api.setSearchIndexDelay(Number((body(req) as { ms?: unknown }).ms ?? 0));
    return reply.code(204).send();
  });
  app.post('/accounts/:email/drafts/:draftId/send', async (req) => {
    const { email, draftId } = req.params as P;
    return api.sendDraftAsUser(email, draftId);
  });
  app.patch('/accounts/:email/drafts/:draftId', async (req) => {
    const { email, draftId } = req.params as P;
    return api.editDraftAsUser(email, draftId, body(req) as { subject?: string; text?: string });
  });
  app.delete('/accounts/:email/drafts/:draftId', async (req, reply) => {
    const { email, draftId } = req.params as P;
    api.deleteDraftAsUser(email, draftId);
    return reply.code(204).send();
  });
  app.post('/accounts/:email/revoke', async (req, reply) => {
    api.revoke((req.params as P).email);
    return reply.code(204).send();
  });
  app.post('/clients', async (req, reply) => {
    const b = body(req);
    if (typeof b.clientId !== 'string' || typeof b.clientSecret !== 'string')
      throw new GoogleApiError(400, 'invalid', 'clientId and clientSecret are required');
    api.registerClient(b as unknown as GoogleOAuthClient);
    return reply.code(204).send();
  });
  app.post('/accounts/:email/withhold-scopes', async (req, reply) => {
    const scopes = body(req).scopes;
    if (!Array.isArray(scopes)) throw new GoogleApiError(400, 'invalid', 'scopes (an array) is required');
    api.withholdScopesAtConsent((req.params as P).email, scopes.map(String));
    return reply.code(204).send();
  });
  app.post('/accounts/:email/invalidate-sync-tokens', async (req, reply) => {
    const calendarId = body(req).calendarId;
    api.invalidateSyncTokens(
      (req.params as P).email,
      typeof calendarId === 'string' ? calendarId : undefined,
    );
    return reply.code(204).send();
  });
  app.post('/accounts/:email/expire-access-tokens', async (req, reply) => {
    api.expireAccessTokens((req.params as P).email);
    return reply.code(204).send();
  });
  app.post('/accounts/:email/expire-history', async (req, reply) => {
    api.expireHistory((req.params as P).email);
    return reply.code(204).send();
  });
  app.get('/channels', async () => ({ channels: api.channels(), deliveries: api.pushDeliveries() }));
}
