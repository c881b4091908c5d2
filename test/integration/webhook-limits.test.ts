// The webhook listener is the one address on the internet: a replayed Google notification, one
// naming another resource, a flood from one client or from everywhere, and an oversized Graph
// batch are refused and queue nothing; a real notification still queues one sync, and a burst of
// them costs one sync. Real Redis, real embedded database.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { App } from '../../worker/app.ts';
import { queuePushSync } from '../../worker/web/webhooks.ts';
import { startWebhookServer, type WebhookServer } from '../../worker/web/webhook-server.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { addSam, createReviewApp } from '../helpers/review-fixture.ts';

const CHANNEL = 'chan-sam';
const TOKEN = randomBytes(24).toString('base64url');
const RESOURCE = 'res-sam-primary';

let db: TestDb;
let app: App;
let accountId: string;

type Res = { status: number; body: string; retryAfter?: string };
function post(
  url: string,
  opts: { headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<Res> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers: opts.headers ?? {},
        agent: false,
        ...(opts.from ? { localAddress: opts.from } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += String(c)));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

const pushJobs = async () =>
  (await app.queues.sync.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter((j) =>
    (j.id ?? '').startsWith('push-'),
  ).length;
const clearQueues = async () => {
  for (const q of Object.values(app.queues)) await q.obliterate({ force: true });
};

beforeAll(async () => {
  db = await openTestDb('embedded');
  app = await createReviewApp(db, 'hooks', async () => {
    throw new Error('no provider calls here');
  });
  const sam = await addSam(app, { watchChannelId: CHANNEL, watchToken: TOKEN, watchResourceId: RESOURCE });
  accountId = sam.account.id;
  await app.prisma.calendar.create({
    data: {
      accountId,
      providerCalendarId: 'graph-cal',
      name: 'Graph',
      watchChannelId: 'sub-sam',
      watchToken: TOKEN,
      watchResourceId: 'me/events',
    },
  });
});
afterAll(async () => {
  for (const q of Object.values(app?.queues ?? {}))
    await q.obliterate({ force: true }).catch(() => undefined);
  await app?.close();
  await db?.dispose();
});

describe('Google notifications', () => {
  let hooks: WebhookServer;
  beforeAll(async () => {
    hooks = await startWebhookServer(app, { port: 0 });
  });
  afterAll(async () => hooks.close());
  beforeEach(clearQueues);

  const google = (n: number, extra: Record<string, string> = {}) =>
    post(new URL('hooks/google', hooks.url).toString(), {
      headers: {
        'x-goog-channel-id': CHANNEL,
        'x-goog-channel-token': TOKEN,
        'x-goog-resource-id': RESOURCE,
        'x-goog-resource-state': 'exists',
        'x-goog-message-number': String(n),
        ...extra,
      },
    });

  test('a replayed or older message number is refused and queues nothing; a newer one queues a sync', async () => {
    expect((await google(41)).status).toBe(200);
    expect(await pushJobs()).toBe(1);
    await clearQueues();
    // The same notification captured and sent again (or an older one).
    expect((await google(41)).status).toBe(409);
    expect((await google(7)).status).toBe(409);
    expect(await pushJobs()).toBe(0);
    expect((await google(42)).status).toBe(200);
    expect(await pushJobs()).toBe(1);
  });

  test("a notification for another resource than the channel's is refused", async () => {
    expect((await google(100, { 'x-goog-resource-id': 'someone-elses-calendar' })).status).toBe(401);
    expect((await google(101, { 'x-goog-resource-id': '' })).status).toBe(401);
    expect(await pushJobs()).toBe(0);
  });

  test('a message number that is missing or not a number is a bad request', async () => {
    const url = new URL('hooks/google', hooks.url).toString();
    const headers = {
      'x-goog-channel-id': CHANNEL,
      'x-goog-channel-token': TOKEN,
      'x-goog-resource-id': RESOURCE,
      'x-goog-resource-state': 'exists',
    };
    expect((await post(url, { headers })).status).toBe(400);
    expect((await google(0, { 'x-goog-message-number': 'abc' })).status).toBe(400);
    expect(await pushJobs()).toBe(0);
  });
});

describe('Graph notification batches', () => {
  let hooks: WebhookServer;
  beforeAll(async () => {
    hooks = await startWebhookServer(app, { port: 0 });
  });
  afterAll(async () => hooks.close());
  beforeEach(clearQueues);

  const graph = (items: object[]) =>
    post(new URL('hooks/microsoft', hooks.url).toString(), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: items }),
    });

  test('resolves every subscription of a batch in one query and queues one sync per account', async () => {
    const queries: string[] = [];
    const original = app.prisma.calendar.findUnique.bind(app.prisma.calendar);
    const spy = app.prisma.calendar as unknown as Record<string, unknown>;
    const origMany = app.prisma.calendar.findMany.bind(app.prisma.calendar);
    spy.findUnique = (...a: Parameters<typeof original>) => (queries.push('findUnique'), original(...a));
    spy.findMany = (...a: Parameters<typeof origMany>) => (queries.push('findMany'), origMany(...a));
    try {
      const items = Array.from({ length: 40 }, (_, i) => ({
        subscriptionId: i % 2 ? 'sub-sam' : `unknown-${i}`,
        clientState: TOKEN,
      }));
      expect((await graph(items)).status).toBe(202);
    } finally {
      spy.findUnique = original;
      spy.findMany = origMany;
    }
    expect(queries.length).toBe(1);
    expect(await pushJobs()).toBe(1);
  });

  test('a batch over the item cap is refused whole', async () => {
    const items = Array.from({ length: 1001 }, () => ({ subscriptionId: 'sub-sam', clientState: TOKEN }));
    expect((await graph(items)).status).toBe(413);
    expect(await pushJobs()).toBe(0);
  });
});

describe('rate limits on /hooks/*', () => {
  let hooks: WebhookServer;
  afterEach(async () => hooks?.close());
  beforeEach(clearQueues);

  // A frozen clock: the buckets never refill during the test, whatever the machine's speed.
  const start = (limits: { perClient: number; overall: number }) =>
    startWebhookServer(app, {
      port: 0,
      rateLimit: {
        perClient: { burst: limits.perClient, perSecond: 1 },
        overall: { burst: limits.overall, perSecond: 1 },
        now: () => 0,
      },
    });
  const forged = (from: string) =>
    post(new URL('hooks/google', hooks.url).toString(), {
      from,
      headers: {
        'x-goog-channel-id': CHANNEL,
        'x-goog-channel-token': 'wrong',
        'x-goog-resource-state': 'exists',
        'x-goog-message-number': '5',
      },
    });

  test('one client flooding gets 429 with Retry-After; another client still gets through', async () => {
    hooks = await start({ perClient: 5, overall: 1000 });
    const statuses: number[] = [];
    let last: Res | undefined;
    for (let i = 0; i < 8; i++) statuses.push((last = await forged('127.0.0.1')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(last!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await forged('127.0.0.2')).status).toBe(401);
  });

  test('all clients together are limited too', async () => {
    hooks = await start({ perClient: 100, overall: 6 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await forged('127.0.0.1')).status);
    for (let i = 0; i < 4; i++) statuses.push((await forged('127.0.0.3')).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(6);
    expect(statuses.slice(6)).toEqual([429, 429]);
  });
});

describe('push syncs are debounced per account', () => {
  beforeEach(clearQueues);
  test('a burst of notifications within one second queues one sync', async () => {
    const now = new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 100));
    for (let i = 0; i < 20; i++) await queuePushSync(app, accountId, new Date(now.getTime() + i * 40));
    expect(await pushJobs()).toBe(1);
  });
});
