// Both listeners as an attacker meets them (loopback only, a bounded number of requests): every
// route of the review page and of the webhook listener is sent proxy headers, forged credentials,
// malformed and oversized requests. Each answer is a clean 4xx (or the form's own redirect),
// nothing private is in any answer, nothing is queued and nothing changes.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { App } from '../../worker/app.ts';
import { ingestSyncPage } from '../../worker/core/ingest-events.ts';
import type { WebServer } from '../../worker/web/server.ts';
import { startWebhookServer, type WebhookServer } from '../../worker/web/webhook-server.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { addSam, createReviewApp, person } from '../helpers/review-fixture.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(90_000);
const HOUR = 3_600_000;
const TOKEN = randomBytes(32).toString('base64url');
/** Strings that only private answers contain. */
const PRIVATE = [
  'aiko@example.jp',
  'Aiko Tanaka',
  'Virtual coffee with Aiko',
  'sam@example.com',
  'Sam Rivera',
  TOKEN,
];

let db: TestDb;
let app: App;
let open: WebServer;
let guarded: WebServer;
let hooks: WebhookServer;
let ids = { chat: '', event: '', contact: '', channel: '', channelToken: '' };

type Res = { status: number; body: string };

function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; path?: string } = {},
): Promise<Res> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // A connection per request: a keep-alive socket the server closed after refusing a body is not the server's answer.
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: opts.path ?? `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // The server may answer (413, 431) and close before it has read everything we send.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE'
        ? resolve({ status: 0, body: err.code })
        : reject(err),
    );
    req.end(opts.body ?? '');
  });
}

async function jobCount(): Promise<number> {
  let n = 0;
  for (const q of Object.values(app.queues)) {
    const c = await q.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed');
    n += Object.values(c).reduce((a, b) => a + b, 0);
  }
  return n;
}

async function snapshot() {
  const [chat, event, contact] = await Promise.all([
    app.prisma.chat.findUniqueOrThrow({ where: { id: ids.chat } }),
    app.prisma.event.findUniqueOrThrow({ where: { id: ids.event } }),
    app.prisma.contact.findUniqueOrThrow({ where: { id: ids.contact } }),
  ]);
  return {
    note: chat.note,
    status: chat.status,
    override: event.override,
    zone: contact.timeZone,
    stop: contact.doNotContact,
    jobs: await jobCount(),
  };
}

function expectClean(what: unknown, res: Res, allowed: (s: number) => boolean = (s) => s >= 400 && s < 500) {
  expect([what, res.status, res.status ? '' : res.body, allowed(res.status)]).toEqual([
    what,
    res.status,
    res.status ? '' : res.body,
    true,
  ]);
  for (const p of PRIVATE) expect([what, res.body.includes(p)]).toEqual([what, false]);
}

beforeAll(async () => {
  db = await openTestDb('embedded');
  app = await createReviewApp(db, 'hostile', async () => {
    throw new Error('no providers in this test');
  });
  const channel = `chan-${randomBytes(8).toString('hex')}`;
  const channelToken = randomBytes(32).toString('base64url');
  const { account, calendar } = await addSam(app, {
    watchChannelId: channel,
    watchToken: channelToken,
    watchResourceId: 'res-1',
  });
  const start = new Date(Math.ceil((app.now().getTime() + 30 * HOUR) / HOUR) * HOUR);
  await ingestSyncPage(app, account, calendar, {
    changed: [
      {
        providerEventId: 'ev-aiko',
        calendarId: 'primary',
        status: 'confirmed',
        title: 'Virtual coffee with Aiko',
        description: '',
        start: { kind: 'timed', utc: start.toISOString(), timeZone: 'Asia/Tokyo' },
        end: {
          kind: 'timed',
          utc: new Date(start.getTime() + 30 * 60_000).toISOString(),
          timeZone: 'Asia/Tokyo',
        },
        organizer: { email: 'aiko@example.jp', name: 'Aiko Tanaka', self: false },
        attendees: [
          person('sam@example.com', 'Sam Rivera', { self: true }),
          person('aiko@example.jp', 'Aiko Tanaka', { organizer: true }),
        ],
        markers: {},
      },
    ],
    removed: [],
    cursor: 'c1',
    full: true,
    calls: 1,
  });
  const chat = await app.prisma.chat.findFirstOrThrow();
  // Ingest asked for a plan; this test counts queued jobs from here on.
  for (const q of Object.values(app.queues)) await q.obliterate({ force: true });
  ids = { chat: chat.id, event: chat.eventId!, contact: chat.contactId, channel, channelToken };
  open = await startWebServer(app, { port: 0 });
  guarded = await startWebServer({ ...app, config: { ...app.config, WEB_AUTH_TOKEN: TOKEN } }, { port: 0 });
  hooks = await startWebhookServer(app, { port: 0 });
});

afterAll(async () => {
  await open?.close();
  await guarded?.close();
  await hooks?.close();
  for (const q of Object.values(app?.queues ?? {}))
    await q.obliterate({ force: true }).catch(() => undefined);
  await app?.close();
  await db?.dispose();
});

const PROXY: Record<string, string>[] = [
  { 'x-forwarded-for': '203.0.113.7' },
  { 'X-Forwarded-Host': 'coffee.example.com' },
  { 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' },
  { forwarded: 'for=203.0.113.7' },
  { via: '1.1 cloudflared' },
];

/** Every route of the review page, with a body where it takes one. */
function routes(): [string, string, string?][] {
  const form = 'note=pwned&timeZone=Asia/Tokyo&until=2099-01-01';
  return [
    ['GET', '/'],
    ['GET', '/healthz'],
    ['GET', '/readyz'],
    ['GET', '/metrics'],
    ['GET', '/api/status'],
    ['GET', '/queues'],
    ['GET', '/queues/api/queues'],
    ['PUT', '/queues/api/queues/actions/obliterate'],
    ['PUT', '/queues/api/queues/actions/pause'],
    ['POST', `/chats/${ids.chat}/note`, form],
    ['POST', `/chats/${ids.chat}/exclude`, form],
    ['POST', `/events/${ids.event}/include`, form],
    ['POST', `/contacts/${ids.contact}/time-zone`, form],
    ['POST', `/contacts/${ids.contact}/stop`, form],
    ['POST', `/contacts/${ids.contact}/resume`, form],
    ['POST', `/contacts/${ids.contact}/snooze`, form],
  ];
}

describe('the review page under attack', () => {
  test('through a proxy or tunnel, without a token: 403 on every route, nothing changes', async () => {
    const before = await snapshot();
    const host = new URL(open.url).host;
    for (const headers of PROXY) {
      for (const [method, path, body] of routes()) {
        const res = await raw(`${open.url.slice(0, -1)}${path}`, {
          method,
          body,
          headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        });
        expectClean([method, path, headers], res, (s) => s === 403);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test('with a token: forged and wrong credentials get 401 on every route, oversized ones 431', async () => {
    const before = await snapshot();
    const host = new URL(guarded.url).host;
    const forged: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: `bearer ${TOKEN}` },
      { cookie: `coffee_chat_session=${TOKEN}` },
      { cookie: `coffee_chat_session=${Date.now()}.${'A'.repeat(43)}` },
      { cookie: `coffee_chat_session=${'9'.repeat(5000)}` },
      { 'x-forwarded-for': '127.0.0.1' },
    ];
    for (const headers of forged) {
      for (const [method, path, body] of routes()) {
        const res = await raw(`${guarded.url.slice(0, -1)}${path}`, {
          method,
          body,
          headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        });
        expectClean(`${method} ${path} ${JSON.stringify(headers).slice(0, 40)}`, res, (s) => s === 401);
      }
      // Headers past Node's 16 KB limit: 431 and the connection closed, before any route runs.
      const huge = await raw(`${guarded.url}api/status`, {
        headers: { host, authorization: `Bearer ${'x'.repeat(20_000)}` },
      });
      expectClean('oversized authorization', huge, (s) => s === 431 || s === 0);
    }
    // ?token= only on GET, and a wrong one is not a sign-in.
    expectClean(
      'post ?token=',
      await raw(`${guarded.url}chats/${ids.chat}/exclude?token=${TOKEN}`, {
        method: 'POST',
        headers: { host },
      }),
      (s) => s === 401,
    );
    expectClean(
      'wrong ?token=',
      await raw(`${guarded.url}?token=${'A'.repeat(43)}`, { headers: { host } }),
      (s) => s === 401,
    );
    expect(await snapshot()).toEqual(before);
  });

  test('malformed and oversized requests from a local page get clean 4xx or the form redirect, and change nothing', async () => {
    const before = await snapshot();
    const base = open.url.slice(0, -1);
    const host = new URL(open.url).host;
    const form = { host, 'content-type': 'application/x-www-form-urlencoded' };
    const cases: [
      string,
      { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
      (s: number) => boolean,
    ][] = [
      [
        'oversized form',
        {
          method: 'POST',
          path: `/chats/${ids.chat}/note`,
          headers: form,
          body: `note=${'a'.repeat(100_000)}`,
        },
        (s) => s === 413,
      ],
      [
        'form as JSON',
        {
          method: 'POST',
          path: `/chats/${ids.chat}/note`,
          headers: { host, 'content-type': 'application/json' },
          body: '{"note":"x"',
        },
        (s) => s === 415 || s === 400,
      ],
      [
        'odd content type',
        {
          method: 'POST',
          path: `/contacts/${ids.contact}/stop`,
          headers: { host, 'content-type': 'text/xml' },
          body: '<x/>',
        },
        (s) => s === 415,
      ],
      [
        'no CSRF token',
        { method: 'POST', path: `/chats/${ids.chat}/note`, headers: form, body: 'note=forged' },
        (s) => s === 303,
      ],
      [
        'wrong CSRF token',
        {
          method: 'POST',
          path: `/contacts/${ids.contact}/stop`,
          headers: form,
          body: `_csrf=${'A'.repeat(43)}`,
        },
        (s) => s === 303,
      ],
      [
        'duplicated CSRF field',
        { method: 'POST', path: `/contacts/${ids.contact}/stop`, headers: form, body: '_csrf=a&_csrf=b' },
        (s) => s === 303,
      ],
      [
        'very long id',
        { method: 'POST', path: `/chats/${'x'.repeat(3000)}/note`, headers: form, body: 'note=x' },
        (s) => s === 303 || s === 404 || s === 414,
      ],
      [
        'cross-site form',
        {
          method: 'POST',
          path: `/contacts/${ids.contact}/stop`,
          headers: { ...form, origin: 'https://evil.example' },
          body: '',
        },
        (s) => s === 403,
      ],
      [
        'cross-site fetch metadata',
        {
          method: 'POST',
          path: `/contacts/${ids.contact}/stop`,
          headers: { ...form, 'sec-fetch-site': 'cross-site' },
          body: '',
        },
        (s) => s === 403,
      ],
      [
        'null origin',
        {
          method: 'POST',
          path: `/contacts/${ids.contact}/stop`,
          headers: { ...form, origin: 'null' },
          body: '',
        },
        (s) => s === 403,
      ],
      ['bad percent-encoding', { path: '/chats/%E0%A4%A/note' }, (s) => s >= 400 && s < 500],
      ['bad query encoding', { path: '/?flash=%ZZ' }, (s) => s === 200 || s === 400],
      ['unknown method', { method: 'DELETE', path: '/' }, (s) => s === 404 || s === 405],
      [
        'path traversal',
        { path: '/queues/static/../../../../etc/passwd' },
        (s) => s === 404 || s === 400 || s === 403,
      ],
      [
        'DNS rebinding host',
        { path: '/api/status', headers: { host: 'attacker.example' } },
        (s) => s === 403,
      ],
      [
        'oversized header',
        { path: '/', headers: { host, 'x-pad': 'p'.repeat(20_000) } },
        (s) => s === 431 || s === 0,
      ],
      [
        'bull-board bogus queue',
        { method: 'PUT', path: '/queues/api/queues/nope/obliterate', headers: { host } },
        (s) => s === 403,
      ],
      [
        'bull-board job data edit',
        {
          method: 'PATCH',
          path: '/queues/api/queues/actions/x/update-data',
          headers: { host, 'content-type': 'application/json' },
          body: '{"data":{}}',
        },
        (s) => s === 403,
      ],
    ];
    for (const [what, c, ok] of cases) {
      const res = await raw(`${base}${c.path}`, {
        method: c.method,
        headers: c.headers ?? { host },
        body: c.body,
        path: c.path,
      });
      expect([what, res.status, ok(res.status)]).toEqual([what, res.status, true]);
      expect([what, res.body.includes(TOKEN)]).toEqual([what, false]);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('the webhook listener under attack', () => {
  test('forged, malformed, oversized and proxied notifications: clean 4xx, nothing queued, nothing else served', async () => {
    const before = await snapshot();
    const base = hooks.url.slice(0, -1);
    const g = (headers: Record<string, string>) => ({
      method: 'POST',
      path: '/hooks/google',
      headers: { 'x-goog-resource-state': 'exists', 'x-goog-message-number': '7', ...headers },
    });
    const m = (body: string, headers: Record<string, string> = {}) => ({
      method: 'POST',
      path: '/hooks/microsoft',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const many = JSON.stringify({
      value: Array.from({ length: 2000 }, (_, i) => ({ subscriptionId: `forged-${i}`, clientState: 'x' })),
    });
    const cases: [
      string,
      { method?: string; path: string; headers?: Record<string, string>; body?: string },
      (s: number) => boolean,
    ][] = [
      ['google: no headers', { method: 'POST', path: '/hooks/google' }, (s) => s === 400],
      [
        'google: unknown channel',
        g({ 'x-goog-channel-id': 'nope', 'x-goog-channel-token': ids.channelToken }),
        (s) => s === 404,
      ],
      [
        'google: wrong token',
        g({ 'x-goog-channel-id': ids.channel, 'x-goog-channel-token': 'wrong' }),
        (s) => s === 401,
      ],
      ['google: no token', g({ 'x-goog-channel-id': ids.channel }), (s) => s === 401],
      [
        'google: huge token',
        g({ 'x-goog-channel-id': ids.channel, 'x-goog-channel-token': 't'.repeat(8000) }),
        (s) => s === 401,
      ],
      [
        'google: proxied forgery',
        g({
          'x-goog-channel-id': ids.channel,
          'x-goog-channel-token': 'wrong',
          'x-forwarded-for': '203.0.113.7',
          via: '1.1 x',
        }),
        (s) => s === 401,
      ],
      ['microsoft: broken JSON', m('{"value":['), (s) => s === 400],
      ['microsoft: not a list', m('{"value":{"subscriptionId":"x"}}'), (s) => s === 400],
      ['microsoft: JSON null', m('null'), (s) => s === 400],
      [
        'microsoft: wrong clientState',
        m(JSON.stringify({ value: [{ subscriptionId: ids.channel, clientState: 'wrong' }] })),
        (s) => s === 401,
      ],
      ['microsoft: 2000 forged items (over the cap)', m(many), (s) => s === 413],
      [
        'microsoft: items of the wrong type',
        m(JSON.stringify({ value: [null, 1, 'x', [], { subscriptionId: 5 }] })),
        (s) => s === 404,
      ],
      [
        'microsoft: oversized body',
        m(`{"value":[],"pad":"${'p'.repeat(300_000)}"}`),
        (s) => s === 413 || s === 0,
      ],
      [
        'microsoft: huge validation token',
        { method: 'POST', path: `/hooks/microsoft?validationToken=${'v'.repeat(2000)}` },
        (s) => s === 400,
      ],
      ['GET a hook', { path: '/hooks/google' }, (s) => s === 404],
      ['the review page is not here', { path: '/api/status' }, (s) => s === 404],
      [
        'nor its forms',
        {
          method: 'POST',
          path: `/chats/${ids.chat}/exclude`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'x=1',
        },
        (s) => s === 404,
      ],
      [
        'nor the queue board',
        { method: 'PUT', path: '/queues/api/queues/actions/obliterate' },
        (s) => s === 404,
      ],
      ['bad percent-encoding', { method: 'POST', path: '/hooks/%E0%A4%A' }, (s) => s >= 400 && s < 500],
    ];
    for (const [what, c, ok] of cases) {
      const res = await raw(`${base}${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.body,
        path: c.path,
      });
      expectClean(what, res, ok);
      expect([what, res.body.includes(ids.channelToken)]).toEqual([what, false]);
    }
    expect(await snapshot()).toEqual(before);
  });
});
