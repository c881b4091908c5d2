// Job `refresh-draft`: a draft we already made is brought up to date when its chat changed
// (rescheduled, a note added for the thank-you), but only while the user has not touched it:
// the provider's version must still be the one we wrote. An edited or sent draft is never changed.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { attachMaterial } from '../core/check-in-material.ts';
import { composeDraft, contentHash, draftedText } from '../core/compose-draft.ts';
import { draftLookup } from '../core/draft-lookup.ts';
import { jobSchemas } from '../queues/queues.ts';
import { withProvider } from '../provider-policy.ts';

export async function refreshDraftJob(app: App, job: Job | undefined, token?: string) {
  const { key } = jobSchemas['refresh-draft'].parse(job?.data);
  return refreshDraft(app, key, job, token);
}

export async function refreshDraft(app: App, key: string, job?: Job, token?: string) {
  const draft = await app.prisma.draft.findUnique({
    where: { idempotencyKey: key },
    include: { account: true, user: true, contact: true, chat: { include: { contact: true } } },
  });
  const lookup = draft && draftLookup(draft, draft.contact?.email);
  if (!draft || draft.status !== 'created' || !lookup) {
    return { key, outcome: 'skipped' };
  }
  if (draft.chat?.status === 'cancelled') return { key, outcome: 'skipped', why: 'chat cancelled' };
  const content = await composeDraft(app, draft);
  const hash = contentHash(content);
  if (hash === draft.contentHash) return { key, outcome: 'unchanged' };
  const result = await withProvider(app, job, token, draft.account, async ({ mailbox }) => {
    const input = { marker: key, ...content };
    if (mailbox.updateDraftIfUnchanged && draft.version) {
      // One call where the provider can update conditionally (Graph If-Match on the changeKey).
      const ref = await mailbox.updateDraftIfUnchanged(draft.providerDraftId!, draft.version, input);
      if (ref) return { outcome: 'updated', ref } as const;
      // Refused: find out why (edited, sent or gone) only on this rare path.
      const state = await mailbox.draftState(lookup);
      return { outcome: state.state === 'draft' ? 'edited' : state.state } as const;
    }
    const state = await mailbox.draftState(lookup);
    if (state.state !== 'draft') return { outcome: state.state } as const;
    if (state.version !== draft.version) return { outcome: 'edited' } as const;
    const ref = await mailbox.updateDraft(draft.providerDraftId!, input);
    return { outcome: 'updated', ref } as const;
  });
  if (result.outcome === 'updated') {
    await app.prisma.draft.update({
      where: { id: draft.id },
      data: {
        providerDraftId: result.ref.draftId,
        internetMessageId: result.ref.internetMessageId,
        // Gmail: an update may start a new thread (we do not name the old one)
        threadId: result.ref.threadId ?? draft.threadId,
        version: result.ref.version,
        webLink: result.ref.webLink ?? draft.webLink,
        subject: content.subject,
        contentHash: hash,
        draftedText: draftedText(content),
      },
    });
    if (draft.kind === 'check_in') await attachMaterial(app, draft.id, draft.contactId);
    app.log.info({ kind: draft.kind, to: content.to.email }, 'draft updated (the user had not edited it)');
  } else if (result.outcome === 'edited') {
    // Record what we would have written, so we do not ask again until it changes once more.
    await app.prisma.draft.update({ where: { id: draft.id }, data: { contentHash: hash } });
  }
  return { key, outcome: result.outcome };
}
