// Gmail v1 as the sandbox serves it (under /gmail/v1/users/{userId}).
// Reference: https://developers.google.com/gmail/api/reference/rest
// Drafts: https://developers.google.com/gmail/api/guides/drafts — a draft is a container with a
// stable id whose message id changes on every update; sending deletes the draft and creates a new
// message (new id) with the SENT label.
import { randomBytes } from 'node:crypto';
import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { applyFault, authenticate } from './auth.ts';
import { GoogleApiError, badRequest } from './errors.ts';
import { evaluate, mentions, parseGmailQuery } from './gmail-query.ts';
import { newHexId, type Account, type GoogleState, type StoredMessage } from './state.ts';

type Json = Record<string, unknown>;

// Gmail's "not found" wording: https://developers.google.com/gmail/api/guides/handle-errors
const gmailNotFound = () => new GoogleApiError(404, 'notFound', 'Requested entity was not found.');

function addressText(v: AddressObject | AddressObject[] | undefined): string {
  if (!v) return '';
  return (Array.isArray(v) ? v : [v]).map((a) => a.text).join(', ');
}

function headerText(v: HeaderValue | undefined, rawLine: string): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'text' in v && typeof (v as AddressObject).text === 'string')
    return (v as AddressObject).text;
  const i = rawLine.indexOf(':');
  return rawLine
    .slice(i + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/** Adds a Message-ID when the client gave none, as Gmail does for messages it creates. */
function ensureMessageId(raw: Buffer): Buffer {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('utf8');
  const end = head.search(/\r?\n\r?\n/);
  const block = end >= 0 ? head.slice(0, end) : head;
  if (/^message-id:/im.test(block)) return raw;
  return Buffer.concat([
    Buffer.from(`Message-ID: <${randomBytes(12).toString('hex')}@mail.gmail.com>\r\n`),
    raw,
  ]);
}

export async function parseRaw(raw: Buffer) {
  const p = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const headers = p.headerLines.map((h) => {
    const name = h.line.slice(0, h.line.indexOf(':'));
    return { name, value: headerText(p.headers.get(h.key), h.line) };
  });
  return {
    parsed: p,
    from: addressText(p.from),
    to: addressText(p.to),
    cc: addressText(p.cc),
    bcc: addressText(p.bcc),
    subject: p.subject ?? '',
    text: p.text ?? '',
    html: typeof p.html === 'string' ? p.html : '',
    rfc822MsgId: p.messageId ?? '',
    references: [
      ...(Array.isArray(p.references) ? p.references : p.references ? [p.references] : []),
      ...(p.inReplyTo ? [p.inReplyTo] : []),
    ],
    date: p.date,
    headers,
  };
}

/** A subject without its reply/forward prefixes, for matching a reply to its thread. */
function baseSubject(subject: string): string {
  return subject
    .replace(/^(\s*(re|fwd?|aw|wg)\s*:\s*)+/i, '')
    .trim()
    .toLowerCase();
}

function bumpHistory(account: Account): number {
  account.historyId += 1;
  return account.historyId;
}

export async function storeMessage(
  account: Account,
  rawIn: Buffer,
  labels: string[],
  opts: { internalDate?: number; threadId?: string; now: Date },
): Promise<StoredMessage> {
  const raw = ensureMessageId(rawIn);
  const p = await parseRaw(raw);
  let id = newHexId();
  while (account.messages.has(id)) id = newHexId();
  let threadId =
    opts.threadId && [...account.messages.values()].some((m) => m.threadId === opts.threadId)
      ? opts.threadId
      : undefined;
  // A message joins the thread of a message it references (In-Reply-To / References) only when
  // the subjects match as well: "The Subject headers must match" (Adding drafts and messages to
  // threads, https://developers.google.com/gmail/api/guides/threads). "Re:"/"Fwd:" prefixes aside.
  if (!threadId && p.references.length) {
    for (const m of account.messages.values()) {
      if (
        m.rfc822MsgId &&
        p.references.includes(m.rfc822MsgId) &&
        baseSubject(m.subject) === baseSubject(p.subject)
      ) {
        threadId = m.threadId;
        break;
      }
    }
  }
  const historyId = bumpHistory(account);
  const msg: StoredMessage = {
    id,
    threadId: threadId ?? id,
    labelIds: new Set(labels),
    raw,
    internalDate: opts.internalDate ?? opts.now.getTime(),
    historyId,
    from: p.from,
    to: p.to,
    cc: p.cc,
    bcc: p.bcc,
    subject: p.subject,
    text: p.text,
    html: p.html,
    rfc822MsgId: p.rfc822MsgId,
    references: p.references,
    headers: p.headers,
    storedAt: opts.now.getTime(),
  };
  account.messages.set(id, msg);
  account.history.push({
    id: historyId,
    kind: 'messageAdded',
    messageId: id,
    threadId: msg.threadId,
    labelIds: [...msg.labelIds],
  });
  return msg;
}

export function removeMessage(account: Account, id: string): void {
  const msg = account.messages.get(id);
  if (!msg) return;
  account.messages.delete(id);
  const historyId = bumpHistory(account);
  account.history.push({
    id: historyId,
    kind: 'messageDeleted',
    messageId: id,
    threadId: msg.threadId,
    labelIds: [...msg.labelIds],
  });
}

function snippet(msg: StoredMessage): string {
  return msg.text.replace(/\s+/g, ' ').trim().slice(0, 100);
}

function part(partId: string, mimeType: string, content: string): Json {
  const data = Buffer.from(content, 'utf8');
  return {
    partId,
    mimeType,
    filename: '',
    headers: [{ name: 'Content-Type', value: `${mimeType}; charset="UTF-8"` }],
    body: { size: data.length, data: data.toString('base64url') },
  };
}

// https://developers.google.com/gmail/api/reference/rest/v1/users.messages#Message
export function messageResource(msg: StoredMessage, format: string, metadataHeaders: string[] = []): Json {
  const base: Json = {
    id: msg.id,
    threadId: msg.threadId,
    labelIds: [...msg.labelIds],
    snippet: snippet(msg),
    sizeEstimate: msg.raw.length,
    historyId: String(msg.historyId),
    internalDate: String(msg.internalDate),
  };
  if (format === 'minimal') return base;
  if (format === 'raw') return { ...base, raw: msg.raw.toString('base64url') };
  const wanted = metadataHeaders.map((h) => h.toLowerCase());
  const headers =
    format === 'metadata' && wanted.length
      ? msg.headers.filter((h) => wanted.includes(h.name.toLowerCase()))
      : msg.headers;
  if (format === 'metadata') return { ...base, payload: { mimeType: 'multipart/alternative', headers } };
  const parts = [
    msg.text ? part('0', 'text/plain', msg.text) : undefined,
    msg.html ? part(msg.text ? '1' : '0', 'text/html', msg.html) : undefined,
  ].filter((x): x is Json => !!x);
  const payload: Json =
    parts.length > 1
      ? { partId: '', mimeType: 'multipart/alternative', filename: '', headers, body: { size: 0 }, parts }
      : { ...(parts[0] ?? part('', 'text/plain', '')), partId: '', headers };
  return { ...base, payload };
}

function draftResource(account: Account, draftId: string, format: string): Json {
  const msg = account.messages.get(account.drafts.get(draftId)!)!;
  return { id: draftId, message: messageResource(msg, format) };
}

function rawFrom(body: unknown): Buffer {
  const message = (body as { message?: { raw?: unknown } } | undefined)?.message;
  if (!message || typeof message.raw !== 'string' || !message.raw) {
    throw new GoogleApiError(400, 'invalidArgument', 'Missing draft message');
  }
  // raw is base64url; Gmail also accepts standard base64
  return Buffer.from(message.raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export async function createDraft(
  account: Account,
  raw: Buffer,
  now: Date,
  nextDraftId: () => string,
  threadId?: string,
): Promise<string> {
  const msg = await storeMessage(account, raw, ['DRAFT'], { now, threadId });
  const id = nextDraftId();
  account.drafts.set(id, msg.id);
  return id;
}

/**
 * Replaces the draft's message (new message id). The new message joins `threadId` only when one is
 * given: "To add a message or draft to a thread ... the requested threadId must be specified on
 * the Message or Draft.Message you supply with your request" (Message.threadId,
 * https://developers.google.com/gmail/api/reference/rest/v1/users.messages#Message), so an API
 * update without it starts a new thread.
 */
export async function updateDraft(
  account: Account,
  draftId: string,
  raw: Buffer,
  now: Date,
  threadId: string | undefined,
): Promise<void> {
  const old = account.drafts.get(draftId);
  if (!old) throw gmailNotFound();
  const msg = await storeMessage(account, raw, ['DRAFT'], { now, threadId });
  removeMessage(account, old);
  account.drafts.set(draftId, msg.id);
}

export function deleteDraft(account: Account, draftId: string): void {
  const old = account.drafts.get(draftId);
  if (!old) throw gmailNotFound();
  account.drafts.delete(draftId);
  removeMessage(account, old);
}

/**
 * Sends a draft: the draft is deleted and "a new message with an updated ID is created with the
 * SENT system label" (guides/drafts), in the draft's thread (the drafts.send response carries the
 * threadId; inbox-zero's reply tracker, utils/reply-tracker/draft-tracking.ts, matches a sent
 * message to its draft by thread). `rewrite` changes the bytes that go out (see
 * `asSentFromGmailWeb`); drafts.send keeps them as they are.
 */
export async function sendDraft(
  state: GoogleState,
  account: Account,
  draftId: string,
  now: Date,
  rewrite: (raw: Buffer) => Buffer = (r) => r,
): Promise<StoredMessage> {
  const old = account.drafts.get(draftId);
  const draftMsg = old ? account.messages.get(old) : undefined;
  if (!old || !draftMsg) throw gmailNotFound();
  // stored while the draft still holds the thread, so the sent message stays in it
  const sent = await sendRaw(state, account, rewrite(draftMsg.raw), now, draftMsg.threadId);
  account.drafts.delete(draftId);
  removeMessage(account, old);
  return sent;
}

/**
 * What Gmail's own composer sends when the user presses Send on a draft: the message as Gmail
 * web composes it, with Gmail's Message-ID (`<CA…@mail.gmail.com>`) and none of the headers the
 * API client put on the draft. Sources disagree on whether a Message-ID set through the API
 * survives the web composer (dipseth/google_workspace_fastmcp2#71 says it does; issue 11 reports
 * sent mail carrying Gmail's own id), and the composer is reported to rewrite drafts it opens
 * (same issue: the HTML body is re-wrapped and comments stripped on autosave/send): the sandbox
 * takes the less forgiving reading, a new Message-ID and no `X-` headers.
 */
export function asSentFromGmailWeb(raw: Buffer): Buffer {
  const text = raw.toString('utf8');
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const rest = m ? text.slice(m.index) : '';
  const fields: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  const kept = fields.filter((f) => !/^(message-id|x-[^:]*):/i.test(f));
  const id = `<CA${randomBytes(18).toString('base64url')}@mail.gmail.com>`;
  return Buffer.from([`Message-ID: ${id}`, ...kept].join('\r\n') + rest, 'utf8');
}

export async function sendRaw(
  state: GoogleState,
  account: Account,
  raw: Buffer,
  now: Date,
  threadId?: string,
): Promise<StoredMessage> {
  const sent = await storeMessage(account, raw, ['SENT'], { now, threadId });
  const rcpts = `${sent.to}, ${sent.cc}, ${sent.bcc}`.match(/[^\s<>,"]+@[^\s<>,"]+/g) ?? [];
  for (const r of new Set(rcpts.map((x) => x.toLowerCase()))) {
    const other = state.account(r);
    if (other && other !== account) await storeMessage(other, sent.raw, ['INBOX', 'UNREAD'], { now });
  }
  return sent;
}

/**
 * messages.list / drafts.list. With `q`, only messages the search index already holds: stored at
 * least `indexDelayMs` ago (mail seeded with an earlier date arrived then and is indexed). See
 * GoogleState.searchIndexDelayMs.
 */
export function searchMessages(
  account: Account,
  q: string | undefined,
  labelIds: string[],
  includeSpamTrash: boolean,
  now: Date,
  indexDelayMs = 0,
): StoredMessage[] {
  const node = q ? parseGmailQuery(q) : undefined;
  const explicitSpamTrash =
    node &&
    (mentions(node, 'in', 'spam') || mentions(node, 'in', 'trash') || mentions(node, 'in', 'anywhere'));
  const out: StoredMessage[] = [];
  for (const m of account.messages.values()) {
    if (!includeSpamTrash && !explicitSpamTrash && (m.labelIds.has('SPAM') || m.labelIds.has('TRASH')))
      continue;
    if (labelIds.some((l) => !m.labelIds.has(l))) continue;
    if (node && Math.min(m.storedAt, m.internalDate) + indexDelayMs > now.getTime()) continue;
    if (node && !evaluate(node, m, now)) continue;
    out.push(m);
  }
  // newest first, as Gmail lists
  return out.sort((a, b) => b.internalDate - a.internalDate || b.historyId - a.historyId);
}

function qArray(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function paginate<T>(items: T[], query: Json, def: number, max: number): { page: T[]; next?: string } {
  const size = Math.min(max, Math.max(1, Number(query.maxResults ?? def) || def));
  const offset = query.pageToken
    ? Number(Buffer.from(String(query.pageToken), 'base64url').toString()) || 0
    : 0;
  const page = items.slice(offset, offset + size);
  const next =
    offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
  return { page, next };
}

export function registerGmail(app: FastifyInstance, state: GoogleState, ctx: SandboxContext): void {
  const guard = async (req: FastifyRequest) => {
    const account = authenticate(state, ctx, req);
    const { userId } = req.params as { userId: string };
    if (userId !== 'me' && userId.toLowerCase() !== account.email) {
      throw new GoogleApiError(403, 'forbidden', `Delegation denied for ${account.email}`);
    }
    await applyFault(state, ctx, req, account);
    return account;
  };
  type P = { userId: string; id: string };
  const fmt = (req: FastifyRequest) => String((req.query as Json).format ?? 'full');

  // https://developers.google.com/gmail/api/reference/rest/v1/users/getProfile
  app.get('/users/:userId/profile', async (req) => {
    const account = await guard(req);
    const threads = new Set([...account.messages.values()].map((m) => m.threadId));
    return {
      emailAddress: account.email,
      messagesTotal: account.messages.size,
      threadsTotal: threads.size,
      historyId: String(account.historyId),
    };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/create
  app.post('/users/:userId/drafts', async (req) => {
    const account = await guard(req);
    const raw = rawFrom(req.body);
    const threadId = (req.body as { message?: { threadId?: string } }).message?.threadId;
    const id = await createDraft(account, raw, ctx.now(), () => state.nextDraftId(), threadId);
    return draftResource(account, id, 'minimal');
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/list
  app.get('/users/:userId/drafts', async (req) => {
    const account = await guard(req);
    const query = req.query as Json;
    const byMsg = new Map([...account.drafts].map(([d, m]) => [m, d]));
    const msgs = searchMessages(
      account,
      query.q ? String(query.q) : undefined,
      ['DRAFT'],
      query.includeSpamTrash === 'true',
      ctx.now(),
      state.searchIndexDelayMs,
    );
    const { page, next } = paginate(msgs, query, 100, 500);
    return {
      ...(page.length
        ? { drafts: page.map((m) => ({ id: byMsg.get(m.id), message: { id: m.id, threadId: m.threadId } })) }
        : {}),
      ...(next ? { nextPageToken: next } : {}),
      resultSizeEstimate: msgs.length,
    };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/send
  app.post('/users/:userId/drafts/send', async (req) => {
    const account = await guard(req);
    const body = (req.body ?? {}) as { id?: string; message?: { raw?: string } };
    let sent: StoredMessage;
    if (body.id) sent = await sendDraft(state, account, body.id, ctx.now());
    else sent = await sendRaw(state, account, rawFrom(body), ctx.now());
    return { id: sent.id, threadId: sent.threadId, labelIds: [...sent.labelIds] };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/get
  app.get('/users/:userId/drafts/:id', async (req) => {
    const account = await guard(req);
    const { id } = req.params as P;
    if (!account.drafts.has(id)) throw gmailNotFound();
    return draftResource(account, id, fmt(req));
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/update — replaces the message (new message id)
  app.put('/users/:userId/drafts/:id', async (req) => {
    const account = await guard(req);
    const { id } = req.params as P;
    const threadId = (req.body as { message?: { threadId?: string } }).message?.threadId;
    await updateDraft(account, id, rawFrom(req.body), ctx.now(), threadId);
    return draftResource(account, id, 'minimal');
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/delete
  app.delete('/users/:userId/drafts/:id', async (req, reply) => {
    const account = await guard(req);
    deleteDraft(account, (req.params as P).id);
    return reply.code(204).send();
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.messages/list
  app.get('/users/:userId/messages', async (req) => {
    const account = await guard(req);
    const query = req.query as Json;
    const msgs = searchMessages(
      account,
      query.q ? String(query.q) : undefined,
      qArray(query.labelIds),
      query.includeSpamTrash === 'true',
      ctx.now(),
      state.searchIndexDelayMs,
    );
    const { page, next } = paginate(msgs, query, 100, 500);
    return {
      ...(page.length ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
      ...(next ? { nextPageToken: next } : {}),
      resultSizeEstimate: msgs.length,
    };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.messages/send
  app.post('/users/:userId/messages/send', async (req) => {
    const account = await guard(req);
    const body = (req.body ?? {}) as { raw?: string; threadId?: string };
    if (typeof body.raw !== 'string')
      throw new GoogleApiError(
        400,
        'invalidArgument',
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
      );
    const sent = await sendRaw(state, account, Buffer.from(body.raw, 'base64url'), ctx.now(), body.threadId);
    return { id: sent.id, threadId: sent.threadId, labelIds: [...sent.labelIds] };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.messages/get
  app.get('/users/:userId/messages/:id', async (req) => {
    const account = await guard(req);
    const msg = account.messages.get((req.params as P).id);
    if (!msg) throw gmailNotFound();
    const format = fmt(req);
    if (!['full', 'metadata', 'minimal', 'raw'].includes(format))
      throw badRequest(`Invalid value at 'format' (${format})`, 'invalidArgument', 'format');
    return messageResource(msg, format, qArray((req.query as Json).metadataHeaders));
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.threads/get — the thread's
  // messages, oldest first; 404 once it has none (a draft-only thread goes with its draft). Read by
  // id, not through search: no index delay.
  app.get('/users/:userId/threads/:id', async (req) => {
    const account = await guard(req);
    const { id } = req.params as P;
    const msgs = [...account.messages.values()]
      .filter((m) => m.threadId === id && !m.labelIds.has('SPAM') && !m.labelIds.has('TRASH'))
      .sort((a, b) => a.internalDate - b.internalDate || a.historyId - b.historyId);
    if (!msgs.length) throw gmailNotFound();
    const format = fmt(req);
    if (!['full', 'metadata', 'minimal'].includes(format))
      throw badRequest(`Invalid value at 'format' (${format})`, 'invalidArgument', 'format');
    const headers = qArray((req.query as Json).metadataHeaders);
    return {
      id,
      snippet: snippet(msgs[msgs.length - 1]!),
      historyId: String(Math.max(...msgs.map((m) => m.historyId))),
      messages: msgs.map((m) => messageResource(m, format, headers)),
    };
  });

  // https://developers.google.com/gmail/api/reference/rest/v1/users.history/list
  // "A historyId is typically valid for at least a week ... If you receive HTTP 404, perform a full sync."
  // https://developers.google.com/gmail/api/guides/sync#limitations
  app.get('/users/:userId/history', async (req) => {
    const account = await guard(req);
    const query = req.query as Json;
    if (query.startHistoryId === undefined)
      throw badRequest('Missing startHistoryId', 'invalidArgument', 'startHistoryId');
    const start = Number(query.startHistoryId);
    if (!Number.isFinite(start))
      throw badRequest('Invalid startHistoryId', 'invalidArgument', 'startHistoryId');
    if (start < account.historyFloor || start > account.historyId) throw gmailNotFound();
    const types = qArray(query.historyTypes);
    const labelId = query.labelId ? String(query.labelId) : undefined;
    const recs = account.history.filter(
      (h) =>
        h.id > start &&
        (!types.length || types.includes(h.kind)) &&
        (!labelId || h.labelIds.includes(labelId)),
    );
    const { page, next } = paginate(recs, query, 100, 500);
    const history = page.map((h) => {
      const ref = { id: h.messageId, threadId: h.threadId, labelIds: h.labelIds };
      const entry: Json = { id: String(h.id), messages: [{ id: h.messageId, threadId: h.threadId }] };
      if (h.kind === 'messageAdded') entry.messagesAdded = [{ message: ref }];
      else if (h.kind === 'messageDeleted') entry.messagesDeleted = [{ message: ref }];
      return entry;
    });
    return {
      ...(history.length ? { history } : {}),
      ...(next ? { nextPageToken: next } : {}),
      historyId: String(account.historyId),
    };
  });
}
