// MailboxProvider over Gmail v1. Drafts are RFC 5322 MIME built by nodemailer's MailComposer and
// sent as JSON `{message: {raw}}` (base64url), not as a media upload: googleapis sends media
// uploads to the real upload host whatever rootUrl says (see shared/notes/stack-findings.md).
// https://developers.google.com/gmail/api/guides/drafts
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { gmail_v1 } from '@googleapis/gmail';
import type { DraftInput, DraftRef, DraftState, MailboxProvider, Person } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import type { GoogleSession } from './session.ts';

export const MARKER_HEADER = 'X-Coffee-Chat-Key';

/**
 * The draft's Message-ID is derived from its marker, so a retried create can find the draft it
 * already made with ONE `drafts.list q=rfc822msgid:` call (Gmail cannot search custom headers).
 * Gmail keeps the Message-ID when the draft is sent, which is how send detection finds the copy.
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
  });
  const buf = await mail.compile().build();
  return buf.toString('base64url');
}

const bare = (id: string) => id.replace(/^<|>$/g, '');

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
      webLink: `https://mail.google.com/mail/#drafts?compose=${d.message?.id ?? ''}`,
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
        this.s.gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } }),
      );
      this.uncertain.delete(draft.marker);
      return this.ref(d, messageIdFor(draft.marker));
    } catch (e) {
      if (e instanceof ProviderError && (e.kind === 'transient' || e.kind === 'rate_limited'))
        this.uncertain.add(draft.marker);
      throw e;
    }
  }

  async findDraftByMarker(marker: string): Promise<DraftRef | null> {
    const mid = messageIdFor(marker);
    // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/list (q: Gmail search, rfc822msgid:)
    const page = await this.s.call(() =>
      this.s.gmail.users.drafts.list({ userId: 'me', q: `rfc822msgid:${bare(mid)}`, maxResults: 5 }),
    );
    const d = page.drafts?.[0];
    return d ? this.ref(d, mid) : null;
  }

  async updateDraft(draftId: string, draft: DraftInput): Promise<DraftRef> {
    const raw = await buildRaw(draft);
    // https://developers.google.com/gmail/api/reference/rest/v1/users.drafts/update — the draft gets a new message id
    const d = await this.s.call(() =>
      this.s.gmail.users.drafts.update({
        userId: 'me',
        id: draftId,
        requestBody: { id: draftId, message: { raw } },
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
   * Still a draft: 1 call (drafts.get). Gone: a SENT message with the draft's Message-ID means it
   * was sent (drafts.send deletes the draft and creates a new SENT message, guides/drafts), else
   * the user discarded it.
   */
  async draftState(ref: Pick<DraftRef, 'draftId' | 'internetMessageId'>): Promise<DraftState> {
    try {
      const d = await this.s.call(() =>
        this.s.gmail.users.drafts.get({ userId: 'me', id: ref.draftId, format: 'minimal' }),
      );
      return { state: 'draft', version: d.message?.id ?? '' };
    } catch (e) {
      if (!(e instanceof ProviderError && e.kind === 'not_found')) throw e;
    }
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
    return { state: 'sent', sentAt: new Date(Number(msg.internalDate ?? Date.now())) };
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
}
