// MailboxProvider on Microsoft Graph. The app never sends mail: it writes drafts the user sends.
// - Drafts: POST /me/messages (https://learn.microsoft.com/en-us/graph/api/user-post-messages) with an
//   HTML body (a message has ONE body, text or HTML: no multipart alternative, so the text version
//   stays ours for previews), toRecipients and our marker extended property. version = changeKey.
// - Send detection: the draft leaves Drafts when sent and a copy lands in Sent Items
//   (https://learn.microsoft.com/en-us/graph/api/message-send), with the same internetMessageId
//   except from classic Outlook desktop (office-js #2659, #6066): then by our marker, then by
//   conversation + recipient + time (see draftState).
// - "Mail exchanged with X": $search participants:X (https://learn.microsoft.com/en-us/graph/search-query-parameter),
//   which also finds drafts (as Graph does): those are left out here.
import type {
  DraftInput,
  DraftLookup,
  DraftRef,
  DraftState,
  ListedDraft,
  MailboxProvider,
  ThreadMessage,
  SentCopy,
  SentLookup,
  DraftContent,
} from '../provider.ts';
import { ProviderError, nullIfNotFound } from '../provider.ts';
import { isAutomaticReply } from '../auto-reply.ts';
import { htmlToText } from '../html-text.ts';
import { isEditConflict } from './errors.ts';
import type { GraphHandle } from './graph-client.ts';
import { COFFEE_CHAT_MARKER_ID, markerFilter, odataString } from './markers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REF_FIELDS = 'id,internetMessageId,conversationId,changeKey,webLink,isDraft';

function ref(m: Json): DraftRef {
  return {
    draftId: String(m.id),
    internetMessageId: String(m.internetMessageId ?? ''),
    ...(m.conversationId ? { threadId: String(m.conversationId) } : {}),
    version: String(m.changeKey ?? ''),
    ...(m.webLink ? { webLink: String(m.webLink) } : {}),
  };
}

function message(d: DraftInput): Json {
  return {
    subject: d.subject,
    body: { contentType: 'html', content: d.html },
    toRecipients: [{ emailAddress: { address: d.to.email, ...(d.to.name ? { name: d.to.name } : {}) } }],
    singleValueExtendedProperties: [{ id: COFFEE_CHAT_MARKER_ID, value: d.marker }],
  };
}

/** Our stored version is the bare changeKey; Outlook's ETag is the weak W/"<changeKey>". */
export function weakEtag(version: string): string {
  const v = version.trim();
  if (/^W\/".*"$/.test(v)) return v;
  return `W/"${v.replace(/^"(.*)"$/, '$1')}"`;
}

/** The Graph error code behind a ProviderError (lower-cased), when there is one. */
function graphCode(e: ProviderError): string {
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code.toLowerCase() : '';
}

export class MicrosoftMailbox implements MailboxProvider {
  readonly provider = 'microsoft' as const;

  constructor(private graph: GraphHandle) {}

  async createDraft(draft: DraftInput): Promise<DraftRef> {
    try {
      const m = await this.graph.call('create draft', (c) => c.api('/me/messages').post(message(draft)));
      return ref(m);
    } catch (e) {
      // A timeout or 5xx may hide a draft that was made: look before anyone retries.
      if (e instanceof ProviderError && e.kind === 'transient') {
        const found = await this.findDraftByMarker(draft.marker).catch(() => null);
        if (found) return found;
      }
      throw e;
    }
  }

  async findDraftByMarker(marker: string): Promise<DraftRef | null> {
    const res: Json = await this.graph.call('find draft', (c) =>
      c
        .api('/me/mailFolders/drafts/messages')
        .filter(encodeURIComponent(markerFilter(marker)))
        .select(REF_FIELDS)
        .top(1)
        .get(),
    );
    const m = res.value?.[0];
    return m ? ref(m) : null;
  }

  /**
   * Sent Items by our extended property (Exchange keeps it on the sent copy, as draftState relies
   * on), else the latest sent messages to `to` with `subject` at or after `since`
   * (https://learn.microsoft.com/en-us/graph/api/user-list-messages, $filter on sentDateTime with
   * $orderby on the same property). 1 or 2 calls; only a retried create that found no draft pays.
   */
  async findSentByMarker(q: SentLookup): Promise<SentCopy | null> {
    const list = async (what: string, filter: string, orderby?: string): Promise<Json[]> => {
      const res: Json = await this.graph.call(what, (c) => {
        let req = c
          .api('/me/mailFolders/sentitems/messages')
          .filter(encodeURIComponent(filter))
          .select('id,sentDateTime,subject,toRecipients,conversationId')
          .top(10);
        if (orderby) req = req.orderby(orderby);
        return req.get();
      });
      return (res.value ?? []) as Json[];
    };
    const found = (m: Json) => ({
      sentAt: new Date(String(m.sentDateTime)),
      messageId: String(m.id),
      ...(m.conversationId ? { threadId: String(m.conversationId) } : {}),
    });
    const [byMarker] = await list('sent copy by marker', markerFilter(q.marker));
    if (byMarker) return found(byMarker);
    const to = q.to.trim().toLowerCase();
    const recent = await list(
      'recent sent copies',
      `sentDateTime ge ${q.since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
      'sentDateTime desc',
    );
    const copy = recent.find(
      (m) =>
        String(m.subject ?? '').trim() === q.subject.trim() &&
        ((m.toRecipients ?? []) as Json[]).some(
          (r) => String(r.emailAddress?.address ?? '').toLowerCase() === to,
        ),
    );
    return copy ? found(copy) : null;
  }

  /** https://learn.microsoft.com/en-us/graph/api/message-update (a new changeKey comes back). */
  async updateDraft(draftId: string, draft: DraftInput): Promise<DraftRef> {
    const m = await this.graph.call('update draft', (c) =>
      c.api(`/me/messages/${draftId}`).patch(message(draft)),
    );
    return ref(m);
  }

  /**
   * One conditional PATCH (https://learn.microsoft.com/en-us/graph/api/message-update) with
   * `If-Match: W/"<changeKey>"`. Outlook items carry `@odata.etag` = W/"<changeKey>" (see the
   * example responses of https://learn.microsoft.com/en-us/graph/api/message-get); a stale one is
   * refused with 412 Precondition Failed ("a precondition provided in the request (such as an
   * if-match header) does not match the resource's current state",
   * https://learn.microsoft.com/en-us/graph/errors), code ErrorIrresolvableConflict as Exchange
   * answers it, which some tenants send as 409 (errors.ts isEditConflict). Not a change: 412 or
   * ErrorIrresolvableConflict at any status (edited), 404 (sent: the draft left Drafts, or discarded), and
   * ErrorInvalidPropertyUpdateSentMessage (the id now names a sent message, e.g. immutable ids).
   */
  async updateDraftIfUnchanged(
    draftId: string,
    version: string,
    draft: DraftInput,
  ): Promise<DraftRef | null> {
    try {
      const m: Json = await this.graph.call('update draft if unchanged', (c) =>
        c.api(`/me/messages/${draftId}`).header('If-Match', weakEtag(version)).patch(message(draft)),
      );
      // A message that is no longer a draft is never a draft we updated.
      return m.isDraft === false ? null : ref(m);
    } catch (e) {
      if (
        e instanceof ProviderError &&
        (isEditConflict(e) ||
          e.kind === 'not_found' ||
          graphCode(e) === 'errorinvalidpropertyupdatesentmessage')
      ) {
        return null;
      }
      throw e;
    }
  }

  async deleteDraft(draftId: string): Promise<void> {
    try {
      await this.graph.call('delete draft', (c) => c.api(`/me/messages/${draftId}`).delete());
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return;
      throw e;
    }
  }

  /**
   * GET /me/mailFolders/drafts/messages with id, changeKey and conversationId only
   * (https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages; "drafts" is a
   * well-known folder name), 250 a page, up to 4 pages: a mailbox with more drafts than that has
   * the rest asked about one by one.
   */
  async listDrafts(): Promise<Map<string, ListedDraft>> {
    const out = new Map<string, ListedDraft>();
    let page: Json = await this.graph.call('drafts list', (c) =>
      c.api('/me/mailFolders/drafts/messages').select('id,changeKey,conversationId').top(250).get(),
    );
    for (let pages = 1; ; pages++) {
      for (const m of (page.value ?? []) as Json[]) {
        if (!m.id) continue;
        out.set(String(m.id), {
          version: String(m.changeKey ?? ''),
          ...(m.conversationId ? { threadId: String(m.conversationId) } : {}),
        });
      }
      const next = page['@odata.nextLink'];
      if (!next || pages >= 4) return out;
      page = await this.graph.call('drafts list', (c) => c.api(next).get());
    }
  }

  /**
   * Still there: 1 call. Gone from Drafts (the item id changes with the folder), the Sent Items
   * copy is looked for, one call each, until found:
   * 1. the same internetMessageId (Graph and Outlook on the web keep it);
   * 2. our marker extended property (classic Outlook desktop gives the copy a new
   *    internetMessageId, office-js #2659 / #6066; its reporters name custom properties as what
   *    still identifies the item);
   * 3. the draft's conversationId, sent to the draft's recipient after the draft was made
   *    (conversationId alone can also name earlier or later mail of the same conversation).
   * None → the user discarded it: 4 calls.
   */
  async draftState(r: DraftLookup): Promise<DraftState> {
    try {
      const m: Json = await this.graph.call('draft state', (c) =>
        c.api(`/me/messages/${r.draftId}`).select('isDraft,changeKey,sentDateTime,conversationId').get(),
      );
      if (m.isDraft !== false) {
        return {
          state: 'draft',
          version: String(m.changeKey ?? ''),
          ...(m.conversationId ? { threadId: String(m.conversationId) } : {}),
        };
      }
      return {
        state: 'sent',
        sentAt: new Date(String(m.sentDateTime ?? Date.now())),
        messageId: r.draftId,
      };
    } catch (e) {
      if (!(e instanceof ProviderError && e.kind === 'not_found')) throw e;
    }
    const sentCopies = async (what: string, filter: string, top: number): Promise<Json[]> => {
      const res: Json = await this.graph.call(what, (c) =>
        c
          .api('/me/mailFolders/sentitems/messages')
          .filter(encodeURIComponent(filter))
          .select('id,sentDateTime,toRecipients,ccRecipients,bccRecipients')
          .top(top)
          .get(),
      );
      return (res.value ?? []) as Json[];
    };
    const sent = (m: Json): DraftState => ({
      state: 'sent',
      sentAt: new Date(String(m.sentDateTime)),
      ...(m.id ? { messageId: String(m.id) } : {}),
    });
    if (r.internetMessageId) {
      const [copy] = await sentCopies(
        'sent copy',
        `internetMessageId eq ${odataString(r.internetMessageId)}`,
        1,
      );
      if (copy) return sent(copy);
    }
    if (r.marker) {
      const [copy] = await sentCopies('sent copy by marker', markerFilter(r.marker), 1);
      if (copy) return sent(copy);
    }
    if (r.threadId) {
      const to = r.to?.trim().toLowerCase();
      const after = r.madeAfter?.getTime();
      const copies = await sentCopies(
        'sent copy by conversation',
        `conversationId eq ${odataString(r.threadId)}`,
        25,
      );
      const copy = copies
        .filter((m) => after === undefined || new Date(String(m.sentDateTime)).getTime() >= after)
        .filter(
          (m) =>
            !to ||
            [...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])].some(
              (x: Json) => String(x?.emailAddress?.address ?? '').toLowerCase() === to,
            ),
        )
        .sort((a, b) => String(a.sentDateTime).localeCompare(String(b.sentDateTime)))[0];
      if (copy) return sent(copy);
    }
    return { state: 'deleted' };
  }

  /**
   * GET /me/messages/{id}?$select=body (https://learn.microsoft.com/en-us/graph/api/message-get):
   * `body` is an itemBody whose contentType is "text" or "html"
   * (https://learn.microsoft.com/en-us/graph/api/resources/itembody). HTML is turned into text here,
   * with the same converter as everything else, rather than with `Prefer:
   * outlook.body-content-type="text"`, so both providers' sent mail reads alike. 1 call.
   */
  async sentText(messageId: string): Promise<string | null> {
    const m: Json = await nullIfNotFound(
      this.graph.call('sent text', (c) => c.api(`/me/messages/${messageId}`).select('body').get()),
    );
    return m && bodyText(m);
  }

  /** A draft's subject, recipients (To, Cc, Bcc) and body as text (a draft is a message). 1 call. */
  async draftContent(draftId: string): Promise<DraftContent | null> {
    const m: Json = await nullIfNotFound(
      this.graph.call('draft content', (c) =>
        c.api(`/me/messages/${draftId}`).select('subject,toRecipients,ccRecipients,bccRecipients,body').get(),
      ),
    );
    if (!m) return null;
    return {
      subject: String(m.subject ?? ''),
      recipients: [...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])].map(
        (r: Json) => String(r?.emailAddress?.address ?? '').toLowerCase(),
      ),
      text: bodyText(m),
    };
  }

  async lastMailExchanged(address: string, since: Date): Promise<Date | null> {
    const want = address.trim().toLowerCase();
    const involves = (m: Json) =>
      [m.from, ...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])].some(
        (r: Json | undefined) => String(r?.emailAddress?.address ?? '').toLowerCase() === want,
      );
    let page: Json = await this.graph.call('mail search', (c) =>
      c
        .api('/me/messages')
        .search(encodeURIComponent(`"participants:${want.replace(/"/g, '')}"`))
        .select('isDraft,receivedDateTime,sentDateTime,from,toRecipients,ccRecipients,bccRecipients')
        .top(25)
        .get(),
    );
    for (let pages = 0; pages < 4; pages++) {
      // Search results come newest first (by date sent): the first real hit is the answer.
      for (const m of page.value ?? []) {
        if (m.isDraft || !involves(m)) continue;
        const when = new Date(String(m.sentDateTime ?? m.receivedDateTime));
        return when >= since ? when : null;
      }
      const next = page['@odata.nextLink'];
      if (!next) return null;
      page = await this.graph.call('mail search', (c) => c.api(next).get());
    }
    return null;
  }

  /**
   * GET /me/messages?$filter=conversationId eq '…' (https://learn.microsoft.com/en-us/graph/api/user-list-messages),
   * without $orderby: a sort on a property that is not the filter's first gives 400
   * InefficientFilter ("Using filter and orderby in the same query", same page), so the messages
   * are put in order here. Drafts left out. Up to 50, one call.
   */
  async threadMessages(threadId: string): Promise<ThreadMessage[]> {
    const res: Json = await this.graph.call('conversation', (c) =>
      c
        .api('/me/messages')
        .filter(encodeURIComponent(`conversationId eq ${odataString(threadId)}`))
        .select('isDraft,subject,from,toRecipients,ccRecipients,sentDateTime,receivedDateTime')
        .top(50)
        .get(),
    );
    return ((res.value ?? []) as Json[])
      .filter((m) => m.isDraft !== true)
      .map(threadMessage)
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /**
   * $search "participants:A participants:B" (KQL terms AND together; participants covers from,
   * to, cc and bcc: https://learn.microsoft.com/en-us/graph/search-query-parameter#using-search-on-message-collections).
   * $search takes no $filter or $orderby and finds drafts too: dates and drafts are checked here,
   * and the addresses exactly. Results come newest first. One call.
   */
  async findThreadWith(addresses: string[], since: Date): Promise<{ threadId: string; at: Date } | null> {
    const want = addresses.map((a) => a.trim().toLowerCase().replace(/"/g, ''));
    const res: Json = await this.graph.call('mail search', (c) =>
      c
        .api('/me/messages')
        .search(encodeURIComponent(`"${want.map((a) => `participants:${a}`).join(' ')}"`))
        .select('isDraft,conversationId,from,toRecipients,ccRecipients,sentDateTime,receivedDateTime')
        .top(25)
        .get(),
    );
    for (const m of (res.value ?? []) as Json[]) {
      if (m.isDraft === true || !m.conversationId) continue;
      const t = threadMessage(m);
      // Graph's times are whole seconds: a message of the same second as `since` is not older.
      if (t.at.getTime() < Math.floor(since.getTime() / 1000) * 1000) continue;
      const people = new Set([t.from, ...t.recipients]);
      if (want.every((a) => people.has(a))) return { threadId: String(m.conversationId), at: t.at };
    }
    return null;
  }
}

function threadMessage(m: Json): ThreadMessage {
  const addr = (r: Json | undefined) => String(r?.emailAddress?.address ?? '').toLowerCase();
  return {
    from: addr(m.from),
    recipients: [...(m.toRecipients ?? []), ...(m.ccRecipients ?? [])].map(addr).filter(Boolean),
    at: new Date(String(m.sentDateTime ?? m.receivedDateTime)),
    automatic: isAutomaticReply({ subject: typeof m.subject === 'string' ? m.subject : null }),
  };
}

/** A message's body (an itemBody, "text" or "html") as plain text. */
function bodyText(m: Json): string {
  const content = String(m.body?.content ?? '');
  return String(m.body?.contentType ?? '').toLowerCase() === 'html' ? htmlToText(content) : content;
}
