// MailboxProvider over Gmail v1. Drafts are RFC 5322 MIME built by nodemailer's MailComposer and
// sent as JSON `{message: {raw}}` (base64url), not as a media upload: googleapis sends media
// uploads to the real upload host whatever rootUrl says (see shared/notes/stack-findings.md).
// https://developers.google.com/gmail/api/guides/drafts
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { gmail_v1 } from '@googleapis/gmail';
import type {
  DraftInput,
  DraftLookup,
  DraftRef,
  DraftState,
  ListedDraft,
  MailboxProvider,
  Person,
  ThreadMessage,
  SentCopy,
  SentLookup,
  DraftContent,
} from '../provider.ts';
import { ProviderError, nullIfNotFound } from '../provider.ts';
import { isAutomaticReply } from '../auto-reply.ts';
import { htmlToText } from '../html-text.ts';
import type { GoogleSession } from './session.ts';

export const MARKER_HEADER = 'X-Coffee-Chat-Key';

/**
 * The draft's Message-ID is derived from its marker. Only drafts.send through the API keeps it:
 * mail sent from Gmail's own composer carries Gmail's `<…@mail.gmail.com>` id, so send detection
 * goes by the draft's thread (draftState); this id only serves rows recorded before threads were
 * kept.
 */
export function messageIdFor(marker: string): string {
  const h = createHash('sha256').update(marker).digest('base64url').slice(0, 32);
  return `<cc-${h}@coffee-chat.local>`;
}

function address(p: Person | undefined) {
  return p ? (p.name ? { name: p.name, address: p.email } : p.email) : undefined;
}

export async function buildRaw(draft: DraftInput): Promise<string> {
  const mail = new MailComposer({
    from: address(draft.from),
    to: address(draft.to),
    subject: draft.subject,
    text: draft.text,
    html: draft.html,
    messageId: messageIdFor(draft.marker),
    headers: { [MARKER_HEADER]: draft.marker },
    // A reply: "the References and In-Reply-To headers must be set in compliance with the RFC 2822
    // standard" (https://developers.google.com/gmail/api/guides/threads#adding_drafts_and_messages_to_threads).
    ...(draft.replyTo?.internetMessageId
      ? { inReplyTo: draft.replyTo.internetMessageId, references: [draft.replyTo.internetMessageId] }
      : {}),
  });
  const buf = await mail.compile().build();
  return buf.toString('base64url');
}

/**
 * "To add a message or draft to a thread ... the requested threadId must be specified on the Message
 * or Draft.Message you supply with your request" (same guide), also on each update.
 */
const threadOf = (draft: DraftInput) => (draft.replyTo?.threadId ? { threadId: draft.replyTo.threadId } : {});

const bare = (id: string) => id.replace(/^<|>$/g, '');

/** Drafts read to find one by marker: one drafts.list page. */
const MARKER_SCAN = 100;
/** Sent messages read to find the sent copy of a draft a crashed run made (findSentByMarker). */
const SENT_SCAN = 25;
/**
 * Reads of a scan in flight at once. One after the other, a scan of 100 drafts took long enough
 * (tens of seconds on a busy worker) that a worker killed every few seconds never finished one.
 * Kept low: Gmail limits concurrent requests per user ("Too many concurrent requests for user",
 * https://developers.google.com/gmail/api/reference/quota).
 */
const SCAN_READS_AT_ONCE = 5;

/** Reads items SCAN_READS_AT_ONCE at a time, in order; the first hit (in item order) wins. */
async function scanInBatches<T, R>(items: T[], read: (item: T) => Promise<R | null>): Promise<R | null> {
  for (let i = 0; i < items.length; i += SCAN_READS_AT_ONCE) {
    const found = (await Promise.all(items.slice(i, i + SCAN_READS_AT_ONCE).map(read))).find(
      (r) => r !== null,
    );
    if (found !== undefined) return found;
  }
  return null;
}

/**
 * The link we show for a draft. Gmail web opens a draft with `#drafts?compose=<message id>` (or
 * inbox-zero's `#inbox?compose=<message id>`, elie222/inbox-zero apps/web/utils/url.ts, which notes
 * that "the message id changes on every draft edit" and resolves it at link time), but that id
 * changes on every edit (guides/drafts: "the underlying message IDs change every time"), and a
 * thread link (`#all/<threadId>`) changes when the user edits the subject (Gmail re-threads,
 * taylorwilsdon/google_workspace_mcp#920). Nothing Google documents survives edits, so the link
 * opens the account's Drafts folder (`?authuser=` picks the account, as inbox-zero does).
 */
export function draftsFolderLink(email: string): string {
  return `https://mail.google.com/mail/u/?authuser=${encodeURIComponent(email)}#drafts`;
}

/** The lower-cased addresses in an address header ("Ana <ana@x.org>, b@y.org"). */
function addressesOf(value: string | null | undefined): string[] {
  return (value?.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).map((a) => a.toLowerCase());
}

/** Gmail `after:` takes epoch seconds exactly (YYYY/MM/DD would mean midnight Pacific). */
const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export class GmailMailbox implements MailboxProvider {
  readonly provider = 'google' as const;
  /** Markers whose create failed in a way that may have stored the draft anyway. */
  private readonly uncertain = new Set<string>();

  constructor(private readonly s: GoogleSession) {}

  private ref(d: gmail_v1.Schema$Draft, internetMessageId: string): DraftRef {
    return {
      draftId: d.id ?? '',
      internetMessageId,
      version: d.message?.id ?? '',
      ...(d.message?.threadId ? { threadId: d.message.threadId } : {}),
      webLink: draftsFolderLink(this.s.email),
    };
  }

  async createDraft(draft: DraftInput): Promise<DraftRef> {
    // A POST rejected with 429/5xx/timeout is not retried by gaxios, and the caller may retry it:
    // when a create for this marker may already have landed, look for it before creating again.
    if (this.uncertain.has(draft.marker)) {
      const existing = await this.findDraftByMarker(draft.marker);
      if (existing) {
        this.uncertain.delete(draft.marker);
        return existing;
      }
    }
    const raw = await buildRaw(draft);
    try {
      // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/create
      const d = await this.s.call(() =>
        this.s.gmail.users.drafts.create({
          userId: 'me',
          requestBody: { message: { raw, ...threadOf(draft) } },
        }),
      );
      this.uncertain.delete(draft.marker);
      return this.ref(d, messageIdFor(draft.marker));
    } catch (e) {
      if (e instanceof ProviderError && (e.kind === 'transient' || e.kind === 'rate_limited'))
        this.uncertain.add(draft.marker);
      throw e;
    }
  }

  /**
   * Not through search (`q`): Gmail's search index can lag behind a draft made seconds ago
   * (anthropics/claude-code#82548: search misses recent mail that get-by-id returns), and a miss
   * here makes a second draft. drafts.list without `q` lists the DRAFT-labelled messages
   * (https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/list); each one's
   * marker header is read with messages.get format=metadata&metadataHeaders=X-Coffee-Chat-Key
   * (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/get). 1 call + 1 per
   * draft read, up to the one page of MARKER_SCAN drafts; only retried creates pay it.
   */
  async findDraftByMarker(marker: string): Promise<DraftRef | null> {
    const page = await this.s.call(() =>
      this.s.gmail.users.drafts.list({ userId: 'me', maxResults: MARKER_SCAN }),
    );
    return scanInBatches(page.drafts ?? [], async (d) => {
      const messageId = d.message?.id;
      if (!d.id || !messageId) return null;
      let msg: gmail_v1.Schema$Message;
      try {
        msg = await this.s.call(() =>
          this.s.gmail.users.messages.get({
            userId: 'me',
            id: messageId,
            format: 'metadata',
            metadataHeaders: [MARKER_HEADER],
          }),
        );
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found') return null; // edited or sent meanwhile
        throw e;
      }
      const value = msg.payload?.headers?.find(
        (h) => h.name?.toLowerCase() === MARKER_HEADER.toLowerCase(),
      )?.value;
      if (value?.trim() !== marker) return null;
      return this.ref({ id: d.id, message: { id: messageId, threadId: msg.threadId } }, messageIdFor(marker));
    });
  }

  /**
   * messages.list with labelIds=SENT (a label listing, not `q`: see findDraftByMarker) for the
   * latest SENT_SCAN messages, each read with format=metadata for our marker, To and Subject
   * (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/list, .../get). A
   * draft sent from Gmail's own composer may lose our header (the composer writes the message
   * anew), so the recipient and subject at or after `since` count too. 1 call + 1 per message
   * read; only a retried create that found no draft pays it.
   */
  async findSentByMarker(q: SentLookup): Promise<SentCopy | null> {
    const page = await this.s.call(() =>
      this.s.gmail.users.messages.list({ userId: 'me', labelIds: ['SENT'], maxResults: SENT_SCAN }),
    );
    const to = q.to.trim().toLowerCase();
    return scanInBatches(page.messages ?? [], async (m): Promise<SentCopy | null> => {
      if (!m.id) return null;
      let msg: gmail_v1.Schema$Message;
      try {
        msg = await this.s.call(() =>
          this.s.gmail.users.messages.get({
            userId: 'me',
            id: m.id!,
            format: 'metadata',
            metadataHeaders: [MARKER_HEADER, 'To', 'Subject'],
          }),
        );
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found') return null;
        throw e;
      }
      const at = Number(msg.internalDate ?? 0);
      const header = (name: string) =>
        msg.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? '';
      const marker = header(MARKER_HEADER).trim();
      // Our marker says so at once; a message with another of our markers is another draft's copy;
      // one without (Gmail's composer wrote it anew) by recipient and subject, sent after `since`.
      const ours =
        marker === q.marker ||
        (marker === '' &&
          at >= q.since.getTime() &&
          addressesOf(header('To')).includes(to) &&
          header('Subject').trim() === q.subject.trim());
      if (!ours) return null;
      return {
        sentAt: new Date(at),
        messageId: m.id,
        ...(msg.threadId ? { threadId: msg.threadId } : m.threadId ? { threadId: m.threadId } : {}),
      };
    });
  }

  async updateDraft(draftId: string, draft: DraftInput): Promise<DraftRef> {
    const raw = await buildRaw(draft);
    // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/update — the draft gets a new message id
    const d = await this.s.call(() =>
      this.s.gmail.users.drafts.update({
        userId: 'me',
        id: draftId,
        requestBody: { id: draftId, message: { raw, ...threadOf(draft) } },
      }),
    );
    return this.ref(d, messageIdFor(draft.marker));
  }

  async deleteDraft(draftId: string): Promise<void> {
    try {
      await this.s.call(() => this.s.gmail.users.drafts.delete({ userId: 'me', id: draftId }), {
        deleting: true,
      });
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return;
      throw e;
    }
  }

  /**
   * users.drafts.list, 500 a page (its maximum), up to 4 pages: each draft's id with its message
   * id (the version: "the underlying message IDs change every time" the draft is saved,
   * https://developers.google.com/gmail/api/guides/drafts) and thread. No query: the listing is
   * the DRAFT label, not a search.
   */
  async listDrafts(): Promise<Map<string, ListedDraft>> {
    const out = new Map<string, ListedDraft>();
    let pageToken: string | undefined;
    for (let pages = 0; pages < 4; pages++) {
      const page = await this.s.call(() =>
        this.s.gmail.users.drafts.list({
          userId: 'me',
          maxResults: 500,
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      for (const d of page.drafts ?? []) {
        if (!d.id || !d.message?.id) continue;
        out.set(d.id, {
          version: d.message.id,
          ...(d.message.threadId ? { threadId: d.message.threadId } : {}),
        });
      }
      pageToken = page.nextPageToken ?? undefined;
      if (!pageToken) break;
    }
    return out;
  }

  /**
   * Still a draft: 1 call (drafts.get), which also gives the draft's current thread. Gone: sending
   * deletes the draft and creates "a new message with an updated ID ... with the SENT system label"
   * (guides/drafts) in the draft's thread; mail sent from Gmail's composer carries Gmail's own
   * Message-ID, so the copy is found by thread (as inbox-zero's reply tracker matches sent mail to
   * drafts, utils/reply-tracker/draft-tracking.ts): threads.get, read by id and not through the
   * search index, a SENT message made after the draft, to its recipient. 2 calls. No such message
   * (or no thread left: a draft-only thread goes with its draft) → the user discarded it.
   */
  async draftState(ref: DraftLookup): Promise<DraftState> {
    try {
      const d = await this.s.call(() =>
        this.s.gmail.users.drafts.get({ userId: 'me', id: ref.draftId, format: 'minimal' }),
      );
      return {
        state: 'draft',
        version: d.message?.id ?? '',
        ...(d.message?.threadId ? { threadId: d.message.threadId } : {}),
      };
    } catch (e) {
      if (!(e instanceof ProviderError && e.kind === 'not_found')) throw e;
    }
    if (ref.threadId) return this.sentInThread(ref.threadId, ref);
    // Drafts recorded before threads were kept: the Message-ID, which survives drafts.send only.
    const sent = await this.s.call(() =>
      this.s.gmail.users.messages.list({
        userId: 'me',
        q: `rfc822msgid:${bare(ref.internetMessageId)} in:sent`,
        maxResults: 1,
      }),
    );
    const id = sent.messages?.[0]?.id;
    if (!id) return { state: 'deleted' };
    const msg = await this.s.call(() =>
      this.s.gmail.users.messages.get({ userId: 'me', id, format: 'minimal' }),
    );
    return { state: 'sent', sentAt: new Date(Number(msg.internalDate ?? Date.now())), messageId: id };
  }

  private async sentInThread(threadId: string, ref: DraftLookup): Promise<DraftState> {
    let thread: gmail_v1.Schema$Thread;
    try {
      // https://developers.google.com/gmail/api/reference/rest/v1/users.threads/get
      thread = await this.s.call(() =>
        this.s.gmail.users.threads.get({
          userId: 'me',
          id: threadId,
          format: 'metadata',
          metadataHeaders: ['To', 'Cc', 'Bcc'],
        }),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return { state: 'deleted' };
      throw e;
    }
    const to = ref.to?.trim().toLowerCase();
    const copy = (thread.messages ?? [])
      .filter((m) => m.labelIds?.includes('SENT') && !m.labelIds.includes('DRAFT'))
      .filter((m) => !ref.madeAfter || Number(m.internalDate) >= ref.madeAfter.getTime())
      .filter((m) => !to || (m.payload?.headers ?? []).some((h) => addressesOf(h.value).includes(to)))
      .sort((a, b) => Number(a.internalDate) - Number(b.internalDate))[0];
    return copy
      ? {
          state: 'sent',
          sentAt: new Date(Number(copy.internalDate)),
          ...(copy.id ? { messageId: copy.id } : {}),
        }
      : { state: 'deleted' };
  }

  /**
   * messages.get format=full: "Returns the full email message data with body content parsed in
   * the payload field" (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/get,
   * Format); each MessagePart carries its MIME type and `body.data` in base64url
   * (https://developers.google.com/gmail/api/reference/rest/v1/users.messages#MessagePart). The
   * first text/plain part wins (Gmail's composer writes one beside the HTML); else the first
   * text/html part as text. 1 call.
   */
  async sentText(messageId: string): Promise<string | null> {
    const msg = await nullIfNotFound(
      this.s.call(() => this.s.gmail.users.messages.get({ userId: 'me', id: messageId, format: 'full' })),
    );
    return msg && messageText(msg);
  }

  /** A draft's subject, recipients (To, Cc, Bcc) and text: drafts.get, format full. 1 call. */
  async draftContent(draftId: string): Promise<DraftContent | null> {
    const d = await nullIfNotFound(
      this.s.call(() => this.s.gmail.users.drafts.get({ userId: 'me', id: draftId, format: 'full' })),
    );
    if (!d?.message) return null;
    const header = (name: string) =>
      (d.message?.payload?.headers ?? [])
        .filter((h) => h.name?.toLowerCase() === name)
        .map((h) => h.value ?? '')
        .join(', ');
    return {
      subject: header('subject'),
      recipients: ['to', 'cc', 'bcc'].flatMap((h) => addressesOf(header(h))),
      text: messageText(d.message),
    };
  }

  /**
   * `{from:X to:X} after:<epoch> -in:drafts` — drafts are messages too and would otherwise count
   * (https://support.google.com/mail/answer/7190). One call when nothing matches; the newest
   * match (lists are newest first) costs a second call for its internalDate.
   */
  async lastMailExchanged(addr: string, since: Date): Promise<Date | null> {
    const a = addr.trim().toLowerCase();
    if (!/^[^\s"{}()]+@[^\s"{}()]+$/.test(a))
      throw new ProviderError('google', 'bad_request', `not an email address: ${addr}`);
    const q = `{from:${a} to:${a}} after:${epochSeconds(since)} -in:drafts`;
    const page = await this.s.call(() =>
      this.s.gmail.users.messages.list({ userId: 'me', q, maxResults: 1 }),
    );
    const id = page.messages?.[0]?.id;
    if (!id) return null;
    const msg = await this.s.call(() =>
      this.s.gmail.users.messages.get({ userId: 'me', id, format: 'minimal' }),
    );
    return new Date(Number(msg.internalDate));
  }

  /**
   * threads.get with format=metadata (From, To, Cc), read by id and not through the search index
   * (https://developers.google.com/gmail/api/reference/rest/v1/users.threads/get); drafts (DRAFT
   * label) left out. 1 call; a thread that is gone (404) has no messages.
   */
  async threadMessages(threadId: string): Promise<ThreadMessage[]> {
    let thread: gmail_v1.Schema$Thread;
    try {
      thread = await this.s.call(() =>
        this.s.gmail.users.threads.get({
          userId: 'me',
          id: threadId,
          format: 'metadata',
          metadataHeaders: ['From', 'To', 'Cc', 'Subject', ...AUTO_HEADERS],
        }),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return [];
      throw e;
    }
    return (thread.messages ?? [])
      .filter((m) => !m.labelIds?.includes('DRAFT'))
      .map((m) => threadMessage(m))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /**
   * messages.list with `q` (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/list;
   * operators: https://support.google.com/mail/answer/7190): each address as sender or recipient
   * (`{from:X to:X cc:X}`), `after:` in epoch seconds, drafts out. The index may lag a message
   * that just arrived: the next round finds it. The newest hit's headers are read (1 more call)
   * to check the addresses exactly, as search matches words.
   */
  async findThreadWith(addresses: string[], since: Date): Promise<{ threadId: string; at: Date } | null> {
    const want = addresses.map((a) => a.trim().toLowerCase());
    for (const a of want)
      if (!/^[^\s"{}()]+@[^\s"{}()]+$/.test(a))
        throw new ProviderError('google', 'bad_request', `not an email address: ${a}`);
    const q = `${want.map((a) => `{from:${a} to:${a} cc:${a}}`).join(' ')} after:${epochSeconds(since)} -in:drafts`;
    const page = await this.s.call(() =>
      this.s.gmail.users.messages.list({ userId: 'me', q, maxResults: 5 }),
    );
    for (const hit of page.messages ?? []) {
      if (!hit.id) continue;
      const msg = await this.s.call(() =>
        this.s.gmail.users.messages.get({
          userId: 'me',
          id: hit.id!,
          format: 'metadata',
          metadataHeaders: ['From', 'To', 'Cc'],
        }),
      );
      const m = threadMessage(msg);
      const people = new Set([m.from, ...m.recipients]);
      if (want.every((a) => people.has(a)) && msg.threadId) return { threadId: msg.threadId, at: m.at };
    }
    return null;
  }
}

function threadMessage(m: gmail_v1.Schema$Message): ThreadMessage {
  const header = (name: string) =>
    (m.payload?.headers ?? [])
      .filter((h) => h.name?.toLowerCase() === name)
      .map((h) => h.value ?? '')
      .join(', ');
  return {
    from: addressesOf(header('from'))[0] ?? '',
    recipients: [...addressesOf(header('to')), ...addressesOf(header('cc'))],
    at: new Date(Number(m.internalDate ?? 0)),
    automatic: isAutomaticReply({
      autoSubmitted: header('auto-submitted'),
      precedence: header('precedence'),
      xAutoreply: header('x-autoreply'),
      xAutorespond: header('x-autorespond'),
      subject: header('subject'),
    }),
  };
}

/** Headers that mark an automatic answer (integrations/auto-reply.ts). */
const AUTO_HEADERS = ['Auto-Submitted', 'Precedence', 'X-Autoreply', 'X-Autorespond'];

/** The text/plain part of a message (format full), else its text/html part as text. */
function messageText(msg: gmail_v1.Schema$Message): string {
  const parts: gmail_v1.Schema$MessagePart[] = [];
  const walk = (p: gmail_v1.Schema$MessagePart | undefined) => {
    if (!p) return;
    parts.push(p);
    for (const c of p.parts ?? []) walk(c);
  };
  walk(msg.payload);
  const body = (mime: string) => {
    const p = parts.find((x) => x.mimeType?.toLowerCase() === mime && !x.filename && x.body?.data);
    return p ? Buffer.from(p.body!.data!, 'base64url').toString('utf8') : null;
  };
  const text = body('text/plain');
  if (text !== null) return text;
  const html = body('text/html');
  return html === null ? '' : htmlToText(html);
}
