// Change notifications over webhooks.
// https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
// - On create, Graph POSTs `{notificationUrl}?validationToken={token}` (Content-Type text/plain) and
//   expects 200 with the decoded token echoed as text/plain within 10 seconds; otherwise the
//   subscription is refused (400 "Subscription validation request failed...").
// - Notifications are POSTed as {"value":[{subscriptionId, subscriptionExpirationDateTime,
//   clientState, changeType, resource, resourceData:{@odata.type, @odata.id, @odata.etag, id},
//   tenantId}]}; any 2xx counts as delivered.
import { randomBytes, randomUUID } from 'node:crypto';
import { GraphHttpError, badRequest } from './graph-errors.ts';
import type { Account, MicrosoftStore, Subscription } from './store.ts';

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Outlook resources allow at most 10080 minutes (7 days). */
const MAX_MINUTES = 10080;

export type ResourceKind = 'events' | 'messages';

function resourceKind(resource: string): { kind: ResourceKind; calendarId?: string } | null {
  const r = resource.replace(/^\/+/, '').toLowerCase();
  const cal = /^me\/calendars\/([^/]+)\/events$/i.exec(resource.replace(/^\/+/, ''));
  if (cal) return { kind: 'events', calendarId: cal[1] };
  if (r === 'me/events' || r === 'me/calendar/events') return { kind: 'events' };
  if (r === 'me/messages' || /^me\/mailfolders\(?'?[^/]+'?\)?\/messages$/.test(r))
    return { kind: 'messages' };
  return null;
}

export async function createSubscription(
  store: MicrosoftStore,
  acc: Account,
  body: Record<string, unknown>,
  nowMs: number,
): Promise<Subscription> {
  const { changeType, notificationUrl, resource, expirationDateTime, clientState } = body as Record<
    string,
    string | undefined
  >;
  if (!changeType || !notificationUrl || !resource || !expirationDateTime) {
    throw badRequest(
      'changeType, notificationUrl, resource and expirationDateTime are required.',
      'InvalidRequest',
    );
  }
  if (!resourceKind(resource)) throw badRequest(`Resource '${resource}' is not supported.`, 'ExtensionError');
  const exp = Date.parse(expirationDateTime);
  if (Number.isNaN(exp) || exp <= nowMs)
    throw badRequest('Subscription expiration must be in the future.', 'InvalidRequest');
  if (exp > nowMs + MAX_MINUTES * 60_000) {
    throw badRequest(
      `Subscription expiration can only be ${MAX_MINUTES} minutes in the future.`,
      'InvalidRequest',
    );
  }
  if (clientState && clientState.length > 128)
    throw badRequest('clientState must be at most 128 characters.', 'InvalidRequest');

  const validationToken = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const url = `${notificationUrl}${notificationUrl.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(validationToken)}`;
  let echoed: string | null = null;
  let okStatus = false;
  let contentType = '';
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '',
      signal: AbortSignal.timeout(10_000),
    });
    okStatus = res.status === 200;
    contentType = res.headers.get('content-type') ?? '';
    echoed = await res.text();
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') {
      throw new GraphHttpError(400, 'ValidationError', 'Subscription validation request timed out.');
    }
    throw new GraphHttpError(
      400,
      'ValidationError',
      `Subscription validation request failed. ${(e as Error).message}`,
    );
  }
  if (!okStatus || echoed !== validationToken || !contentType.startsWith('text/plain')) {
    throw new GraphHttpError(
      400,
      'ValidationError',
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    );
  }
  const sub: Subscription = {
    id: randomUUID(),
    email: acc.email,
    resource,
    changeType,
    notificationUrl,
    clientState: clientState ?? null,
    expirationDateTime: new Date(exp).toISOString(),
  };
  store.subscriptions.set(sub.id, sub);
  return sub;
}

export function renderSubscription(sub: Subscription, userId: string) {
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity',
    id: sub.id,
    resource: sub.resource,
    applicationId: '00000000-0000-0000-0000-000000000000',
    changeType: sub.changeType,
    clientState: sub.clientState,
    notificationUrl: sub.notificationUrl,
    lifecycleNotificationUrl: null,
    expirationDateTime: sub.expirationDateTime,
    creatorId: userId,
    includeResourceData: false,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

/** Fire-and-forget delivery of one change to every matching subscription. */
export function notifyChange(
  store: MicrosoftStore,
  acc: Account,
  kind: ResourceKind,
  changeType: 'created' | 'updated' | 'deleted',
  item: { id: string; changeKey: string; calendarId?: string },
  nowMs: number,
): void {
  for (const sub of store.subscriptions.values()) {
    if (sub.email !== acc.email) continue;
    if (Date.parse(sub.expirationDateTime) <= nowMs) continue;
    const rk = resourceKind(sub.resource);
    if (!rk || rk.kind !== kind) continue;
    if (rk.calendarId && rk.calendarId !== item.calendarId) continue;
    if (
      !sub.changeType
        .split(',')
        .map((s) => s.trim())
        .includes(changeType)
    )
      continue;
    const resource = `Users/${acc.userId}/${kind === 'events' ? 'Events' : 'Messages'}/${item.id}`;
    const payload = {
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: sub.expirationDateTime,
          changeType,
          resource,
          resourceData: {
            '@odata.type': kind === 'events' ? '#Microsoft.Graph.Event' : '#Microsoft.Graph.Message',
            '@odata.id': resource,
            '@odata.etag': `W/"${item.changeKey}"`,
            id: item.id,
          },
          clientState: sub.clientState,
          tenantId: TENANT_ID,
        },
      ],
    };
    void fetch(sub.notificationUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-sandbox-notification': randomBytes(4).toString('hex'),
      },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
  }
}
