// Nothing the run is trusted with shows where others can read it: a full run of the pipeline on
// both providers (the worker process, the review page, the webhook listener with pushes, `status
// --json`) with known secrets, then every log line, the status output, the review page and its JSON,
// bull-board's job data and every Redis key and value are searched for each of them.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { addAccount } from '../../worker/core/accounts.ts';
import { issueUserToken } from '../../worker/core/web-tokens.ts';
import type { App } from '../../worker/app.ts';
import type { WebServer } from '../../worker/web/server.ts';
import { startWebhookServer, type WebhookServer } from '../../worker/web/webhook-server.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from './provider-fixtures.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(240_000);
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const MIN = 60_000;
const run = promisify(execFile);
const secret = (label: string) => `${label}-${randomBytes(24).toString('base64url')}`;

describe('a full run on Google and Microsoft', () => {
  let stack: Stack;
  let web: WebServer;
  let hooks: WebhookServer;
  let google: Fixture;
  let microsoft: Fixture;
  let logs = '';
  let logged: App;
  /** Tokens the sandboxes issued, gathered while the run goes (expired ones are forgotten there). */
  const issued = new Set<string>();
  let gather: NodeJS.Timeout | undefined;
  const WEB_AUTH_TOKEN = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    stack = await startStack({
      env: {
        LOG_LEVEL: 'debug',
        WEB_AUTH_TOKEN,
        GOOGLE_CLIENT_SECRET: secret('google-client-secret'),
        MICROSOFT_CLIENT_SECRET: secret('microsoft-client-secret'),
        SYNC_INTERVAL: 'PT3S',
      },
    });
    // The review page and the webhook listener in this process, logging at debug into `logs`.
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += String(chunk);
        done();
      },
    });
    logged = { ...stack.app, log: pino({ level: 'debug' }, sink) };
    web = await startWebServer(logged, { port: 0 });
    hooks = await startWebhookServer(logged, { port: 0 });
    stack.env.PUBLIC_WEBHOOK_URL = hooks.url;
    gather = setInterval(() => {
      for (const t of [...stack.sandbox.google.issuedTokens(), ...stack.sandbox.microsoft.issuedTokens()])
        issued.add(t);
    }, 200);
  });
  afterAll(async () => {
    clearInterval(gather);
    await web?.close();
    await hooks?.close();
    await stack?.close();
  });

  it('leaves no token or secret in logs, status --json, the review page or Redis', async () => {
    const now = Date.now();
    google = fixture(stack.sandbox, 'google', 'scan-g');
    microsoft = fixture(stack.sandbox, 'microsoft', 'scan-m');
    for (const f of [google, microsoft]) {
      f.seed({
        title: 'Coffee chat with Priya',
        start: new Date(now - 90 * MIN),
        minutes: 30,
        others: [{ email: `priya-${f.kind}@example.org`, name: 'Priya Raman' }],
      });
      f.seed({
        title: 'Virtual coffee: Kenji',
        start: new Date(Math.ceil((now + 20 * 60 * MIN) / (30 * MIN)) * 30 * MIN),
        minutes: 30,
        others: [{ email: `kenji-${f.kind}@example.jp`, name: 'Kenji Watanabe' }],
      });
    }
    const first = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: google.refreshToken,
      email: google.email,
      name: 'Maya Chen',
    });
    await addAccount(stack.app, {
      provider: 'microsoft',
      refreshToken: microsoft.refreshToken,
      email: microsoft.email,
      userId: first.account.userId,
    });
    const { token: userToken } = await issueUserToken(stack.app, first.account.userId);
    await stack.startWorker();

    // Drafts on both providers, prep blocks, push channels; then a change that arrives by push.
    for (const f of [google, microsoft])
      await waitFor(
        `thank-you and confirmation on ${f.kind}`,
        () =>
          f.drafts().some((d) => d.to.includes(`priya-${f.kind}`)) &&
          f.drafts().some((d) => d.to.includes(`kenji-${f.kind}`)),
        90_000,
      );
    await waitFor(
      'push channels on both accounts',
      async () => (await stack.app.prisma.calendar.count({ where: { watchChannelId: { not: null } } })) >= 2,
      60_000,
    );
    for (const f of [google, microsoft])
      f.seed({
        title: 'Coffee chat with Rosa',
        start: new Date(now + 50 * 60 * MIN),
        minutes: 30,
        others: [{ email: `rosa-${f.kind}@example.org` }],
      });
    await waitFor(
      'the pushed chats',
      async () => (await stack.app.prisma.chat.count({ where: { title: 'Coffee chat with Rosa' } })) === 2,
      60_000,
    );

    // What a reader sees: the review page and its JSON (as the operator and as the user), bull-board's job data.
    const pages: string[] = [];
    for (const [path, token] of [
      ['/', WEB_AUTH_TOKEN],
      ['/api/status', WEB_AUTH_TOKEN],
      ['/', userToken],
      ['/api/status', userToken],
      ['/queues/api/queues?activeQueue=actions&status=completed&page=1', WEB_AUTH_TOKEN],
      ['/queues/api/queues?activeQueue=sync&status=completed&page=1', WEB_AUTH_TOKEN],
      ['/queues/api/queues?activeQueue=plan&status=completed&page=1', WEB_AUTH_TOKEN],
      ['/readyz', WEB_AUTH_TOKEN],
      ['/metrics', WEB_AUTH_TOKEN],
    ] as const) {
      const res = await fetch(`${web.url.replace(/\/$/, '')}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([path, res.status]).toEqual([path, 200]);
      pages.push(await res.text());
    }
    const status = await run(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), 'status', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(JSON.parse(status.stdout).chats.length).toBeGreaterThanOrEqual(6);

    // A planted value in a log and in Redis: the search must find it there (it can fail).
    const canary = secret('canary');
    logged.log.debug({ canary }, 'planted');
    // Every key and value in Redis.
    const redis = new Redis(process.env.REDIS_URL!);
    const stored: string[] = [];
    try {
      await redis.set(`${stack.env.QUEUE_PREFIX}-canary`, JSON.stringify({ data: { canary } }));
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'COUNT', '500');
        cursor = next;
        for (const key of keys) {
          stored.push(key);
          const type = await redis.type(key);
          if (type === 'string') stored.push((await redis.get(key)) ?? '');
          else if (type === 'hash') stored.push(JSON.stringify(await redis.hgetall(key)));
          else if (type === 'list') stored.push(JSON.stringify(await redis.lrange(key, 0, -1)));
          else if (type === 'set') stored.push(JSON.stringify(await redis.smembers(key)));
          else if (type === 'zset')
            stored.push(JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
          else if (type === 'stream') stored.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        }
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    expect(stored.join('\n')).toContain(stack.env.QUEUE_PREFIX);

    for (const t of [...stack.sandbox.google.issuedTokens(), ...stack.sandbox.microsoft.issuedTokens()])
      issued.add(t);
    const watchTokens = (
      await stack.app.prisma.calendar.findMany({
        where: { watchToken: { not: null } },
        select: { watchToken: true },
      })
    ).map((c) => c.watchToken!);
    const key = stack.env.TOKEN_ENCRYPTION_KEY!;
    const secrets: Record<string, string[]> = {
      'refresh token (seeded)': [google.refreshToken, microsoft.refreshToken],
      'refresh or access token (issued)': [...issued],
      TOKEN_ENCRYPTION_KEY: [
        key,
        Buffer.from(key, 'base64').toString('hex'),
        Buffer.from(key, 'base64').toString('base64url'),
      ],
      GOOGLE_CLIENT_SECRET: [stack.env.GOOGLE_CLIENT_SECRET!],
      MICROSOFT_CLIENT_SECRET: [stack.env.MICROSOFT_CLIENT_SECRET!],
      WEB_AUTH_TOKEN: [WEB_AUTH_TOKEN],
      'user web token': [userToken],
      'webhook secret': watchTokens,
      canary: [canary],
    };
    // The run really used them: tokens were issued and refreshed, both channels have secrets.
    expect(issued.size).toBeGreaterThanOrEqual(4);
    expect(watchTokens.length).toBeGreaterThanOrEqual(2);
    expect(logs.length + stack.workerOutput().length).toBeGreaterThan(1_000);

    const places: Record<string, string> = {
      'worker log': stack.workerOutput(),
      'review page and webhook log': logs,
      'status --json': status.stdout + status.stderr,
      'review page, its JSON, bull-board, health and metrics': pages.join('\n'),
      Redis: stored.join('\n'),
    };
    const found: string[] = [];
    for (const [where, text] of Object.entries(places))
      for (const [what, values] of Object.entries(secrets))
        for (const v of values)
          if (v.length >= 16 && (text.includes(v) || text.includes(encodeURIComponent(v))))
            found.push(`${what} in ${where}`);
    expect(found).toEqual(['canary in review page and webhook log', 'canary in Redis']);
  });
});
