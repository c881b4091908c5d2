// Job `reconcile` (plan queue): puts back in the queues what Postgres says is scheduled, so that a
// Redis without AOF, a FLUSHALL, a move to a new Redis or "Obliterate" in the queue board loses
// nothing. Runs at worker start, every 10 minutes (job scheduler), and at once when a worker sees
// the reconciler's own scheduler gone from Redis (runtime.ts). One at a time, under a Redis lock.
// It only adds what is missing (a pending job keeps its time): it reads the pending job ids once
// (a few range reads per queue) and sends only the missing ones through scheduleJob, so a run over
// healthy queues costs a few dozen Redis commands whatever the number of scheduled items; the jobs
// re-check the database when they fire, as always. (scripts/bench-reconcile.ts measures it.)
// It also takes up drafts whose last failure was transient (provider down, rate limited) while
// they are still useful (core/scheduled-work.ts usefulUntil).
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { withLock } from '../core/locks.ts';
import { chatPlanJobId, requestContactPlan } from '../core/request-plan.ts';
import { QUEUE_OF_EXPECTED, expectedWork, pendingIds, usefulUntil } from '../core/scheduled-work.ts';
import { scheduleAccounts, scheduleReconciler } from '../queues/account-schedulers.ts';
import { jobSchemas } from '../queues/queues.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

export interface ReconcileResult {
  reason: string;
  accounts: number;
  /** Jobs put back (they were missing from the queues), by kind. */
  added: { drafts: number; prep: number; checkIns: number; chatPlans: number };
  /** Jobs already there. */
  kept: number;
  /** Failed drafts with a transient cause queued again. */
  retried: number;
  /** Plans the cadence policy stops (a plan-contact job records why). */
  stopping: number;
}

export async function reconcileJob(
  app: App,
  job: Job | undefined,
): Promise<ReconcileResult | { skipped: string }> {
  const { reason } = jobSchemas.reconcile.parse(job?.data ?? {});
  return runReconcile(app, reason);
}

/** Runs the reconciler unless another process is running it (then it steps aside). */
export async function runReconcile(app: App, reason: string): Promise<ReconcileResult | { skipped: string }> {
  try {
    return await withLock(app, 'reconcile', undefined, undefined, () => reconcile(app, reason), {
      waitMs: 0,
      ttlMs: 30_000,
    });
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('reconcile is busy'))
      return { skipped: 'another worker is reconciling' };
    throw err;
  }
}

export async function reconcile(app: App, reason: string): Promise<ReconcileResult> {
  const now = app.now();
  const result: ReconcileResult = {
    reason,
    accounts: 0,
    added: { drafts: 0, prep: 0, checkIns: 0, chatPlans: 0 },
    kept: 0,
    retried: 0,
    stopping: 0,
  };
  await scheduleReconciler(app);

  const accounts = await app.prisma.account.findMany({ where: { status: 'active' }, select: { id: true } });
  await scheduleAccounts(
    app,
    accounts.map((a) => a.id),
  );
  result.accounts = accounts.length;

  result.retried = await retryTransientFailures(app, now);

  const work = await expectedWork(app, now);
  // One read of what the queues hold; only what is missing goes through scheduleJob (which also
  // replaces a finished job the database still wants).
  const held = await pendingIds(app);
  for (const j of work.jobs) {
    if (held[QUEUE_OF_EXPECTED[j.name]].has(j.jobId)) {
      result.kept += 1;
      continue;
    }
    // The clock is read per job: BullMQ counts the delay from when the job is added.
    const outcome = await scheduleJob(app.queues, j.name, j.data as never, {
      jobId: j.jobId,
      dueAt: j.dueAt,
      now: app.now(),
      onlyIfMissing: true,
    });
    if (outcome === 'added') {
      if (j.what === 'draft') result.added.drafts += 1;
      else if (j.what === 'prep') result.added.prep += 1;
      else result.added.checkIns += 1;
    } else result.kept += 1;
  }
  for (const contactId of work.plansToStop) await requestContactPlan(app, contactId);
  result.stopping = work.plansToStop.length;

  // Chats whose plan was asked for and has not run (its job lost with Redis's data, or never
  // queued: ingest writes planWantedAt before the sync cursor moves on, and a worker killed
  // between the two leaves only the mark). Asked again under the id the request used
  // (requestChatPlan), so a job still queued is kept, not doubled. No grace period: a mark ingest
  // wrote a moment ago, whose request is on its way, may get one plan more, which is harmless
  // (plans are idempotent, under the chat's lock); waiting would leave a crashed sync's plans to
  // the next run, ten minutes on.
  const wanted = await app.prisma.chat.findMany({
    where: { planWantedAt: { not: null }, account: { status: 'active' } },
    select: { id: true, planWantedAt: true },
  });
  for (const c of wanted) {
    const outcome = await scheduleJob(
      app.queues,
      'plan-chat',
      { chatId: c.id },
      { jobId: chatPlanJobId(c.id, c.planWantedAt!), dueAt: now, now, onlyIfMissing: true },
    );
    if (outcome === 'added') result.added.chatPlans += 1;
  }

  const added = result.added.drafts + result.added.prep + result.added.checkIns + result.added.chatPlans;
  const log = added || result.retried ? app.log.warn.bind(app.log) : app.log.debug.bind(app.log);
  log({ ...result }, added ? 'reconciled: put back work the queues had lost' : 'reconciled');
  return result;
}

/** Failed drafts whose cause was transient, still useful: scheduled again, due now. */
async function retryTransientFailures(app: App, now: Date): Promise<number> {
  const failed = await app.prisma.draft.findMany({
    where: { status: 'failed', retryable: true, account: { status: 'active' } },
    include: { chat: { select: { startUtc: true, endUtc: true } } },
  });
  let retried = 0;
  for (const d of failed) {
    if (usefulUntil(d, d.chat) <= now) continue;
    const claimed = await app.prisma.draft.updateMany({
      where: { id: d.id, status: 'failed', retryable: true },
      data: { status: 'scheduled', retryable: false },
    });
    if (claimed.count === 0) continue;
    if (d.kind === 'check_in' && d.contactId) {
      await scheduleJob(
        app.queues,
        'check-in',
        { contactId: d.contactId, key: d.idempotencyKey },
        { jobId: d.idempotencyKey, dueAt: now, now },
      );
    } else {
      await scheduleJob(
        app.queues,
        'create-draft',
        { key: d.idempotencyKey },
        { jobId: d.idempotencyKey, dueAt: now, now },
      );
    }
    retried += 1;
  }
  return retried;
}
