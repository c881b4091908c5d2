// Queue names, job names and the zod schema of each job's data. Three queues by kind of work:
// `sync` reads providers (calendar sync, draft tracking), `plan` turns DB state into scheduled
// jobs (no provider calls), `actions` writes to providers (drafts, prep blocks, check-ins).
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { checkInContact } from '../pipeline/plan-check-in.ts';

export const QUEUE_NAMES = ['sync', 'plan', 'actions'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const id = z.string().min(1);

export const jobSchemas = {
  'sync-account': z.object({ accountId: id, reason: z.string().default('schedule') }),
  'track-drafts': z.object({ accountId: id }),
  'watch-calendars': z.object({ accountId: id }),
  'plan-chat': z.object({ chatId: id }),
  'plan-contact': z.object({ contactId: id }),
  'create-prep': z.object({ key: id }),
  'create-draft': z.object({ key: id }),
  'refresh-draft': z.object({ key: id }),
  'check-in': z.object({ contactId: id, key: id }),
  'retract-chat': z.object({ chatId: id }),
  reconcile: z.object({ reason: z.string().default('schedule') }),
} as const;

export type JobName = keyof typeof jobSchemas;

/**
 * What a job's id says of its data. The id of a create-prep, create-draft or check-in job is its
 * idempotency key (and a check-in key names its contact), so `scheduleJob` does not store that in
 * the data again: about 100 of the ~1,100 bytes a pending job took in Redis (issue 14). A job with
 * it in its data (queued by an older version, or a test) is read the same way.
 */
const FROM_ID: Partial<Record<JobName, (jobId: string) => Record<string, string | undefined>>> = {
  'create-prep': (key) => ({ key }),
  'create-draft': (key) => ({ key }),
  'check-in': (key) => ({ key, contactId: checkInContact(key) }),
};

/** A job's data as its processor reads it: what its id says, then what it stores. */
export function jobData(name: JobName, job: { id?: string | null; data?: unknown } | undefined): unknown {
  const implied = job?.id ? FROM_ID[name]?.(job.id) : undefined;
  return { ...implied, ...(job?.data as object | undefined) };
}

/** The data to store for a job with this id: without the fields its id gives back exactly. */
export function dataToStore(name: JobName, jobId: string, data: object): object {
  const implied = FROM_ID[name]?.(jobId);
  if (!implied) return data;
  return Object.fromEntries(Object.entries(data).filter(([k, v]) => !(k in implied) || implied[k] !== v));
}

export type JobData<N extends JobName> = z.input<(typeof jobSchemas)[N]>;

export const QUEUE_OF: Record<JobName, QueueName> = {
  'sync-account': 'sync',
  'track-drafts': 'sync',
  'watch-calendars': 'sync',
  'plan-chat': 'plan',
  'plan-contact': 'plan',
  'create-prep': 'actions',
  'create-draft': 'actions',
  'refresh-draft': 'actions',
  'check-in': 'actions',
  'retract-chat': 'actions',
  reconcile: 'plan',
};

/**
 * Failed jobs stay in Redis (visible in /queues) for a week, at most this many per queue: under
 * `noeviction` an account that fails every few minutes would otherwise fill Redis until every write
 * is refused. Postgres keeps what must outlast that (a draft's or a prep block's final failure is
 * on its row, see core/failures.ts), so a trimmed failed job is neither put back nor missed.
 */
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 1_000 };
/** Completed jobs: a day, at most this many per queue. */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 5_000 };

/**
 * What the workers keep of finished jobs. Set on the workers rather than on each job: BullMQ
 * stores a job's options in its hash, and these two were about 100 of the ~1,150 bytes a pending
 * job took in Redis (issue 14); a job without its own uses its worker's.
 */
export const KEEP_FINISHED = { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } as const;

/**
 * Every job retries with exponential backoff and jitter. Sync and plan jobs retry briefly: the
 * next scheduled sync is their retry. (Job schedulers take these options too: queue defaults.)
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
};

/** The `capped` backoff: doubling from 2 s, capped at 30 minutes. */
export const RETRY_BASE_MS = 2_000;
export const RETRY_CAP_MS = 30 * 60_000;
/** Attempts of the first, fast phase (the former whole horizon, ~4 minutes). */
export const FAST_ATTEMPTS = 8;

/**
 * Provider writes (drafts, prep blocks, check-ins) outlast an outage: 24 attempts take ~7 h
 * (2 s doubling to 17 min, ~34 min in all, then every 30 min). A draft that stops being useful
 * sooner gives up sooner (see worker/core/usefulness.ts).
 */
export const ACTION_JOB_OPTIONS: JobsOptions = {
  ...DEFAULT_JOB_OPTIONS,
  attempts: 24,
  backoff: { type: 'capped' },
};

/** Delay before retry number `attemptsMade` (1 = the first retry), without jitter. */
export function cappedDelay(attemptsMade: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attemptsMade - 1), RETRY_CAP_MS);
}

/** How far the `capped` backoff strays either side of `cappedDelay` (a share of it). */
export const CAPPED_JITTER = 0.25;

/** The workers' backoff strategy for type `capped` (±25 % jitter so a recovered provider is not hit at once). */
export function cappedBackoff(attemptsMade: number, type?: string): number {
  if (type !== 'capped') throw new Error(`unknown backoff type ${type}`);
  const d = cappedDelay(attemptsMade);
  return Math.round(d * (1 - CAPPED_JITTER + Math.random() * 2 * CAPPED_JITTER));
}

/** Total time a job with these options keeps retrying, without jitter (for docs and tests). */
export function retryHorizonMs(opts: JobsOptions): number {
  let total = 0;
  for (let n = 1; n < (opts.attempts ?? 1); n++) total += cappedDelay(n);
  return total;
}

export function jobOptionsFor(name: JobName): JobsOptions {
  return QUEUE_OF[name] === 'actions' ? ACTION_JOB_OPTIONS : DEFAULT_JOB_OPTIONS;
}

export type Queues = Record<QueueName, Queue>;

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const make = (name: QueueName) =>
    new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return { sync: make('sync'), plan: make('plan'), actions: make('actions') };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
