// Each active account's periodic work, as BullMQ job schedulers on the sync queue: calendar sync
// and send detection every SYNC_INTERVAL, push channels hourly. Upserting is idempotent, so the
// worker's start and a (re)connect can both call it.
import type { App } from '../app.ts';

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

/** Per account: calendar sync and send detection every SYNC_INTERVAL, push channels hourly (idempotent). */
export async function scheduleAccount(app: App, accountId: string): Promise<void> {
  const every = app.config.SYNC_INTERVAL.toMillis();
  await app.queues.sync.upsertJobScheduler(
    `sync-${accountId}`,
    { every },
    { name: 'sync-account', data: { accountId, reason: 'schedule' } },
  );
  await app.queues.sync.upsertJobScheduler(
    `track-${accountId}`,
    { every },
    { name: 'track-drafts', data: { accountId } },
  );
  // Push channels (a no-op without PUBLIC_WEBHOOK_URL): opened at once, renewed a day before expiry.
  await app.queues.sync.upsertJobScheduler(
    `watch-${accountId}`,
    { every: 3_600_000 },
    { name: 'watch-calendars', data: { accountId } },
  );
}

export async function unscheduleAccount(app: App, accountId: string): Promise<void> {
  for (const id of schedulerIds(accountId)) await app.queues.sync.removeJobScheduler(id);
}
