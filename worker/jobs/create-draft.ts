// Job `create-draft`: puts one draft (confirmation, thank-you, check-in, outreach) in the user's
// own mailbox. Exactly once (see core/claim.ts): the Draft row is claimed with a lease; the draft
// carries the row's unique key as a marker, looked up whenever an earlier run claimed the row, so
// a retry after a crash finds the draft it already made instead of making a second. It re-reads the state first and does nothing if the draft is no
// longer wanted. It never sends.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { App } from '../app.ts';
import type { Account, Draft } from '../db/generated/client.ts';
import type { DraftContent } from '../../integrations/provider.ts';
import { STRAY_POSSIBLE, strayPossible } from '../core/set-aside.ts';
import { chatFacts } from '../core/chat-facts.ts';
import { CLAIM_LEASE_MS, claimRow, releaseClaim, waitForClaim } from '../core/claim.ts';
import { ensureCheckInPlan } from '../core/check-in-plans.ts';
import { attachMaterial } from '../core/check-in-material.ts';
import { composeDraft, contentHash, draftedText } from '../core/compose-draft.ts';
import { planChatActions } from '../pipeline/plan-chat-actions.ts';
import { FAST_ATTEMPTS, cappedDelay, jobData, jobSchemas } from '../queues/queues.ts';
import { isRetryableFailure, withProvider } from '../provider-policy.ts';
import { usefulUntil } from '../core/scheduled-work.ts';
import { recordSent } from '../core/record-sent.ts';

/** BullMQ's delays and the clocks of two processes may differ by this much. */
const EARLY_TOLERANCE_MS = 2_000;
/** How far the provider's clock (a sent message's date) may be behind ours. */
const CLOCK_SKEW_MS = 60_000;

export type CreateDraftResult = { key: string; outcome: 'created' | 'found' | 'skipped'; why?: string };

export async function createDraftJob(
  app: App,
  job: Job | undefined,
  token?: string,
): Promise<CreateDraftResult> {
  const { key } = jobSchemas['create-draft'].parse(jobData('create-draft', job));
  return createDraft(app, key, job, token);
}

export async function createDraft(
  app: App,
  key: string,
  job?: Job,
  token?: string,
): Promise<CreateDraftResult> {
  const draft = await app.prisma.draft.findUnique({
    where: { idempotencyKey: key },
    include: {
      account: true,
      user: true,
      contact: true,
      chat: { include: { contact: true, drafts: true, entries: true } },
    },
  });
  if (!draft) return { key, outcome: 'skipped', why: 'no such draft' };
  // Set aside after a run called the provider's create and never recorded what it made.
  if (strayPossible(draft)) return removeStray(app, draft, job, token);
  if (draft.status !== 'scheduled') return { key, outcome: 'skipped', why: `already ${draft.status}` };

  const setAside = async (why: string) => {
    const rows = await app.prisma.draft.updateManyAndReturn({
      where: { id: draft.id, status: 'scheduled' },
      data: { status: 'set_aside', lastError: why },
    });
    if (rows[0] && strayPossible(rows[0]))
      return removeStray(app, { ...rows[0], account: draft.account, contact: draft.contact }, job, token);
    return { key, outcome: 'skipped' as const, why };
  };
  if (draft.contact?.doNotContact) return setAside('contact asked not to be contacted');
  if (draft.kind === 'follow_up' && draft.contact?.repliedAt) return setAside('they replied');
  let dueAt = draft.dueAt;
  let adoptOnly = false;
  if (draft.chat) {
    const wanted = planChatActions(chatFacts(draft.chat), app.policy, app.now()).find((a) => a.key === key);
    if (!wanted) return setAside('no longer wanted');
    dueAt = wanted.dueAt;
    adoptOnly = wanted.adoptOnly === true;
  }
  // Early (bull-board's "promote", a retry, a moved chat): a thank-you is never drafted before the
  // chat. The job goes back to wait for its own time; called without a job, it only says so.
  const early = dueAt.getTime() - app.now().getTime();
  if (early > EARLY_TOLERANCE_MS) {
    if (job && token) {
      await job.moveToDelayed(Date.now() + early, token);
      throw new DelayedError();
    }
    return { key, outcome: 'skipped', why: `not due until ${dueAt.toISOString()}` };
  }
  if (draft.account.status !== 'active') {
    // Stays scheduled: reconnecting the account plans again.
    return { key, outcome: 'skipped', why: `account ${draft.account.status}` };
  }

  // One run at a time (core/claim.ts): a second run of this job while the first is slow waits.
  const claim = await claimRow(app, 'draft', draft.id);
  if (!claim.claimed) {
    if (claim.heldUntil) return { key, ...(await waitForClaim(job, token, claim.heldUntil)) };
    return { key, outcome: 'skipped', why: 'made or set aside by another run' };
  }
  await app.prisma.draft.update({ where: { id: draft.id }, data: { attempts: { increment: 1 } } });
  const content = await composeDraft(app, draft);
  // Before the provider call: a draft made (or still there to be found) by it is not older.
  const draftedAt = app.now();
  const made = await withProvider(app, job, token, draft.account, async ({ mailbox }) => {
    // Not the first claim: an earlier run (crashed, or stalled and given up on) may have made it,
    // and the user may even have sent it since (then it is recorded as sent, never made twice).
    if (!claim.fresh) {
      const existing = await mailbox.findDraftByMarker(key);
      if (existing) {
        // As this run would write it, as the run that made it wrote it (the chat has changed since:
        // brought up to date now, so a crash after this leaves a copy the next run finds current),
        // or edited by the user since (theirs: recorded with no version, so nothing overwrites it).
        const seen = await mailbox.draftContent(existing.draftId);
        const to = content.to.email.toLowerCase();
        if (seen === null || saysExactly(seen, content.subject, draftedText(content), to))
          return { ref: existing, found: true, edited: false };
        if (saysExactly(seen, draft.subject, draft.draftedText, to)) {
          const input = { marker: key, ...content };
          const ref =
            mailbox.updateDraftIfUnchanged && existing.version
              ? await mailbox.updateDraftIfUnchanged(existing.draftId, existing.version, input)
              : await mailbox.updateDraft(existing.draftId, input);
          if (ref) return { ref, found: true, edited: false };
        }
        return { ref: existing, found: true, edited: true };
      }
      // Only a run that reached the provider's create can have made one the user has sent since,
      // and only a message sent after that call can be it.
      if (draft.createAttemptedAt) {
        const sent = await mailbox.findSentByMarker({
          marker: key,
          to: content.to.email,
          subject: content.subject,
          since: new Date(draft.createAttemptedAt.getTime() - CLOCK_SKEW_MS),
        });
        if (sent) {
          // Recorded as the draft we made (its thread, subject and text: reply tracking, the
          // follow-up's thread and the edit measure read them), then as sent.
          await app.prisma.draft.update({
            where: { id: draft.id },
            data: {
              subject: content.subject,
              threadId: sent.threadId ?? null,
              draftedAt: draft.createAttemptedAt,
              contentHash: contentHash(content),
              draftedText: draftedText(content),
            },
          });
          if (draft.kind === 'check_in') await attachMaterial(app, draft.id, draft.contactId);
          await recordSent(app, { ...draft, draftedText: draftedText(content) }, sent, (id) =>
            mailbox.sentText(id),
          );
          return { sent };
        }
      }
    }
    if (adoptOnly) return { none: true } as const;
    // With the text it is about to write: a copy nobody recorded is taken back only while it
    // still says exactly that (removeStray).
    await app.prisma.draft.update({
      where: { id: draft.id },
      data: {
        createAttemptedAt: app.now(),
        strayCheckedAt: null,
        subject: content.subject,
        draftedText: draftedText(content),
      },
    });
    return { ref: await mailbox.createDraft({ marker: key, ...content }), found: false, edited: false };
  }).catch(async (err: unknown) => {
    await releaseClaim(app, 'draft', draft.id, claim.until);
    // A confirmation kept only to be found is past its use by definition: retried until the chat.
    throw adoptOnly ? err : giveUpWhenUseless(app, job, draft, err);
  });
  if ('sent' in made) {
    app.log.info({ kind: draft.kind, to: content.to.email }, 'draft made by an earlier run was sent already');
    return { key, outcome: 'found' };
  }
  if ('none' in made) {
    // Too close to the chat to start a confirmation, and no earlier run made one: set aside, with
    // nothing left to look for (this run just looked, under its lease). Only while the chat is as
    // this run planned it: moved back out meanwhile, the confirmation is wanted after all.
    const chat = draft.chat!;
    const set = await app.prisma.draft.updateMany({
      where: {
        id: draft.id,
        status: 'scheduled',
        chat: { is: { startUtc: chat.startUtc, status: chat.status } },
      },
      data: { status: 'set_aside', lastError: 'too close to the chat', strayCheckedAt: app.now() },
    });
    await releaseClaim(app, 'draft', draft.id, claim.until);
    if (set.count === 0) {
      const row = await app.prisma.draft.findUnique({ where: { id: draft.id } });
      if (row?.status === 'scheduled') return createDraft(app, key, job, token);
      if (row) await strayGone(app, row);
    }
    return { key, outcome: 'skipped', why: 'too close to the chat, and no earlier run made it' };
  }
  const { ref, found, edited } = made;
  // Recorded only while the draft is still wanted: a cancel that set it aside while we were at the
  // provider is not undone, and the draft just made is taken back (nobody has seen it yet).
  const recorded = await app.prisma.draft.updateMany({
    where: { id: draft.id, status: 'scheduled' },
    data: {
      status: 'created',
      providerDraftId: ref.draftId,
      internetMessageId: ref.internetMessageId,
      threadId: ref.threadId ?? null,
      draftedAt,
      version: ref.version,
      webLink: ref.webLink ?? null,
      // An edited copy: what we wrote is what the run that made it wrote; no version, so neither
      // refresh-draft nor retract-chat takes it for ours unedited.
      ...(edited ? { version: null } : {}),
      subject: edited ? (draft.subject ?? content.subject) : content.subject,
      contentHash: contentHash(content),
      draftedText: edited ? (draft.draftedText ?? draftedText(content)) : draftedText(content),
      lastError: null,
      claimedUntil: null,
    },
  });
  if (recorded.count === 0) {
    const now = await app.prisma.draft.findUnique({ where: { id: draft.id } });
    if (now?.providerDraftId === ref.draftId) return { key, outcome: 'found' };
    // Released first: if the delete fails, the job's retry (removeStray) must not wait on a
    // lease nobody holds.
    await releaseClaim(app, 'draft', draft.id, claim.until);
    // (A copy found edited is the user's: left where it is.)
    if (!edited)
      await withProvider(app, job, token, draft.account, ({ mailbox }) => mailbox.deleteDraft(ref.draftId));
    if (now) await strayGone(app, now);
    return { key, outcome: 'skipped', why: `${now?.status ?? 'gone'} while it was being made` };
  }
  if (draft.kind === 'check_in') await attachMaterial(app, draft.id, draft.contactId);
  if (draft.kind === 'thank_you' && draft.chat && !draft.chat.contact.doNotContact) {
    // The check-in cadence starts after the chat; sending the thank-you re-anchors it.
    await ensureCheckInPlan(app, draft.chat.contactId, draft.chat.endUtc);
  }
  app.log.info(
    { kind: draft.kind, to: content.to.email, subject: content.subject, found },
    'draft ready for review',
  );
  return { key, outcome: found ? 'found' : 'created' };
}

/**
 * A draft set aside after a run called the provider's create without recording the result: that
 * run may have made it (and died, or lost its record to the set-aside and then failed to delete
 * it). Its marker finds it; it is deleted only while it says exactly what that run wrote (subject,
 * recipients, text): a draft the user has started editing stays theirs. Looked for once per create
 * call, under a lease like any run's (core/claim.ts), so a run that takes the row up again (the
 * chat came back) waits instead of adopting a copy this one is deleting.
 */
async function removeStray(
  app: App,
  draft: Draft & { account: Account; contact?: { email: string } | null },
  job?: Job,
  token?: string,
): Promise<CreateDraftResult> {
  const key = draft.idempotencyKey;
  // An account that cannot be reached keeps the row as it is: the reconciler asks again once it is back.
  if (draft.account.status !== 'active')
    return { key, outcome: 'skipped', why: `already ${draft.status} (account ${draft.account.status})` };
  const now = new Date(Date.now());
  const until = new Date(now.getTime() + CLAIM_LEASE_MS);
  const leased = await app.prisma.draft.updateMany({
    where: {
      id: draft.id,
      ...STRAY_POSSIBLE,
      createAttemptedAt: draft.createAttemptedAt,
      OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }],
    },
    data: { claimedUntil: until },
  });
  if (leased.count === 0) {
    const row = await app.prisma.draft.findUnique({ where: { id: draft.id } });
    // A run still holding its lease takes its own copy back; look again when the lease is over.
    if (row?.claimedUntil && row.claimedUntil >= now)
      return { key, ...(await waitForClaim(job, token, row.claimedUntil)) };
    if (row?.status === 'scheduled') return createDraft(app, key, job, token);
    return { key, outcome: 'skipped', why: `already ${row?.status ?? 'gone'}` };
  }
  const to = draft.contact?.email.toLowerCase();
  const outcome = await withProvider(app, job, token, draft.account, async ({ mailbox }) => {
    const stray = await mailbox.findDraftByMarker(key);
    if (!stray) return 'none' as const;
    const found = await mailbox.draftContent(stray.draftId);
    if (!found) return 'none' as const;
    if (!saysExactly(found, draft.subject, draft.draftedText, to)) return 'left' as const;
    await mailbox.deleteDraft(stray.draftId);
    return 'removed' as const;
  }).catch(async (err: unknown) => {
    await releaseClaim(app, 'draft', draft.id, until);
    throw err;
  });
  await strayGone(app, draft);
  await releaseClaim(app, 'draft', draft.id, until);
  if (outcome === 'left')
    app.log.info(
      { draft: key },
      'a draft set aside was made before that and has been edited since: left alone',
    );
  // The chat came back meanwhile: the row is wanted again, and this job is the one to make it.
  const after = await app.prisma.draft.findUnique({ where: { id: draft.id }, select: { status: true } });
  if (after?.status === 'scheduled') return createDraft(app, key, job, token);
  const why = {
    none: `already ${draft.status}`,
    removed: `already ${draft.status}: a copy made before that was taken back`,
    left: `already ${draft.status}: a copy made before that was edited, left alone`,
  }[outcome];
  return { key, outcome: 'skipped', why };
}

/**
 * A draft at the provider still says exactly this (a null subject: not compared) to this one
 * recipient (undefined: not compared); a null text never matches. Anything else is the user's edit.
 */
function saysExactly(
  found: DraftContent,
  subject: string | null,
  text: string | null,
  to: string | undefined,
): boolean {
  return (
    text !== null &&
    sameText(found.text, text) &&
    (subject === null || found.subject.trim() === subject.trim()) &&
    (!to || (found.recipients.length === 1 && found.recipients[0] === to))
  );
}

/** The same words in the same order; only line endings and runs of white space may differ (a provider's HTML→text). */
function sameText(a: string, b: string): boolean {
  const norm = (t: string) =>
    t
      .replace(/\u00a0/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  return norm(a) === norm(b);
}

/**
 * Nothing unrecorded is left of this create call (or what is left is the user's): later runs need
 * not look again. createAttemptedAt stays: a run after the chat came back still looks for a copy
 * the user sent (the sent lookup above).
 */
async function strayGone(app: App, draft: Pick<Draft, 'id' | 'createAttemptedAt'>): Promise<void> {
  if (!draft.createAttemptedAt) return;
  await app.prisma.draft.updateMany({
    where: { id: draft.id, ...STRAY_POSSIBLE, createAttemptedAt: draft.createAttemptedAt },
    data: { strayCheckedAt: app.now() },
  });
}

/**
 * A transient failure is retried on a long horizon (queues.ts), but not past the draft's use: after
 * the first fast attempts, a retry that would come after `usefulUntil` (a thank-you's 24 h window,
 * 2 h before the chat for a confirmation) ends the job now, failed and not retryable.
 */
export function giveUpWhenUseless(
  app: App,
  job: Job | undefined,
  draft: Parameters<typeof usefulUntil>[0] & { chat: Parameters<typeof usefulUntil>[1] },
  err: unknown,
): unknown {
  if (!job || !isRetryableFailure(err)) return err;
  const retry = job.attemptsMade + 1;
  const nextTry = app.now().getTime() + cappedDelay(retry);
  const until = usefulUntil(draft, draft.chat);
  if (retry < FAST_ATTEMPTS || nextTry <= until.getTime()) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UnrecoverableError(
    `${message} (no more tries: the ${draft.kind.replace('_', '-')} is of no use after ${until.toISOString()})`,
  );
}
