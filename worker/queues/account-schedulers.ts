// Each active account's periodic work, as BullMQ job schedulers on the sync queue: calendar sync
// and send detection every SYNC_INTERVAL, push channels hourly. Upserting is idempotent, so the
// worker's start and a (re)connect can both call it.
import type { App } from '../app.ts';

/** Per account: calendar sync and send detection every SYNC_INTERVAL, push channels hourly (idempotent). */
export async function scheduleAccount(app: App, accountId: string): Promise<void> {
  const every = app.config.SYNC_INTERVAL.toMillis();
  await app.queues.sync.upsertJobScheduler(`sync-${accountId}`, { every }, { name: 'sync-account', data: { accountId, reason: 'schedule' } });
  await app.queues.sync.upsertJobScheduler(`track-${accountId}`, { every }, { name: 'track-drafts', data: { accountId } });
  // Push channels (a no-op without PUBLIC_WEBHOOK_URL): opened at once, renewed a day before expiry.
  await app.queues.sync.upsertJobScheduler(`watch-${accountId}`, { every: 3_600_000 }, { name: 'watch-calendars', data: { accountId } });
}

export async function unscheduleAccount(app: App, accountId: string): Promise<void> {
  await app.queues.sync.removeJobScheduler(`sync-${accountId}`);
  await app.queues.sync.removeJobScheduler(`track-${accountId}`);
  await app.queues.sync.removeJobScheduler(`watch-${accountId}`);
}

export async function scheduleAllAccounts(app: App): Promise<void> {
  const accounts = await app.prisma.account.findMany({ where: { status: 'active' }, select: { id: true } });
  for (const a of accounts) await scheduleAccount(app, a.id);
}
