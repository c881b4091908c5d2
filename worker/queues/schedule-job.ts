// Makes the queue hold exactly one job with this id, due at this time: adds it, moves it
// (reschedule), or replaces a finished one. Jobs re-check the database when they fire, so a stale
// or duplicated job is harmless; this keeps the queue tidy and the timing right.
import type { JobsOptions, Queue } from 'bullmq';
import {
  dataToStore,
  QUEUE_OF,
  jobOptionsFor,
  jobSchemas,
  type JobData,
  type JobName,
  type Queues,
} from './queues.ts';

/**
 * When a delayed job is due, as BullMQ orders it: its score in the delayed set is the due time
 * × 4096 plus a tie-breaker (includes/getDelayedScore.lua). Not `timestamp + delay`: `changeDelay`
 * and a job putting itself back (`moveToDelayed`: rate limited, ran early, lock busy) set a delay
 * counted from their own moment while the job keeps its first add's `timestamp`, so a chat moved
 * and moved back could keep the wrong time. Null when the job is not delayed.
 */
export async function delayedDueAt(queue: Queue, jobId: string): Promise<number | null> {
  const score = await (await queue.getBackend().client).zscore(queue.keys.delayed!, jobId);
  return score === null ? null : Math.floor(Number(score) / 0x1000);
}

export async function scheduleJob<N extends JobName>(
  queues: Queues,
  name: N,
  data: JobData<N>,
  opts: {
    jobId: string;
    dueAt: Date;
    now: Date;
    /** Put back only: a job still pending keeps its time. */ onlyIfMissing?: boolean;
  },
): Promise<'added' | 'moved' | 'kept'> {
  jobSchemas[name].parse(data);
  const queue: Queue = queues[QUEUE_OF[name]];
  const delay = Math.max(0, opts.dueAt.getTime() - opts.now.getTime());
  const existing = await queue.getJob(opts.jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'delayed') {
      if (opts.onlyIfMissing) return 'kept';
      const currentDue = await delayedDueAt(queue, opts.jobId);
      if (currentDue !== null && Math.abs(currentDue - opts.dueAt.getTime()) <= 1_000) return 'kept';
      await existing.changeDelay(delay);
      return 'moved';
    }
    if (
      state === 'waiting' ||
      state === 'active' ||
      state === 'prioritized' ||
      state === 'waiting-children'
    ) {
      return 'kept';
    }
    // completed / failed / unknown: the database says it is still wanted, so run it again.
    await existing.remove().catch(() => undefined);
  }
  const job = jobToAdd(name, data, opts.jobId, delay);
  await queue.add(job.name, job.data, job.opts);
  return 'added';
}

/**
 * A keyed job (id = its row's key) whose row is no longer wanted: dropped, or, when an earlier run
 * may have left something at the provider the job must take back (`cleanUp`), run now instead.
 */
export async function dropKeyedJob(
  queues: Queues,
  name: 'create-draft' | 'create-prep',
  key: string,
  cleanUp: { now: Date } | null,
): Promise<void> {
  if (cleanUp) await scheduleJob(queues, name, { key }, { jobId: key, dueAt: cleanUp.now, now: cleanUp.now });
  else await unscheduleJob(queues, name, key);
}

/** The job as it is added to its queue: its options, and its data without what its id says (queues.ts `jobData`). */
export function jobToAdd<N extends JobName>(
  name: N,
  data: JobData<N>,
  jobId: string,
  delay: number,
): { name: N; data: object; opts: JobsOptions } {
  return { name, data: dataToStore(name, jobId, data), opts: { ...jobOptionsFor(name), jobId, delay } };
}

export async function unscheduleJob(queues: Queues, name: JobName, jobId: string): Promise<boolean> {
  const job = await queues[QUEUE_OF[name]].getJob(jobId);
  if (!job) return false;
  const state = await job.getState();
  if (state === 'active') return false; // it re-checks the database and does nothing
  await job.remove().catch(() => undefined);
  return true;
}
