// Job `watch-calendars` (hourly per account): keeps one push channel open on every selected
// calendar, so a change at the provider triggers a sync within seconds (worker/web/webhooks.ts).
// Polling (SYNC_INTERVAL) stays the safety net: a lost notification, a dead channel or an
// unreachable webhook only delays a change until the next poll.
// - PUBLIC_WEBHOOK_URL unset: channels left from an earlier configuration are closed; otherwise
//   nothing to do. A provider without push: nothing to do.
// - No channel, or one expiring within RENEW_BEFORE_MS: open a new one first, store it, then close
//   the old one (so there is no window without a channel).
// - A calendar no longer selected: its channel is closed.
// Each channel has its own random token (Google channel token / Graph clientState) that every
// notification must carry.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { withLock } from '../core/locks.ts';
import { jobSchemas } from '../queues/queues.ts';
import { isProviderError } from '../../integrations/provider.ts';
import { withProvider } from '../provider-policy.ts';
import { discoverCalendars } from './sync-account.ts';
import { clearChannel, closeChannel, newChannelToken, webhookAddress } from '../core/push-channels.ts';

/** Renew a channel this long before it expires (the job runs hourly, so there are many chances). */
export const RENEW_BEFORE_MS = 24 * 3600_000;

export interface WatchSummary {
  account: string;
  opened: number;
  kept: number;
  stopped: number;
  failed: number;
  skipped?: string;
}

export async function watchCalendarsJob(
  app: App,
  job: Job | undefined,
  token?: string,
): Promise<WatchSummary> {
  const { accountId } = jobSchemas['watch-calendars'].parse(job?.data);
  return watchCalendars(app, accountId, job, token);
}

export async function watchCalendars(
  app: App,
  accountId: string,
  job?: Job,
  token?: string,
): Promise<WatchSummary> {
  // The sync lock: the first run may discover calendars, which the first sync may be doing too.
  return withLock(app, `sync-${accountId}`, job, token, () => watchLocked(app, accountId, job, token));
}

async function watchLocked(app: App, accountId: string, job?: Job, token?: string): Promise<WatchSummary> {
  const account = await app.prisma.account.findUniqueOrThrow({ where: { id: accountId } });
  const summary: WatchSummary = { account: account.email, opened: 0, kept: 0, stopped: 0, failed: 0 };
  if (account.status !== 'active') return { ...summary, skipped: `account is ${account.status}` };
  const log = app.log.child({ job: 'watch-calendars', account: account.email });
  const base = app.config.PUBLIC_WEBHOOK_URL;
  if (!base) {
    // Push was turned off: close what an earlier configuration opened (polling carries on).
    const open = await app.prisma.calendar.findMany({ where: { accountId, watchChannelId: { not: null } } });
    if (open.length === 0) return { ...summary, skipped: 'PUBLIC_WEBHOOK_URL is not set (polling only)' };
    await withProvider(app, job, token, account, async ({ calendar: provider }) => {
      for (const cal of open) {
        await closeChannel(app, provider, cal, log);
        await clearChannel(app, cal.id);
        summary.stopped += 1;
      }
    });
    log.info(summary, 'push is off: channels closed');
    return summary;
  }

  await withProvider(app, job, token, account, async ({ calendar: provider }) => {
    if (!provider.watchCalendar) {
      summary.skipped = `${provider.provider} has no push`;
      return;
    }
    let calendars = await app.prisma.calendar.findMany({ where: { accountId } });
    if (!calendars.some((c) => c.selected)) {
      await discoverCalendars(app, accountId, provider);
      calendars = await app.prisma.calendar.findMany({ where: { accountId } });
    }
    const address = webhookAddress(base, provider.provider);
    const now = app.now().getTime();
    for (const cal of calendars) {
      if (!cal.selected) {
        if (cal.watchChannelId) {
          await closeChannel(app, provider, cal, log);
          await clearChannel(app, cal.id);
          summary.stopped += 1;
        }
        continue;
      }
      if (cal.watchChannelId && cal.watchExpiresAt && cal.watchExpiresAt.getTime() - now > RENEW_BEFORE_MS) {
        summary.kept += 1;
        continue;
      }
      const channelToken = newChannelToken();
      try {
        const ch = await provider.watchCalendar(cal.providerCalendarId, { address, channelToken });
        await app.prisma.calendar.update({
          where: { id: cal.id },
          data: {
            watchChannelId: ch.channelId,
            watchResourceId: ch.resourceId,
            watchExpiresAt: ch.expiresAt,
            watchToken: channelToken,
            // A new channel numbers its messages afresh.
            watchMessageNumber: null,
          },
        });
        summary.opened += 1;
        log.info(
          { calendar: cal.name, expiresAt: ch.expiresAt.toISOString(), renewed: !!cal.watchChannelId },
          'push channel open',
        );
      } catch (err) {
        // A calendar the provider cannot watch (Google: pushNotSupportedForRequestedResource) or a
        // webhook it could not validate (Graph) is not the account's failure: polling covers it.
        // Revoked tokens, throttling and outages go to the one provider policy.
        if (isProviderError(err) && (err.kind === 'bad_request' || err.kind === 'not_found')) {
          log.warn(
            { calendar: cal.name, err: err.message },
            'push channel refused: this calendar stays on polling',
          );
          summary.failed += 1;
          continue;
        }
        throw err;
      }
      if (cal.watchChannelId) {
        await closeChannel(app, provider, cal, log);
        summary.stopped += 1;
      }
    }
  });
  log.info(summary, 'push channels checked');
  return summary;
}
