// Push channels on the provider side: the address a provider posts to, the per-channel secret,
// and closing a channel. Used by the watch-calendars job and by removing an account.
import { randomBytes } from 'node:crypto';
import type { App } from '../app.ts';
import type { Calendar } from '../db/generated/client.ts';
import { isProviderError, type CalendarProvider, type ProviderKind } from '../../integrations/provider.ts';

/** The address a provider posts to: PUBLIC_WEBHOOK_URL + /hooks/<provider>. */
export function webhookAddress(base: string, provider: ProviderKind): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/hooks/${provider}`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** A fresh per-channel secret (fits Google's 256-char token and Graph's 128-char clientState). */
export function newChannelToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Best effort: a channel we fail to close expires by itself, and its notifications are refused (unknown id). */
export async function closeChannel(
  app: App,
  provider: CalendarProvider,
  cal: Calendar,
  log: App['log'],
): Promise<void> {
  if (!provider.stopWatch || !cal.watchChannelId) return;
  try {
    await provider.stopWatch({ channelId: cal.watchChannelId, resourceId: cal.watchResourceId ?? '' });
  } catch (err) {
    if (isProviderError(err) && err.kind === 'auth_revoked') throw err;
    log.warn(
      { calendar: cal.name, err: err instanceof Error ? err.message : String(err) },
      'could not stop an old push channel (it will expire)',
    );
  }
}

/** Forgets a calendar's channel (after closing it, or when it is gone). */
export async function clearChannel(app: App, calendarId: string): Promise<void> {
  await app.prisma.calendar.update({
    where: { id: calendarId },
    data: {
      watchChannelId: null,
      watchResourceId: null,
      watchExpiresAt: null,
      watchToken: null,
      watchMessageNumber: null,
    },
  });
}
