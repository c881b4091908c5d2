// Prometheus metrics (prom-client), one registry per app. Counters are counted where things
// happen (jobs in runtime.ts, provider calls in providers.ts, provider errors in
// provider-policy.ts); the state gauges (accounts, drafts, queue depth and lag, sync lag) are read
// from Postgres and the queues when /metrics is scraped, so every process reports the same truth.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrismaClient } from './db/generated/client.ts';
import type { JobsOptions } from 'bullmq';
import { CAPPED_JITTER, cappedDelay, type Queues } from './queues/queues.ts';

export interface Metrics {
  registry: Registry;
  jobs: Counter<'queue' | 'name' | 'outcome'>;
  jobSeconds: Histogram<'queue' | 'name'>;
  providerCalls: Counter<'provider' | 'endpoint'>;
  providerErrors: Counter<'provider' | 'kind' | 'status'>;
  retryAfterSeconds: Counter<'provider'>;
  tokenRefreshes: Counter<'provider' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'coffee_chat_' });
  const registers = [registry];
  return {
    registry,
    jobs: new Counter({
      name: 'coffee_chat_jobs_total',
      help: 'Jobs run, by queue, job name and outcome (completed, failed, retrying, delayed, skipped)',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    }),
    jobSeconds: new Histogram({
      name: 'coffee_chat_job_duration_seconds',
      help: 'How long a job ran, by queue and job name',
      labelNames: ['queue', 'name'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    providerCalls: new Counter({
      name: 'coffee_chat_provider_calls_total',
      help: 'HTTP calls to Google and Microsoft (token refreshes and SDK retries included), by endpoint pattern',
      labelNames: ['provider', 'endpoint'],
      registers,
    }),
    providerErrors: new Counter({
      name: 'coffee_chat_provider_errors_total',
      help: 'Provider errors reaching the job policy, by kind (rate_limited = 429/503 with Retry-After) and HTTP status',
      labelNames: ['provider', 'kind', 'status'],
      registers,
    }),
    retryAfterSeconds: new Counter({
      name: 'coffee_chat_provider_retry_after_seconds_total',
      help: 'Seconds of waiting the providers asked for (Retry-After), summed',
      labelNames: ['provider'],
      registers,
    }),
    tokenRefreshes: new Counter({
      name: 'coffee_chat_token_refreshes_total',
      help: 'Access-token refreshes (outcome attempted) and refresh tokens refused (outcome revoked)',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
  };
}

/** What the state gauges read; kept narrow so this file needs neither the app nor a provider. */
export interface StateSource {
  prisma: PrismaClient;
  queues: Queues;
  now: () => Date;
}

const SYNC_LAG_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 4 * 3600, 24 * 3600];

/** Gauges read at scrape time from Postgres (the record) and the queues. */
export function addStateGauges(metrics: Metrics, source: StateSource): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'coffee_chat_accounts',
    help: 'Connected accounts by provider and status (needs_reconnect: the user must connect again)',
    labelNames: ['provider', 'status'],
    registers,
    async collect() {
      this.reset();
      const rows = await source.prisma.account.groupBy({
        by: ['provider', 'status'],
        _count: { _all: true },
      });
      for (const r of rows) this.set({ provider: r.provider, status: r.status }, r._count._all);
    },
  });
  new Gauge({
    name: 'coffee_chat_drafts',
    help: 'Drafts by kind and status (failed: gave up; the review page says why)',
    labelNames: ['kind', 'status'],
    registers,
    async collect() {
      this.reset();
      const rows = await source.prisma.draft.groupBy({ by: ['kind', 'status'], _count: { _all: true } });
      for (const r of rows) this.set({ kind: r.kind, status: r.status }, r._count._all);
    },
  });
  new Gauge({
    name: 'coffee_chat_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const [queue, q] of Object.entries(source.queues)) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
      }
    },
  });
  new Gauge({
    name: 'coffee_chat_queue_lag_seconds',
    help: 'How long the oldest waiting job of each queue has been due (0: nothing waits)',
    labelNames: ['queue'],
    registers,
    async collect() {
      this.reset();
      const now = source.now().getTime();
      for (const [queue, q] of Object.entries(source.queues)) {
        const [oldest] = await q.getJobs(['wait', 'prioritized'], 0, 0, true);
        const due = oldest ? jobDueAt(oldest) : now;
        this.set({ queue }, Math.max(0, (now - due) / 1000));
      }
    },
  });
  new Histogram({
    name: 'coffee_chat_sync_lag_seconds',
    help: 'Per active account: time since its calendars were last synced',
    labelNames: ['provider'],
    buckets: SYNC_LAG_BUCKETS,
    registers,
    async collect() {
      this.reset();
      const now = source.now().getTime();
      const accounts = await source.prisma.account.findMany({
        where: { status: 'active' },
        select: { provider: true, lastSyncAt: true, createdAt: true },
      });
      for (const a of accounts)
        this.observe({ provider: a.provider }, (now - (a.lastSyncAt ?? a.createdAt).getTime()) / 1000);
    },
  });
}

/**
 * When a waiting job became due. Not from the job's `delay` field: BullMQ sets it to 0 when it
 * promotes a delayed job to waiting (promoteDelayedJobs.lua), so a thank-you planned a day ahead
 * read as a day late the moment it came due. A first run is due at its add plus the delay it was
 * added with (`opts.delay`). (A job moved since, or put back by itself — rate limited, early — has
 * no trace of that once waiting and reads late by the move; such a job waits a moment at most on
 * a healthy worker.) A retried job keeps the `timestamp` of its first add and its backoff is gone
 * once promoted: its last run started at `processedOn`, so it was due no earlier than that plus
 * the shortest backoff its options allow for this attempt (jitter at its low end). A job that
 * stalled keeps attemptsMade (BullMQ does not count a crashed run), so it is still measured from
 * its add.
 */
export function jobDueAt(job: {
  timestamp: number;
  delay?: number;
  attemptsMade: number;
  processedOn?: number;
  opts?: JobsOptions;
}): number {
  if (job.attemptsMade > 0 && job.processedOn)
    return job.processedOn + Math.max(job.delay ?? 0, shortestBackoff(job.opts?.backoff, job.attemptsMade));
  return job.timestamp + (job.opts?.delay ?? job.delay ?? 0);
}

/** The shortest wait before retry `attemptsMade` these backoff options allow (jitter at its low end). */
function shortestBackoff(backoff: JobsOptions['backoff'], attemptsMade: number): number {
  if (typeof backoff === 'number') return backoff;
  if (!backoff) return 0;
  const jitter = 1 - Math.min(1, Math.max(0, backoff.jitter ?? 0));
  switch (backoff.type) {
    case 'fixed':
      return (backoff.delay ?? 0) * jitter;
    case 'exponential':
      return 2 ** (attemptsMade - 1) * (backoff.delay ?? 0) * jitter;
    case 'capped':
      return cappedDelay(attemptsMade) * (1 - CAPPED_JITTER);
    default:
      return 0;
  }
}
