// Queue names, job names and the zod schema of each job's data. Three queues by kind of work:
// `sync` reads providers (calendar sync, draft tracking), `plan` turns DB state into scheduled
// jobs (no provider calls), `actions` writes to providers (drafts, prep blocks, check-ins).
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { z } from 'zod';

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
 * Every job retries with exponential backoff and jitter, and failed jobs stay in Redis (visible in
 * status and /queues). Completed ones are trimmed.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 5_000 },
  removeOnFail: false,
};

export type Queues = Record<QueueName, Queue>;

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const make = (name: QueueName) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return { sync: make('sync'), plan: make('plan'), actions: make('actions') };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
