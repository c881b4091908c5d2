// Graph v1.0 mail routes of the sandbox: messages and mail folders, $search, drafts and send.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { badRequest, ifMatchAccepts, notFound, preconditionFailed } from './graph-errors.ts';
import { parseFilter } from './odata-filter.ts';
import type { Operations } from './operations.ts';
import { renderMessage } from './render.ts';
import { bodyText, type Account, type FolderName, type MicrosoftStore, type StoredMessage } from './store.ts';
import { type Json, type Query, account, page, renderOptions } from './graph-request.ts';

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
        return (x) =>
          addrMatch(
            [...(x.from ? [x.from] : []), ...x.toRecipients, ...x.ccRecipients, ...x.bccRecipients],
            v,
          );
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
          x.subject.toLowerCase().includes(v) ||
          bodyText(x.body).toLowerCase().includes(v) ||
          addrMatch(x.from ? [x.from] : [], v);
    }
  };
  const preds = groups.map((g) => (g.match(/\w+:"[^"]*"|\S+/g) ?? []).map(term));
  return (m) => preds.some((all) => all.every((p) => p(m)));
}

function sortMessages(list: StoredMessage[], orderby: string | undefined): StoredMessage[] {
  const [field = 'receivedDateTime', dir = 'desc'] = (orderby ?? 'receivedDateTime desc').trim().split(/\s+/);
  const key = (m: StoredMessage) =>
    field.toLowerCase() === 'sentdatetime'
      ? (m.sentMs ?? 0)
      : field.toLowerCase() === 'subject'
        ? m.subject
        : m.receivedMs;
  return list.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return dir.toLowerCase() === 'desc' ? -c : c;
  });
}

/**
 * "Using filter and orderby in the same query" (https://learn.microsoft.com/en-us/graph/api/user-list-messages):
 * properties in $orderby must also appear in $filter, in the same order, before any property that
 * is not in $orderby; otherwise 400 InefficientFilter "The restriction or sort order is too complex
 * for this operation." (seen live, e.g. a conversationId filter with `$orderby=receivedDateTime`:
 * NVIDIA/nemoclaw-community#117, mpalermiti/outlook-mcp#31).
 */
function orderbyFitsFilter(orderby: string, filter: string): boolean {
  const ordered = orderby
    .split(',')
    .map((p) => p.trim().split(/\s+/)[0]!.toLowerCase())
    .filter(Boolean);
  const filtered: string[] = [];
  for (const m of filter.matchAll(/([A-Za-z_][\w/]*)\s+(?:eq|ne|gt|ge|lt|le)\s/g)) {
    const name = m[1]!.toLowerCase();
    if (!filtered.includes(name)) filtered.push(name);
  }
  return ordered.every((p, i) => filtered[i] === p);
}

const WELL_KNOWN: Record<string, FolderName> = { drafts: 'drafts', sentitems: 'sentitems', inbox: 'inbox' };

function folderOf(acc: Account, idOrName: string): FolderName {
  const n = idOrName.replace(/^\('?|'?\)$/g, '').toLowerCase();
  if (WELL_KNOWN[n]) return WELL_KNOWN[n]!;
  for (const [k, v] of Object.entries(acc.folderIds)) if (v === idOrName) return k as FolderName;
  throw notFound('The specified folder could not be found in the store.', 'ErrorFolderNotFound');
}

export function registerMailRoutes(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: MicrosoftStore,
  ops: Operations,
) {
  const base = '/v1.0';
  const ctxUrl = (p: string) => `${ctx.httpsUrl()}${base}${p}`;

  // ---- messages -----------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/api/user-list-messages
  const listMessages = async (req: FastifyRequest, folder: FolderName | null) => {
    const acc = account(req);
    const q = req.query as Query;
    const opts = renderOptions(req, ctx);
    let msgs = [...acc.messages.values()].filter((m) => !folder || m.folder === folder);
    if (q.$search !== undefined) {
      if (q.$orderby) {
        throw badRequest(
          "The query parameter '$orderBy' is not supported with '$search'.",
          'ErrorInvalidUrlQuery',
        );
      }
      const pred = searchPredicate(q.$search);
      msgs = msgs.filter(pred);
    }
    if (q.$filter) {
      if (q.$orderby && !orderbyFitsFilter(q.$orderby, q.$filter)) {
        throw badRequest(
          'The restriction or sort order is too complex for this operation.',
          'InefficientFilter',
        );
      }
      const pred = parseFilter(q.$filter);
      msgs = msgs.filter((m) =>
        pred({
          ...renderMessage(acc, m, { ...opts, select: undefined, expandProps: null }),
          singleValueExtendedProperties: m.extendedProperties,
        }),
      );
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
    return {
      id: acc.folderIds[f],
      displayName: names[f],
      parentFolderId: null,
      childFolderCount: 0,
      unreadItemCount: 0,
      totalItemCount: count,
      isHidden: false,
    };
  });

  app.post(`${base}/me/messages`, async (req, reply) => {
    const acc = account(req);
    const m = ops.createDraft(acc, (req.body as Json) ?? {});
    return reply.code(201).send(renderMessage(acc, m, renderOptions(req, ctx)));
  });
  app.post<{ Params: { folder: string } }>(`${base}/me/mailFolders/:folder/messages`, async (req, reply) => {
    const acc = account(req);
    if (folderOf(acc, req.params.folder) !== 'drafts')
      throw badRequest('Only drafts can be created by the sandbox.', 'ErrorInvalidOperation');
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
    if (current && !ifMatchAccepts(req.headers['if-match'], current.changeKey))
      throw preconditionFailed(store.ifMatchConflictStatus);
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
}
