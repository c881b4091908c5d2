// The worker process: one BullMQ Worker per queue, each job dispatched to its file in jobs/.
// Periodic work (calendar sync, send detection) runs on BullMQ job schedulers, one per account
// (queues/account-schedulers.ts).
// Postgres is the record: at start, every 10 minutes, and as soon as the reconciler's own scheduler
// is seen missing from Redis (flushed, replaced, obliterated), jobs/reconcile.ts puts back what
// Postgres says is scheduled.
// close() drains in-flight jobs (the CLI calls it on SIGTERM/SIGINT).
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { App } from './app.ts';
import { queueConnection, queuePrefix } from './queues/connection.ts';
import { QUEUE_NAMES, type JobName, type QueueName } from './queues/queues.ts';
import { syncAccountJob } from './jobs/sync-account.ts';
import { trackDraftsJob } from './jobs/track-drafts.ts';
import { watchCalendarsJob } from './jobs/watch-calendars.ts';
import { planChatJob } from './jobs/plan-chat.ts';
import { planContactJob } from './jobs/plan-contact.ts';
import { createPrepJob } from './jobs/create-prep.ts';
import { createDraftJob } from './jobs/create-draft.ts';
import { refreshDraftJob } from './jobs/refresh-draft.ts';
import { checkInJob } from './jobs/check-in.ts';
import { retractChatJob } from './jobs/retract-chat.ts';
import { reconcileJob, runReconcile } from './jobs/reconcile.ts';
import { AccountUnavailable } from './provider-policy.ts';
import { recordFinalFailure } from './core/failures.ts';
import { RECONCILE_SCHEDULER_ID } from './queues/account-schedulers.ts';
import { KEEP_FINISHED, cappedBackoff } from './queues/queues.ts';

type Processor = (app: App, job: Job, token?: string) => Promise<unknown>;

export const PROCESSORS: Record<JobName, Processor> = {
  'sync-account': syncAccountJob,
  'track-drafts': trackDraftsJob,
  'watch-calendars': watchCalendarsJob,
  'plan-chat': planChatJob,
  'plan-contact': planContactJob,
  'create-prep': createPrepJob,
  'create-draft': createDraftJob,
  'refresh-draft': refreshDraftJob,
  'check-in': checkInJob,
  'retract-chat': retractChatJob,
  reconcile: reconcileJob,
};

const CONCURRENCY: Record<QueueName, number> = { sync: 4, plan: 4, actions: 8 };

export interface RunningWorker {
  workers: Worker[];
  close(): Promise<void>;
}

export async function startWorker(
  app: App,
  opts: { concurrency?: Partial<Record<QueueName, number>> } = {},
): Promise<RunningWorker> {
  const { connection, disconnect } = queueConnection(app.config);
  const workers = QUEUE_NAMES.map(
    (queue) =>
      new Worker(
        queue,
        async (job, token) => {
          const run = PROCESSORS[job.name as JobName];
          if (!run) throw new UnrecoverableError(`unknown job ${job.name}`);
          const labels = { queue, name: job.name };
          const timer = app.metrics.jobSeconds.startTimer(labels);
          let outcome = 'completed';
          try {
            return await run(app, job, token);
          } catch (err) {
            // An account that needs reconnecting is not a job failure to retry: the job ends
            // and the account's status says why. Reconnecting plans everything again.
            if (err instanceof AccountUnavailable) {
              outcome = 'skipped';
              return { skipped: err.message };
            }
            outcome = jobOutcome(job, err);
            throw err;
          } finally {
            timer();
            app.metrics.jobs.inc({ ...labels, outcome });
          }
        },
        {
          connection,
          prefix: queuePrefix(app.config),
          concurrency: opts.concurrency?.[queue] ?? CONCURRENCY[queue],
          // A crashed worker's jobs come back within ~20 s rather than BullMQ's default ~30-60 s.
          lockDuration: 20_000,
          stalledInterval: 10_000,
          // BullMQ fails a job for good the second time its worker dies under it (maxStalledCount
          // 1): after two crashes in a row a moved chat's plan was lost and its thank-you kept the
          // old time (the soak, with a worker killed every few seconds). Every job here is safe to
          // run again (locks, claims, idempotent writes), so a crash is not the job's fault until
          // it has happened several times (then it fails visibly, as a job that kills its worker).
          maxStalledCount: 5,
          // Finished jobs are trimmed by age and count (queues.ts KEEP_FINISHED).
          ...KEEP_FINISHED,
          // Provider writes retry on a long horizon (queues.ts ACTION_JOB_OPTIONS).
          settings: { backoffStrategy: cappedBackoff },
        },
      ),
  );
  for (const w of workers) {
    w.on('failed', (job, err) => void onFailed(app, job, err));
    w.on('error', (err) => app.log.error({ err: err.message }, 'worker error'));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // Postgres is put back into the queues while the workers already run (every put-back is
  // idempotent): with 10,000 accounts a reconcile takes seconds, and the start need not wait.
  const started = runReconcile(app, 'start').catch((err: unknown) =>
    app.log.error({ err: err instanceof Error ? err.message : String(err) }, 'reconcile at start failed'),
  );
  const watchdog = watchForLostQueues(app);
  app.log.info({ queues: QUEUE_NAMES }, 'worker started');
  return {
    workers,
    close: async () => {
      clearInterval(watchdog);
      await started;
      await Promise.all(workers.map((w) => w.close()));
      disconnect();
    },
  };
}

/**
 * Redis lost its data (FLUSHALL, a new Redis, an obliterated queue) when the reconciler's own
 * scheduler is gone: then the reconciler runs at once rather than at the next start. One cheap
 * Redis call every SYNC_INTERVAL (at most every 30 s).
 */
function watchForLostQueues(app: App): NodeJS.Timeout {
  const every = Math.min(app.config.SYNC_INTERVAL.toMillis(), 30_000);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      if (await app.queues.plan.getJobScheduler(RECONCILE_SCHEDULER_ID)) return;
      app.log.warn(
        'the queues lost their schedules (Redis flushed or replaced?): putting back what Postgres says is scheduled',
      );
      await runReconcile(app, 'queues lost');
    })()
      .catch((err: unknown) =>
        app.log.error(
          { err: err instanceof Error ? err.message : String(err) },
          'reconcile after lost queues failed',
        ),
      )
      .finally(() => (busy = false));
  }, every);
  timer.unref();
  return timer;
}

/** For the jobs counter: how a throwing job ends (BullMQ decides the same way after we return). */
function jobOutcome(job: Job, err: unknown): string {
  if (err instanceof DelayedError) return 'delayed';
  if (err instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'failed' : 'retrying';
}

/** A job that used up its attempts (or cannot succeed) leaves a visible trace on its row. */
async function onFailed(app: App, job: Job | undefined, err: Error): Promise<void> {
  if (!job) return;
  const final =
    err instanceof UnrecoverableError ||
    err.name === 'UnrecoverableError' ||
    job.attemptsMade >= (job.opts.attempts ?? 1);
  app.log.warn(
    { job: job.name, id: job.id, attempt: job.attemptsMade, final, err: err.message },
    'job failed',
  );
  if (!final) return;
  // A transient cause stays retryable: the reconciler takes the draft up again while it is useful.
  await recordFinalFailure(app, job, err).catch(() => undefined);
}
