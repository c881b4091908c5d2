// Job `track-drafts` (repeats per account): send detection. For each draft we made that is still
// waiting, asks the provider whether it is still a draft, was sent, or was deleted unsent, and
// moves the check-in cadence on accordingly. Never touches the draft itself.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { reanchorCheckIn } from '../core/check-in-plans.ts';
import { draftLookup } from '../core/draft-lookup.ts';
import { ACCOUNT_WIDE, recordSent } from '../core/record-sent.ts';
import { requestContactPlan } from '../core/request-plan.ts';
import { hasPeopleToTrack, trackPeople, WATCH_DAYS } from '../core/people-tracking.ts';
import { FRESH_REPLY_DAYS, proposeAfterReplies } from '../core/propose-after-reply.ts';
import { jobSchemas } from '../queues/queues.ts';
import { withProvider } from '../provider-policy.ts';
import { isProviderError, type DraftState, type ListedDraft } from '../../integrations/provider.ts';

const DAY_MS = 86_400_000;

export async function trackDraftsJob(app: App, job: Job | undefined, token?: string) {
  const { accountId } = jobSchemas['track-drafts'].parse(job?.data);
  return trackDrafts(app, accountId, job, token);
}

export async function trackDrafts(app: App, accountId: string, job?: Job, token?: string) {
  if (!(await anythingToFollow(app, accountId))) return { checked: 0, sent: 0, deleted: 0 };
  const account = await app.prisma.account.findUniqueOrThrow({ where: { id: accountId } });
  const drafts = await app.prisma.draft.findMany({
    where: { accountId, status: 'created' },
    include: { contact: { select: { email: true } } },
  });
  const counts = { checked: drafts.length, sent: 0, deleted: 0 };
  if (account.status !== 'active') return counts;
  const people = await hasPeopleToTrack(app, account.userId);
  const failures: string[] = [];
  if (drafts.length > 0 || people)
    await withProvider(app, job, token, account, async ({ mailbox }) => {
      // One listing tells which of ours are still drafts; only the others are asked about alone.
      const listed = drafts.length > 0 ? await mailbox.listDrafts() : new Map<string, ListedDraft>();
      for (const d of drafts) {
        const lookup = draftLookup(d, d.contact?.email);
        if (!lookup) continue;
        // One draft whose check throws (an odd message, a bug) does not stop the others: its error
        // is kept on the row and the job ends failed once the rest are done. A provider that is
        // down, throttling or revoked fails them all: that stops the round at once.
        let state: DraftState;
        try {
          const still = listed.get(lookup.draftId);
          state = still ? { state: 'draft', ...still } : await mailbox.draftState(lookup);
        } catch (err) {
          if (isProviderError(err) && ACCOUNT_WIDE.has(err.kind)) throw err;
          const message = err instanceof Error ? err.message : String(err);
          failures.push(`${d.subject ?? d.kind} (${d.idempotencyKey}): ${message}`);
          await app.prisma.draft.update({
            where: { id: d.id },
            data: { lastError: `send detection failed: ${message}` },
          });
          continue;
        }
        if (d.lastError?.startsWith('send detection failed'))
          await app.prisma.draft.update({ where: { id: d.id }, data: { lastError: null } });
        if (state.state === 'draft') {
          // A draft whose subject the user edits moves to another thread (Gmail) or conversation
          // (Outlook): follow it, the sent copy will be there.
          if (state.threadId && state.threadId !== d.threadId) {
            await app.prisma.draft.update({ where: { id: d.id }, data: { threadId: state.threadId } });
          }
          continue;
        }
        if (state.state === 'sent') {
          counts.sent += 1;
          await recordSent(app, d, state, (id) => mailbox.sentText(id));
        } else {
          counts.deleted += 1;
          await app.prisma.draft.update({
            where: { id: d.id },
            data: { status: 'discarded', lastError: 'deleted unsent by the user' },
          });
          if (d.contactId && d.kind === 'check_in') {
            await reanchorCheckIn(app, d.contactId, app.now(), { step: 'advance', discard: 'increment' });
          } else if (d.contactId && d.kind === 'thank_you') {
            await requestContactPlan(app, d.contactId); // the cadence counts from the chat
          }
        }
      }
      // Replies, introductions and the one follow-up, now that sent outreach is known.
      if (people) Object.assign(counts, await trackPeople(app, account, mailbox));
    });
  // Someone replied and has not been offered times yet: draft the answer offering three (its own
  // provider calls). Read from the rows each round, so one that failed is tried again by the next.
  const proposed = await proposeAfterReplies(app, account);
  if (proposed > 0) Object.assign(counts, { proposed });
  if (failures.length > 0)
    throw new Error(
      `send detection failed for ${failures.length} of ${drafts.length} drafts: ${failures.join('; ')}`,
    );
  return counts;
}

/**
 * Whether this account has anything send detection follows: a draft of ours still waiting, someone
 * asked and not answered or an introduction asked for (people tracking), or someone who replied
 * lately (to be offered times). Most accounts, most rounds, have none of these, and the round below
 * asks ~5 statements to find that out (every SYNC_INTERVAL per account: half the sweep's jobs); this
 * is one. It mirrors the round's conditions loosely on purpose: it may say yes when the round then
 * finds nothing (a reply already answered with times), never no when the round has work.
 * (Prisma without its `relationJoins` preview sends one statement per relation, hence SQL here.)
 */
async function anythingToFollow(app: App, accountId: string): Promise<boolean> {
  const now = app.now().getTime();
  const horizon = new Date(now - WATCH_DAYS * DAY_MS);
  const replySince = new Date(now - FRESH_REPLY_DAYS * DAY_MS);
  const [row] = await app.prisma.$queryRaw<{ any: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "Draft" WHERE "accountId" = ${accountId} AND status = 'created')
      OR EXISTS (
        SELECT 1 FROM "Contact" c JOIN "Account" a ON a."userId" = c."userId"
        WHERE a.id = ${accountId} AND NOT c."doNotContact" AND (
          c."repliedAt" >= ${replySince}
          OR (c."repliedAt" IS NULL AND c."introThreadId" IS NOT NULL AND c."introducedAt" >= ${horizon})
          OR (c."repliedAt" IS NULL AND EXISTS (
            SELECT 1 FROM "Draft" d WHERE d."contactId" = c.id AND d.kind IN ('outreach', 'follow_up')
              AND d.status = 'sent' AND d."sentAt" >= ${horizon}))))
      OR EXISTS (
        SELECT 1 FROM "Draft" d JOIN "Account" a ON a."userId" = d."userId"
        WHERE a.id = ${accountId} AND d.kind = 'intro_request' AND d.status IN ('created', 'sent')
          AND d."dueAt" >= ${horizon}) AS any`;
  return row?.any ?? true;
}
