// Push notifications for Outlook calendars on Microsoft Graph: a subscription on one calendar's
// events (created, updated, deleted) with our per-channel secret as clientState; Graph checks the
// notificationUrl first (validationToken handshake, answered by worker/web/webhooks.ts) and then
// POSTs {value:[{subscriptionId, clientState, changeType, resource, ...}]}. The receiver runs the
// incremental (delta) sync: basic notifications carry no event data.
// https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
// https://learn.microsoft.com/en-us/graph/api/subscription-delete
import type { WatchChannel, WatchOptions } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import type { GraphHandle } from './graph-client.ts';

/**
 * Subscriptions to Outlook events may live 4230 minutes (the long-standing documented cap,
 * https://devblogs.microsoft.com/microsoft365dev/microsoft-graph-webhooks-update-march-2016/ ; the
 * subscription resource's "maximum length" table,
 * https://learn.microsoft.com/en-us/graph/api/resources/subscription#subscription-lifetime , now
 * allows up to 10080 for basic notifications). We stay under the smaller one, with a margin: a
 * request past the cap is refused with 400.
 */
export const MAX_EVENT_SUBSCRIPTION_MINUTES = 4230;
const MARGIN_MINUTES = 5;

export async function subscribeToEvents(
  graph: GraphHandle,
  calendarId: string,
  opts: WatchOptions,
  now = Date.now(),
): Promise<WatchChannel> {
  const maxSeconds = (MAX_EVENT_SUBSCRIPTION_MINUTES - MARGIN_MINUTES) * 60;
  const ttl = Math.min(opts.ttlSeconds ?? maxSeconds, maxSeconds);
  const resource = `/me/calendars/${calendarId}/events`;
  const sub = await graph.call('subscription create', (c) =>
    c.api('/subscriptions').post({
      changeType: 'created,updated,deleted',
      notificationUrl: opts.address,
      resource,
      expirationDateTime: new Date(now + ttl * 1000).toISOString(),
      // clientState: at most 128 characters; Graph returns it in every notification.
      clientState: opts.channelToken,
    }),
  );
  if (!sub?.id)
    throw new ProviderError('microsoft', 'transient', 'Microsoft subscription create: answer without an id');
  const exp = Date.parse(String(sub.expirationDateTime ?? ''));
  return {
    channelId: String(sub.id),
    resourceId: String(sub.resource ?? resource),
    expiresAt: new Date(Number.isNaN(exp) ? now + ttl * 1000 : exp),
  };
}

/** Deleting a subscription that is already gone (expired, removed) is not an error. */
export async function deleteSubscription(graph: GraphHandle, channel: { channelId: string }): Promise<void> {
  try {
    await graph.call('subscription delete', (c) =>
      c.api(`/subscriptions/${encodeURIComponent(channel.channelId)}`).delete(),
    );
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'not_found') return;
    throw e;
  }
}
