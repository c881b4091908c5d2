// Each active account's periodic work, as BullMQ job schedulers on the sync queue: calendar sync
// and send detection every SYNC_INTERVAL, push channels hourly. Upserting is idempotent, so the
// worker's start and a (re)connect can both call it.
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { App } from '../app.ts';
import { DEFAULT_JOB_OPTIONS } from './queues.ts';

/** The reconciler's own scheduler (plan queue): Postgres is put back in the queues this often. */
export const RECONCILE_SCHEDULER_ID = 'reconcile';
export const RECONCILE_EVERY_MS = 10 * 60_000;

/** The ids of an account's three schedulers. */
export function schedulerIds(accountId: string): string[] {
  return [`sync-${accountId}`, `track-${accountId}`, `watch-${accountId}`];
}

/** The periodic reconcile (idempotent). Its absence from Redis is how a worker notices Redis lost its data. */
export async function scheduleReconciler(app: App): Promise<void> {
  await app.queues.plan.upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    { every: RECONCILE_EVERY_MS },
    { name: 'reconcile', data: { reason: 'schedule' } },
  );
}

interface SchedulerSpec {
  id: string;
  every: number;
  /** Where in each interval it fires (ms past a multiple of `every`); 0 for "as soon as made". */
  offset: number;
  template: { name: 'sync-account' | 'track-drafts' | 'watch-calendars'; data: Record<string, string> };
}

/**
 * A scheduler keeps the job options it was upserted with (BullMQ stores the template and the
 * queue's defaults in it), so one made by an older version would keep, say, an older retention of
 * failed jobs forever. Its template carries this fingerprint of what it would be made with now;
 * a scheduler whose fingerprint differs is upserted again.
 */
const TEMPLATE_FINGERPRINT = createHash('sha256')
  .update(JSON.stringify(DEFAULT_JOB_OPTIONS))
  .digest('hex')
  .slice(0, 12);

/**
 * An account's own place in the interval, from its id: 1 … every-1 ms past each multiple of
 * `every`. Without it every scheduler made at a worker start (10,000 accounts: 20,000 of them,
 * within seconds) fired in the same instant each interval, and the last of that burst waited for
 * all the others (the bench measured minutes of queue lag at 10,000 accounts); spread, the same
 * work arrives at an even rate. Stable across restarts, so a reconcile does not move it.
 */
export function schedulerOffset(accountId: string, every: number, phase = 0): number {
  if (every < 2) return 0;
  const h = createHash('sha256').update(accountId).digest().readUInt32BE(0);
  return 1 + ((h + Math.floor(phase * every)) % (every - 1));
}

/** Per account: calendar sync and send detection every SYNC_INTERVAL, push channels hourly. */
function schedulerSpecs(accountId: string, every: number): SchedulerSpec[] {
  const v = TEMPLATE_FINGERPRINT;
  return [
    {
      id: `sync-${accountId}`,
      every,
      offset: schedulerOffset(accountId, every),
      template: { name: 'sync-account', data: { accountId, reason: 'schedule', v } },
    },
    // Send detection half an interval after the account's sync: the two never queue together.
    {
      id: `track-${accountId}`,
      every,
      offset: schedulerOffset(accountId, every, 0.5),
      template: { name: 'track-drafts', data: { accountId, v } },
    },
    // Push channels (a no-op without PUBLIC_WEBHOOK_URL): opened at once, renewed a day before expiry.
    {
      id: `watch-${accountId}`,
      every: 3_600_000,
      offset: 0,
      template: { name: 'watch-calendars', data: { accountId, v } },
    },
  ];
}

// BullMQ places an `every` scheduler with an offset at the next multiple of `every` plus the
// offset (getJobSchedulerEveryNextMillis.lua); without one, at once.
const upsert = (app: App, spec: SchedulerSpec) =>
  app.queues.sync.upsertJobScheduler(
    spec.id,
    spec.offset ? { every: spec.every, offset: spec.offset } : { every: spec.every },
    spec.template,
  );

/** One account's schedulers (idempotent): at connect and reconnect. */
export async function scheduleAccount(app: App, accountId: string): Promise<void> {
  for (const spec of schedulerSpecs(accountId, app.config.SYNC_INTERVAL.toMillis())) await upsert(app, spec);
}

/**
 * The schedulers of many accounts (the reconciler, at every worker start and every 10 minutes):
 * reads the queue's schedulers once and upserts only those missing, made with another interval or
 * offset, or by another version. Upserting one that exists costs ~25 Redis commands, so doing it
 * for every account made a reconcile of 10,000 accounts take minutes. Returns how many were (re)made.
 *
 * Never by removing and adding again: BullMQ's `getJobSchedulers` deletes any scheduler whose
 * details it cannot read, so a reader (another worker's reconcile, the queue board, the bench)
 * listing them between the two steps deleted the one just made (the bench lost 21 of 600 that
 * way). One upsert is one Lua script; with a new interval it places the scheduler at its offset in
 * that interval. One with the same interval keeps its place on an upsert, so one made at another
 * place (before offsets: all at one start) is upserted at interval + 1 ms, then at the interval.
 */
export async function scheduleAccounts(app: App, accountIds: string[]): Promise<number> {
  const every = app.config.SYNC_INTERVAL.toMillis();
  const have = await heldSchedulers(
    app.queues.sync,
    accountIds.flatMap((id) => schedulerIds(id)),
  );
  const misplaced = (spec: SchedulerSpec) => {
    const h = have.get(spec.id);
    return Boolean(h && h.every === spec.every && spec.offset > 0 && h.offset !== spec.offset);
  };
  const missing = accountIds
    .flatMap((id) => schedulerSpecs(id, every))
    .filter((spec) => {
      const h = have.get(spec.id);
      return !h || h.every !== spec.every || h.v !== spec.template.data.v || misplaced(spec);
    });
  // A few at a time: each is one Lua script; in parallel they share the round trips.
  for (let i = 0; i < missing.length; i += 32)
    await Promise.all(
      missing.slice(i, i + 32).map(async (spec) => {
        if (misplaced(spec)) await upsert(app, { ...spec, every: spec.every + 1 });
        await upsert(app, spec);
      }),
    );
  return missing.length;
}

/** What the reconciler compares of a scheduler held in Redis. */
export interface HeldScheduler {
  every: number;
  offset: number;
  /** The template's fingerprint (TEMPLATE_FINGERPRINT when it was made). */
  v: string;
}

/** Schedulers listed per page: a page's details (templates and options) are a few MB at most. */
export const SCHEDULER_PAGE = 1_000;

type SchedulerRow = Awaited<ReturnType<Queue['getJobSchedulers']>>[number];
const held = (s: SchedulerRow): HeldScheduler => ({
  every: Number(s.every),
  offset: Number(s.offset ?? 0),
  v: String((s.template?.data as { v?: unknown } | undefined)?.v ?? ''),
});

/**
 * The queue's schedulers, read a page at a time and kept only as what the reconciler compares:
 * listing 30,000 (10,000 accounts) in one call held all their details at once, and the JS heap
 * rose by about 100 MB every 10 minutes (the bench's RSS peaks; scripts/bench-reconcile.ts).
 * Pages are by next run time, which moves while they are read (a scheduler that fires goes to the
 * end), so one of `expected` not seen in any page is looked up by its id before being called missing.
 */
export async function heldSchedulers(
  queue: Queue,
  expected: Iterable<string> = [],
): Promise<Map<string, HeldScheduler>> {
  const out = new Map<string, HeldScheduler>();
  // Up to the count read first, not to a short page: a page comes back short when BullMQ drops (and
  // deletes) a scheduler whose details it cannot read, and more may follow it.
  const count = await queue.getJobSchedulersCount();
  for (let start = 0; start < count; start += SCHEDULER_PAGE) {
    for (const s of await queue.getJobSchedulers(start, start + SCHEDULER_PAGE - 1, true))
      out.set(s.key, held(s));
  }
  // Whether the rest exist (ZSCORE on BullMQ's scheduler set, 1,000 sent at once: after Redis lost
  // its data that is all of them, and a lookup each would keep /readyz past its 3 s); the details
  // of those that do.
  const unseen = [...new Set(expected)].filter((id) => !out.has(id));
  const client = await queue.getBackend().client;
  for (let i = 0; i < unseen.length; i += SCHEDULER_PAGE) {
    const ids = unseen.slice(i, i + SCHEDULER_PAGE);
    const scores = await Promise.all(ids.map((id) => client.zscore(queue.keys.repeat!, id)));
    await Promise.all(
      ids
        .filter((_, j) => scores[j] !== null)
        .map(async (id) => {
          const s = await queue.getJobScheduler(id);
          if (s) out.set(id, held(s));
        }),
    );
  }
  return out;
}

export async function unscheduleAccount(app: App, accountId: string): Promise<void> {
  for (const id of schedulerIds(accountId)) await app.queues.sync.removeJobScheduler(id);
}
