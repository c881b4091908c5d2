// What Postgres says must be waiting in the queues, and whether the queues hold it. Postgres is the
// record: a scheduled draft, a prep block not yet made for an upcoming chat, a draft or block taken
// back while a copy a crashed run made may still be at the provider, the next check-in of an
// active plan and each active account's schedulers. The reconciler (jobs/reconcile.ts) puts
// back what is missing; health (/healthz, `status`) reports the difference as counts.
import type { App } from '../app.ts';
import type { DraftKind } from '../db/generated/client.ts';
import { CONFIRMATION_CUTOFF_MS, THANK_YOU_DEADLINE_MS } from '../pipeline/plan-chat-actions.ts';
import { planCheckIn } from '../pipeline/plan-check-in.ts';
import { factsOfPlan } from './check-in-facts.ts';
import { RECONCILE_SCHEDULER_ID, heldSchedulers, schedulerIds } from '../queues/account-schedulers.ts';
import type { JobData, QueueName } from '../queues/queues.ts';
import { QUEUE_NAMES } from '../queues/queues.ts';
import { STRAY_POSSIBLE } from './set-aside.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A check-in or outreach draft that could not be made for a week is left failed (the user sees it). */
const LOOSE_DRAFT_USEFUL_MS = 7 * DAY_MS;

export type ExpectedJob =
  | { what: 'draft'; name: 'create-draft'; jobId: string; data: JobData<'create-draft'>; dueAt: Date }
  | { what: 'prep'; name: 'create-prep'; jobId: string; data: JobData<'create-prep'>; dueAt: Date }
  | { what: 'check_in'; name: 'check-in'; jobId: string; data: JobData<'check-in'>; dueAt: Date };

export interface ExpectedWork {
  jobs: ExpectedJob[];
  /** Job scheduler ids: each active account's three, and the reconciler's own. */
  schedulers: string[];
  /** Active plans the cadence policy would stop: their plan-contact job records why. */
  plansToStop: string[];
}

/**
 * Until when a draft is worth another try: a thank-you within its 24 h window after the chat, a
 * confirmation until 2 h before the chat (closer, it is noise), a check-in or an outreach note for
 * a week after it fell due.
 */
export function usefulUntil(
  draft: { kind: DraftKind; dueAt: Date },
  chat: { startUtc: Date; endUtc: Date } | null,
): Date {
  if (chat && draft.kind === 'thank_you') return new Date(chat.endUtc.getTime() + THANK_YOU_DEADLINE_MS);
  if (chat && draft.kind === 'confirmation')
    return new Date(chat.startUtc.getTime() - CONFIRMATION_CUTOFF_MS);
  return new Date(draft.dueAt.getTime() + LOOSE_DRAFT_USEFUL_MS);
}

/** A create-draft or create-prep job: its id and its data are the row's key. */
function keyedJob(what: 'draft' | 'prep', key: string, dueAt: Date): ExpectedJob {
  return what === 'draft'
    ? { what, name: 'create-draft', jobId: key, data: { key }, dueAt }
    : { what, name: 'create-prep', jobId: key, data: { key }, dueAt };
}

export async function expectedWork(app: App, now: Date): Promise<ExpectedWork> {
  const jobs: ExpectedJob[] = [];
  const accounts = await app.prisma.account.findMany({ where: { status: 'active' }, select: { id: true } });
  const schedulers = [RECONCILE_SCHEDULER_ID, ...accounts.flatMap((a) => schedulerIds(a.id))];

  // Scheduled drafts of active accounts (another account status waits for a reconnect, which
  // plans again). Check-in drafts are made by the check-in job: they come with the plans below.
  const drafts = await app.prisma.draft.findMany({
    where: { status: 'scheduled', kind: { not: 'check_in' }, account: { status: 'active' } },
    select: { idempotencyKey: true, dueAt: true },
  });
  for (const d of drafts) jobs.push(keyedJob('draft', d.idempotencyKey, d.dueAt));

  // Set aside after a run called the provider's create and never recorded what it made: the job
  // looks for that copy and takes it back (core/set-aside.ts), due now.
  const strays = await app.prisma.draft.findMany({
    where: { ...STRAY_POSSIBLE, account: { status: 'active' } },
    select: { idempotencyKey: true },
  });
  for (const d of strays) jobs.push(keyedJob('draft', d.idempotencyKey, now));

  // Prep blocks, the job due at once: not made yet, for chats still ahead; or taken back before
  // they were recorded, after a run had claimed them (that run may have made the block:
  // create-prep.ts removeUnrecorded looks for it once, then clears `claims`). Not one whose job
  // failed for good (its row records it; the failed job may be trimmed from Redis by now).
  const entries = await app.prisma.calendarEntry.findMany({
    where: {
      kind: 'prep',
      providerEventId: null,
      failedAt: null,
      OR: [
        {
          deleted: false,
          chat: { status: 'upcoming', startUtc: { gt: now }, account: { status: 'active' } },
        },
        { deleted: true, claims: { gt: 0 }, chat: { account: { status: 'active' } } },
      ],
    },
    select: { idempotencyKey: true },
  });
  for (const e of entries) jobs.push(keyedJob('prep', e.idempotencyKey, now));

  // Active check-in plans: the next check-in as plan-contact would schedule it (same pure policy).
  const plansToStop: string[] = [];
  // (Only for users with an active mailbox: otherwise the check-in job has nothing to draft from,
  // and reconnecting plans the contacts again.)
  const plans = await app.prisma.checkInPlan.findMany({
    where: { status: 'active', contact: { user: { accounts: { some: { status: 'active' } } } } },
    include: { contact: { include: { user: true } } },
  });
  const pendingDrafts = plans.length
    ? await app.prisma.draft.findMany({
        where: {
          contactId: { in: plans.map((p) => p.contactId) },
          kind: { in: ['check_in', 'thank_you'] },
          status: { in: ['scheduled', 'created'] },
        },
        select: { contactId: true, kind: true, status: true, idempotencyKey: true },
      })
    : [];
  // Another draft holds the cadence (check-in-facts.ts pendingDraft): a thank-you not yet sent, or
  // a check-in waiting for the user; the check-in job would only step aside.
  const heldBy = (contactId: string, key: string) =>
    pendingDrafts.some(
      (d) =>
        d.contactId === contactId &&
        !(d.kind === 'check_in' && d.status === 'scheduled' && d.idempotencyKey === key),
    );
  const candidates: { contactId: string; key: string; dueAt: Date }[] = [];
  for (const plan of plans) {
    const facts = factsOfPlan(plan);
    const decision = planCheckIn(facts, app.policy, now);
    if (decision.stop) plansToStop.push(plan.contactId);
    else if (decision.action && !heldBy(plan.contactId, decision.action.key)) {
      candidates.push({ contactId: plan.contactId, key: decision.action.key, dueAt: decision.action.dueAt });
    }
  }
  // A check-in whose draft already exists in another state (made, failed, set aside) is not due again.
  const settled = candidates.length
    ? new Set(
        (
          await app.prisma.draft.findMany({
            where: { idempotencyKey: { in: candidates.map((c) => c.key) }, status: { not: 'scheduled' } },
            select: { idempotencyKey: true },
          })
        ).map((d) => d.idempotencyKey),
      )
    : new Set<string>();
  for (const c of candidates) {
    if (settled.has(c.key)) continue;
    jobs.push({
      what: 'check_in',
      name: 'check-in',
      jobId: c.key,
      data: { contactId: c.contactId, key: c.key },
      dueAt: c.dueAt,
    });
  }
  return { jobs, schedulers, plansToStop };
}

export interface QueueAudit {
  /** What Postgres says is scheduled, by kind, and how many of those the queues do not hold. */
  expected: { drafts: number; prep: number; checkIns: number; schedulers: number };
  missing: { drafts: number; prep: number; checkIns: number; schedulers: number };
  /** Sum of `missing`: 0 when the queues hold everything Postgres says is scheduled. */
  mismatch: number;
}

/**
 * Job ids the queues hold, per queue: pending work (not finished), plus the prep and check-in jobs
 * that failed for good. A final failure is recorded on its row (core/failures.ts: a failed draft, a
 * prep entry's failedAt), which stops it being expected work; the failed job counts as held too
 * until that record is written, and Redis trims it after a while (queues.ts KEEP_FAILED). Putting
 * it back every reconcile would call the provider again every few minutes and keep health
 * reporting a mismatch. One range read per state.
 */
export async function pendingIds(app: App): Promise<Record<QueueName, Set<string>>> {
  const out = {} as Record<QueueName, Set<string>>;
  await Promise.all(
    QUEUE_NAMES.map(async (q) => {
      const ids = await app.queues[q].getRanges(
        ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'],
        0,
        -1,
      );
      out[q] = new Set(ids);
    }),
  );
  const failed = await app.queues.actions.getFailed(0, -1);
  for (const job of failed) {
    if (job.id && (job.name === 'create-prep' || job.name === 'check-in')) out.actions.add(job.id);
  }
  return out;
}

export const QUEUE_OF_EXPECTED: Record<ExpectedJob['name'], QueueName> = {
  'create-draft': 'actions',
  'create-prep': 'actions',
  'check-in': 'actions',
};

/** Compares Postgres with the queues (a handful of Redis calls, whatever the number of jobs). */
export async function auditQueues(app: App, now = app.now()): Promise<QueueAudit> {
  const work = await expectedWork(app, now);
  const ids = await pendingIds(app);
  const schedulersHeld = new Set([
    ...(await heldSchedulers(app.queues.sync, work.schedulers)).keys(),
    ...(await heldSchedulers(app.queues.plan, [RECONCILE_SCHEDULER_ID])).keys(),
  ]);
  const count = (what: ExpectedJob['what']) => work.jobs.filter((j) => j.what === what);
  const missingOf = (what: ExpectedJob['what']) =>
    count(what).filter((j) => !ids[QUEUE_OF_EXPECTED[j.name]].has(j.jobId)).length;
  const expected = {
    drafts: count('draft').length,
    prep: count('prep').length,
    checkIns: count('check_in').length,
    schedulers: work.schedulers.length,
  };
  const missing = {
    drafts: missingOf('draft'),
    prep: missingOf('prep'),
    checkIns: missingOf('check_in'),
    schedulers: work.schedulers.filter((s) => !schedulersHeld.has(s)).length,
  };
  return {
    expected,
    missing,
    mismatch: missing.drafts + missing.prep + missing.checkIns + missing.schedulers,
  };
}

/** The audit, or an error line when Redis does not answer within `ms` (queue commands wait forever). */
export async function auditQueuesWithin(app: App, ms = 3_000): Promise<QueueAudit | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      auditQueues(app),
      new Promise<{ error: string }>((resolve) => {
        timer = setTimeout(() => resolve({ error: `no answer within ${ms} ms` }), ms);
      }),
    ]);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
