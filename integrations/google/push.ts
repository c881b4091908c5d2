// Push notifications for Google Calendar: events.watch opens a web_hook channel on one calendar's
// events, channels.stop closes it. Google then POSTs an empty body with X-Goog-Channel-ID,
// X-Goog-Channel-Token (our per-channel secret), X-Goog-Resource-State ("sync" once, then "exists"
// / "not_exists") to the address; the receiver runs an incremental sync (the notification itself
// carries no event data).
// https://developers.google.com/calendar/api/guides/push
// https://developers.google.com/calendar/api/v3/reference/events/watch
// https://developers.google.com/calendar/api/v3/reference/channels/stop
import { randomUUID } from 'node:crypto';
import { ProviderError, type WatchChannel, type WatchOptions } from '../provider.ts';
import type { GoogleSession } from './session.ts';

/** Calendar events channels live at most a week (Google's default and cap); ask for less when told. */
const MAX_TTL_SECONDS = 7 * 24 * 3600;

export async function watchEvents(
  s: GoogleSession,
  calendarId: string,
  opts: WatchOptions,
  now = Date.now(),
): Promise<WatchChannel> {
  // Channel ids must be unique per project and match [A-Za-z0-9\-_\+/=]+ (at most 64 chars): a uuid.
  const id = randomUUID();
  const ttl = Math.min(opts.ttlSeconds ?? MAX_TTL_SECONDS, MAX_TTL_SECONDS);
  const ch = await s.call(() =>
    s.calendar.events.watch({
      calendarId,
      requestBody: {
        id,
        type: 'web_hook',
        address: opts.address,
        token: opts.channelToken,
        expiration: String(now + ttl * 1000),
      },
    }),
  );
  if (!ch.resourceId)
    throw new ProviderError('google', 'transient', 'events.watch answered without a resourceId');
  // expiration: "Date and time of notification channel expiration, expressed as a Unix timestamp, in milliseconds."
  const exp = Number(ch.expiration);
  return {
    channelId: ch.id ?? id,
    resourceId: ch.resourceId,
    expiresAt: new Date(Number.isFinite(exp) && exp > 0 ? exp : now + ttl * 1000),
  };
}

/** Stopping a channel that is already gone (expired, stopped) is not an error. */
export async function stopChannel(
  s: GoogleSession,
  channel: { channelId: string; resourceId: string },
): Promise<void> {
  try {
    await s.call(
      () =>
        s.calendar.channels.stop({ requestBody: { id: channel.channelId, resourceId: channel.resourceId } }),
      { deleting: true },
    );
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'not_found') return;
    throw e;
  }
}
