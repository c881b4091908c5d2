// Push notification receivers, served by the webhook listener (webhook-server.ts, its own port;
// never by the review page):
//   POST /hooks/google     Google Calendar channel notifications (worker/jobs/watch-calendars.ts opens them)
//   POST /hooks/microsoft  Microsoft Graph subscription validation and change notifications
// Providers call these, not a browser: there is no review-page token or CSRF here; each request
// proves itself with its own secret instead: the per-channel token stored on the calendar,
// compared in constant time. A notification only says "this calendar
// changed", so all a valid one does is queue an incremental sync of its account; an unknown channel
// gets 404, a wrong token 401, and neither queues anything or says more than its status code.
// Google notifications must also name the channel's resource and carry a message number above the
// last one accepted (a replay: 409); a Graph batch is read in one query and capped.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

export const GOOGLE_HOOK_PATH = '/hooks/google';
export const MICROSOFT_HOOK_PATH = '/hooks/microsoft';
/** Graph's validation tokens are short opaque strings; anything longer is not Graph. */
const MAX_VALIDATION_TOKEN = 1024;
/**
 * Items of one Graph notification batch. Graph batches notifications of the same notification URL
 * (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks); a few mailboxes
 * never come near this, and a larger batch is refused whole (413) rather than half read.
 */
export const MAX_GRAPH_ITEMS = 1000;
/** X-Goog-Message-Number: a positive integer (Google: an int64). */
const MESSAGE_NUMBER = /^[1-9]\d{0,17}$/;

/** Constant-time comparison that does not reveal the expected length either. */
export function sameToken(given: string | undefined, expected: string | null | undefined): boolean {
  if (typeof given !== 'string' || !given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Queues a sync of the account. Notifications come in bursts (one per changed event, and Google
 * and Graph both send several for one edit): every notification within one second maps to the same
 * job, due at the start of the next second, so the job always starts after the notifications that
 * asked for it (none is lost to a sync already under way) and a burst costs one sync.
 */
export async function queuePushSync(app: App, accountId: string, now = new Date()): Promise<void> {
  const second = Math.floor(now.getTime() / 1000);
  await scheduleJob(
    app.queues,
    'sync-account',
    { accountId, reason: 'push' },
    { jobId: `push-${accountId}-${second}`, dueAt: new Date((second + 1) * 1000), now },
  );
}

type Verdict = { ok: true; accountId: string } | { ok: false; status: 401 | 404 | 409 };

/**
 * A Google notification: its channel's token, then the watched resource (X-Goog-Resource-ID is
 * Google's id of what the channel watches: one for another resource is not this channel's), then
 * its message number, which must be higher than any accepted before on the channel: "Message
 * numbers increase for each subsequent message on the channel, but they are not sequential"
 * (https://developers.google.com/calendar/api/guides/push#understanding-the-notification-message-format).
 * A captured notification sent again (a replay) is refused. The number is stored with a
 * conditional update, so two copies racing each other cannot both pass.
 */
async function checkGoogle(
  app: App,
  channelId: string,
  token: string | undefined,
  resourceId: string | undefined,
  messageNumber: bigint,
): Promise<Verdict> {
  const cal = await app.prisma.calendar.findUnique({
    where: { watchChannelId: channelId },
    select: { accountId: true, watchToken: true, watchResourceId: true },
  });
  if (!cal) return { ok: false, status: 404 };
  if (!sameToken(token, cal.watchToken)) return { ok: false, status: 401 };
  if (!resourceId || resourceId !== cal.watchResourceId) return { ok: false, status: 401 };
  const { count } = await app.prisma.calendar.updateMany({
    where: {
      watchChannelId: channelId,
      OR: [{ watchMessageNumber: null }, { watchMessageNumber: { lt: messageNumber } }],
    },
    data: { watchMessageNumber: messageNumber },
  });
  if (count === 0) return { ok: false, status: 409 };
  return { ok: true, accountId: cal.accountId };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const empty = (reply: FastifyReply, status: number) =>
  reply.code(status).header('cache-control', 'no-store').send();

export async function registerWebhooks(server: FastifyInstance, app: App): Promise<void> {
  await server.register(async (hooks) => {
    // Google posts no body; Graph posts JSON (validation requests: an empty text/plain body). Parse
    // what comes as text here, so an empty or odd body is our decision, not a framework error page.
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) =>
      done(null, body),
    );
    hooks.setErrorHandler((err, req, reply) => {
      const status =
        typeof (err as { statusCode?: unknown }).statusCode === 'number'
          ? (err as { statusCode: number }).statusCode
          : 500;
      if (status >= 500) req.log.error({ err, path: req.url.split('?')[0] }, 'webhook error');
      return empty(reply, status);
    });

    // https://developers.google.com/calendar/api/guides/push#receiving-notifications
    // X-Goog-Resource-State: "sync" right after events.watch (nothing changed yet), then "exists"
    // (created or changed) or "not_exists" (deleted). The token is the one we set on the channel.
    hooks.post(GOOGLE_HOOK_PATH, async (req, reply) => {
      const channelId = header(req, 'x-goog-channel-id');
      const state = header(req, 'x-goog-resource-state');
      if (!channelId || !state) return empty(reply, 400);
      // The handshake may arrive before watch-calendars stored the channel; it asks for nothing.
      if (state === 'sync') return empty(reply, 200);
      const number = header(req, 'x-goog-message-number');
      if (!number || !MESSAGE_NUMBER.test(number)) return empty(reply, 400);
      const verdict = await checkGoogle(
        app,
        channelId,
        header(req, 'x-goog-channel-token'),
        header(req, 'x-goog-resource-id'),
        BigInt(number),
      );
      if (!verdict.ok) {
        req.log.warn({ provider: 'google', status: verdict.status }, 'push notification refused');
        return empty(reply, verdict.status);
      }
      if (state === 'exists' || state === 'not_exists') await queuePushSync(app, verdict.accountId);
      return empty(reply, 200);
    });

    // https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
    // Validation: POST ?validationToken=... must be answered 200 text/plain with the decoded token
    // within 10 s. Notifications: {value:[{subscriptionId, clientState, ...}]}, answered 202 quickly;
    // each item's clientState must be the secret we gave its subscription.
    hooks.post(MICROSOFT_HOOK_PATH, async (req, reply) => {
      const validationToken = (req.query as Record<string, unknown>).validationToken;
      if (typeof validationToken === 'string') {
        if (validationToken.length > MAX_VALIDATION_TOKEN) return empty(reply, 400);
        return reply
          .code(200)
          .header('cache-control', 'no-store')
          .type('text/plain; charset=utf-8')
          .send(validationToken);
      }
      let items: unknown[];
      try {
        const parsed = JSON.parse(typeof req.body === 'string' ? req.body : '') as { value?: unknown };
        if (!Array.isArray(parsed.value)) return empty(reply, 400);
        items = parsed.value;
      } catch {
        return empty(reply, 400);
      }
      if (items.length > MAX_GRAPH_ITEMS) return empty(reply, 413);
      const claims: { subscriptionId: string; clientState: string | undefined }[] = [];
      for (const item of items) {
        const { subscriptionId, clientState } = (item ?? {}) as {
          subscriptionId?: unknown;
          clientState?: unknown;
        };
        if (typeof subscriptionId !== 'string' || !subscriptionId || subscriptionId.length > 256) continue;
        claims.push({
          subscriptionId,
          clientState: typeof clientState === 'string' ? clientState : undefined,
        });
      }
      // Every subscription of the batch in one query.
      const ids = [...new Set(claims.map((c) => c.subscriptionId))];
      const calendars = ids.length
        ? await app.prisma.calendar.findMany({
            where: { watchChannelId: { in: ids } },
            select: { watchChannelId: true, accountId: true, watchToken: true },
          })
        : [];
      const byId = new Map(calendars.map((c) => [c.watchChannelId!, c]));
      const accounts = new Set<string>();
      let refused: 401 | 404 = 404;
      for (const claim of claims) {
        const cal = byId.get(claim.subscriptionId);
        if (!cal) continue;
        if (sameToken(claim.clientState, cal.watchToken)) accounts.add(cal.accountId);
        else refused = 401;
      }
      if (accounts.size === 0) {
        req.log.warn(
          { provider: 'microsoft', status: refused, items: items.length },
          'push notification refused',
        );
        return empty(reply, refused);
      }
      for (const accountId of accounts) await queuePushSync(app, accountId);
      return empty(reply, 202);
    });
  });
}
