// Push sync on the sandbox with the real worker process: SYNC_INTERVAL is an hour, so only a
// provider notification can explain a new chat reaching the database within seconds. The webhook
// routes run on the webhook listener started here (the sandbox posts to it), not on the review
// page; forged notifications are refused and queue nothing.
import { jest } from '@jest/globals';
import { request } from 'node:http';
import { addAccount, removeAccount } from '../../worker/core/accounts.ts';
import { watchCalendars } from '../../worker/jobs/watch-calendars.ts';
import type { WebServer } from '../../worker/web/server.ts';
import { startWebhookServer, type WebhookServer } from '../../worker/web/webhook-server.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from '../e2e/provider-fixtures.ts';

// @fastify/static (via bull-board) requires content-disposition, which is ESM-only; the review page
// never serves downloads.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(120_000);
const DAY = 86_400_000;

/** POST with any Host header (providers reach us under a public name, not localhost). */
function post(
  url: string,
  opts: { headers?: Record<string, string>; body?: string; host?: string },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

describe.each<Kind>(['google', 'microsoft'])('push sync on %s', (kind) => {
  let stack: Stack;
  let web: WebServer;
  let hooks: WebhookServer;
  let f: Fixture;
  let accountId: string;

  beforeAll(async () => {
    stack = await startStack({ env: { SYNC_INTERVAL: 'PT1H' } });
    web = await startWebServer(stack.app, { port: 0 });
    hooks = await startWebhookServer(stack.app, { port: 0 });
    // The worker child reads its environment when started: it opens channels to our webhook listener.
    stack.env.PUBLIC_WEBHOOK_URL = hooks.url;
    f = fixture(stack.sandbox, kind, `push-${kind}`);
    const account = await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    accountId = account.account.id;
    await stack.startWorker();
    // The watch job opened a channel, and the first syncs are over (nothing else is due for an hour).
    await waitFor(
      'a push channel on the primary calendar',
      () =>
        stack.app.prisma.calendar.findFirst({
          where: { accountId, selected: true, watchChannelId: { not: null } },
        }),
      30_000,
    );
    await waitFor(
      'first sync done, sync queue idle',
      async () => {
        const a = await stack.app.prisma.account.findUnique({ where: { id: accountId } });
        return !!a?.lastSyncAt && (await idle());
      },
      30_000,
    );
  });
  afterAll(async () => {
    await web?.close();
    await hooks?.close();
    await stack?.close();
  });

  /** No job running or waiting in any queue (delayed ones are in the future). */
  const idle = async () => {
    for (const q of Object.values(stack.app.queues)) {
      const c = await q.getJobCounts('active', 'waiting', 'prioritized');
      if ((c.active ?? 0) + (c.waiting ?? 0) + (c.prioritized ?? 0) > 0) return false;
    }
    return true;
  };

  const pushJobIds = async () =>
    (
      await stack.app.queues.sync.getJobs([
        'active',
        'waiting',
        'delayed',
        'prioritized',
        'completed',
        'failed',
      ])
    )
      .map((j) => j.id ?? '')
      .filter((id) => id.startsWith('push-'));

  it('a new coffee chat at the provider reaches the database within seconds', async () => {
    const cal = (await stack.app.prisma.calendar.findFirst({ where: { accountId, selected: true } }))!;
    expect(cal.watchToken).toBeTruthy();
    expect(cal.watchExpiresAt!.getTime()).toBeGreaterThan(Date.now() + DAY);

    const start = new Date(Math.ceil((Date.now() + 3 * DAY) / 1_800_000) * 1_800_000);
    const t0 = Date.now();
    f.seed({
      title: `Coffee chat with Rosa (${kind})`,
      start,
      minutes: 30,
      others: [{ email: 'rosa@example.org', name: 'Rosa Diaz' }],
    });
    const chat = await waitFor(
      'the chat, synced by push',
      () => stack.app.prisma.chat.findFirst({ where: { title: `Coffee chat with Rosa (${kind})` } }),
      8_000,
      50,
    );
    const latencyMs = Date.now() - t0;
    process.stdout.write(`push-to-sync latency on ${kind}: ${latencyMs} ms\n`);
    expect(chat.startUtc.getTime()).toBe(start.getTime());
    expect(latencyMs).toBeLessThan(8_000);
    expect((await pushJobIds()).length).toBeGreaterThanOrEqual(1);
  });

  it('a forged notification is refused and queues nothing', async () => {
    const cal = (await stack.app.prisma.calendar.findFirst({ where: { accountId, selected: true } }))!;
    // Our own writes (Rosa's prep block) are changes too and push once more: let that settle.
    let before: string[] = [];
    await waitFor(
      'queues settled',
      async () => {
        const ids = await pushJobIds();
        await new Promise((r) => setTimeout(r, 1_500));
        before = await pushJobIds();
        return before.length === ids.length && (await idle());
      },
      30_000,
      0,
    );
    const hook = new URL(`hooks/${kind}`, hooks.url).toString();
    // A public host name, as a provider reaching us through a tunnel sends it.
    const host = 'coffee-chat.example.com';
    if (kind === 'google') {
      const g = (headers: Record<string, string>) =>
        post(hook, {
          host,
          headers: {
            'x-goog-resource-state': 'exists',
            'x-goog-resource-id': cal.watchResourceId!,
            'x-goog-message-number': '999999',
            ...headers,
          },
        });
      expect(
        (await g({ 'x-goog-channel-id': cal.watchChannelId!, 'x-goog-channel-token': 'wrong' })).status,
      ).toBe(401);
      expect((await g({ 'x-goog-channel-id': cal.watchChannelId! })).status).toBe(401);
      expect(
        (await g({ 'x-goog-channel-id': 'no-such-channel', 'x-goog-channel-token': cal.watchToken! })).status,
      ).toBe(404);
    } else {
      const m = (items: object[]) =>
        post(hook, {
          host,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value: items }),
        });
      const item = {
        subscriptionId: cal.watchChannelId,
        changeType: 'created',
        resource: 'Users/x/Events/y',
        tenantId: 't',
      };
      const wrong = await m([{ ...item, clientState: 'wrong' }]);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toBe('');
      expect((await m([{ ...item, clientState: undefined }])).status).toBe(401);
      expect(
        (await m([{ ...item, subscriptionId: 'no-such-subscription', clientState: cal.watchToken }])).status,
      ).toBe(404);
      expect(
        (await post(hook, { host, headers: { 'content-type': 'application/json' }, body: '{' })).status,
      ).toBe(400);
      // The validation handshake echoes the token as plain text.
      const v = await post(`${hook}?validationToken=${encodeURIComponent('Validation: abc 123')}`, {
        host,
        headers: { 'content-type': 'text/plain' },
      });
      expect(v.status).toBe(200);
      expect(v.body).toBe('Validation: abc 123');
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await pushJobIds()).toEqual(before);
    // The review page itself still refuses that host, and the webhook listener serves nothing else.
    expect((await post(new URL('chats/x/exclude', web.url).toString(), { host })).status).toBe(403);
    expect((await post(new URL('chats/x/exclude', hooks.url).toString(), { host })).status).toBe(404);
    expect((await post(new URL('api/status', hooks.url).toString(), { host })).status).toBe(404);
  });

  it('a channel close to expiry is replaced: the new one pushes, the old one is closed and refused', async () => {
    const old = (await stack.app.prisma.calendar.findFirst({ where: { accountId, selected: true } }))!;
    const open = () =>
      kind === 'google'
        ? stack.sandbox.google.channels().map((c) => c.id)
        : stack.sandbox.microsoft.subscriptions().map((x) => x.id);
    expect(open()).toContain(old.watchChannelId);
    await stack.app.prisma.calendar.update({
      where: { id: old.id },
      data: { watchExpiresAt: new Date(Date.now() + 3600_000) },
    });
    // The hourly job, run here with the same configuration the worker has.
    const summary = await watchCalendars(
      { ...stack.app, config: { ...stack.app.config, PUBLIC_WEBHOOK_URL: hooks.url } },
      accountId,
    );
    expect(summary).toMatchObject({ opened: 1, stopped: 1, failed: 0 });
    const renewed = (await stack.app.prisma.calendar.findUnique({ where: { id: old.id } }))!;
    expect(renewed.watchChannelId).not.toBe(old.watchChannelId);
    expect(renewed.watchToken).not.toBe(old.watchToken);
    expect(open()).not.toContain(old.watchChannelId);
    expect(open()).toContain(renewed.watchChannelId);

    const hook = new URL(`hooks/${kind}`, hooks.url).toString();
    const stale =
      kind === 'google'
        ? await post(hook, {
            headers: {
              'x-goog-resource-state': 'exists',
              'x-goog-message-number': '999999',
              'x-goog-resource-id': old.watchResourceId!,
              'x-goog-channel-id': old.watchChannelId!,
              'x-goog-channel-token': old.watchToken!,
            },
          })
        : await post(hook, {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              value: [{ subscriptionId: old.watchChannelId, clientState: old.watchToken }],
            }),
          });
    expect(stale.status).toBe(404);

    const start = new Date(Math.ceil((Date.now() + 4 * DAY) / 1_800_000) * 1_800_000);
    f.seed({
      title: `Coffee chat with Omar (${kind})`,
      start,
      minutes: 30,
      others: [{ email: 'omar@example.org', name: 'Omar Haddad' }],
    });
    await waitFor(
      'the chat, synced by push on the new channel',
      () => stack.app.prisma.chat.findFirst({ where: { title: `Coffee chat with Omar (${kind})` } }),
      8_000,
      50,
    );
  });

  it('with PUBLIC_WEBHOOK_URL unset the job closes the channels it opened and then does nothing', async () => {
    const cal = (await stack.app.prisma.calendar.findFirst({ where: { accountId, selected: true } }))!;
    const summary = await watchCalendars(
      { ...stack.app, config: { ...stack.app.config, PUBLIC_WEBHOOK_URL: undefined } },
      accountId,
    );
    expect(summary).toMatchObject({ opened: 0, stopped: 1 });
    const after = (await stack.app.prisma.calendar.findUnique({ where: { id: cal.id } }))!;
    expect(after).toMatchObject({
      watchChannelId: null,
      watchResourceId: null,
      watchExpiresAt: null,
      watchToken: null,
    });
    const open =
      kind === 'google'
        ? stack.sandbox.google.channels().map((c) => c.id)
        : stack.sandbox.microsoft.subscriptions().map((x) => x.id);
    expect(open).not.toContain(cal.watchChannelId);
    expect(
      await watchCalendars(
        { ...stack.app, config: { ...stack.app.config, PUBLIC_WEBHOOK_URL: undefined } },
        accountId,
      ),
    ).toMatchObject({ stopped: 0, skipped: expect.stringMatching(/polling only/) });
  });
  it('removing the account closes its push channels', async () => {
    const withPush = { ...stack.app, config: { ...stack.app.config, PUBLIC_WEBHOOK_URL: hooks.url } };
    expect(await watchCalendars(withPush, accountId)).toMatchObject({ opened: 1 });
    const cal = (await stack.app.prisma.calendar.findFirst({ where: { accountId, selected: true } }))!;
    const open = () =>
      kind === 'google'
        ? stack.sandbox.google.channels().map((c) => c.id)
        : stack.sandbox.microsoft.subscriptions().map((x) => x.id);
    expect(open()).toContain(cal.watchChannelId);
    await stack.stopWorker();
    expect(await removeAccount(stack.app, f.email)).toBe(1);
    expect(open()).not.toContain(cal.watchChannelId);
  });
});
