// The review page over a real App: the embedded database, real Redis (from global setup), the
// real user actions and queues. Rows come in through the same ingest the sync job uses.
import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { ingestSyncPage } from '../../worker/core/ingest-events.ts';
import { formatBothZones } from '../../worker/pipeline/time-zones.ts';
import { escapeHtml } from '../../worker/web/html.ts';
import type { WebServer } from '../../worker/web/server.ts';
import type { NeutralAttendee, NeutralEvent } from '../../integrations/provider.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only. Node
// 20.19+ loads that natively; jest's module runtime cannot. It is only used by reply.download().
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

const HOUR = 3_600_000;
const USER_ZONE = 'America/Los_Angeles';
const EVIL_NAME = 'Mallory <script>alert(1)</script>';

let db: TestDb;
let app: App;
let server: WebServer;
const ids = {
  upcomingChat: '',
  pastChat: '',
  ignoredEvent: '',
  aikoContact: '',
  malloryContact: '',
  upcomingEvent: '',
};
let upcomingStart: Date;

function person(email: string, name: string, extra: Partial<NeutralAttendee> = {}): NeutralAttendee {
  return { email, name, self: false, organizer: false, resource: false, response: 'accepted', ...extra };
}

function event(
  id: string,
  title: string,
  start: Date,
  minutes: number,
  zone: string,
  attendees: NeutralAttendee[],
  organizer?: NeutralAttendee,
): NeutralEvent {
  const end = new Date(start.getTime() + minutes * 60_000);
  return {
    providerEventId: id,
    calendarId: 'primary',
    status: 'confirmed',
    title,
    description: '',
    start: { kind: 'timed', utc: start.toISOString(), timeZone: zone },
    end: { kind: 'timed', utc: end.toISOString(), timeZone: zone },
    organizer: organizer ? { email: organizer.email, name: organizer.name, self: organizer.self } : undefined,
    attendees,
    markers: {},
  };
}

/** A user in Los Angeles with a Google account, a Tokyo contact tomorrow, a past chat and a stand-up. */
async function seedReviewData(a: App): Promise<typeof ids> {
  const user = await a.prisma.user.create({ data: { name: 'Sam Rivera', timeZone: USER_ZONE } });
  const account = await a.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email: 'sam@example.com',
      refreshTokenEnc: 'not-a-real-ciphertext',
      tokenKeyId: 'k1',
      scopes: [],
      timeZone: USER_ZONE,
      lastSyncAt: new Date(a.now().getTime() - 5 * 60_000),
    },
    include: { user: true },
  });
  const calendar = await a.prisma.calendar.create({
    data: {
      accountId: account.id,
      providerCalendarId: 'primary',
      name: 'Sam Rivera',
      primary: true,
      selected: true,
      timeZone: USER_ZONE,
    },
  });
  const me = person('sam@example.com', 'Sam Rivera', { self: true });
  const now = a.now().getTime();
  upcomingStart = new Date(Math.ceil((now + 26 * HOUR) / HOUR) * HOUR);
  const aiko = person('aiko@example.jp', 'Aiko Tanaka', { organizer: true });
  const mallory = person('mallory@example.com', EVIL_NAME);
  const past = new Date(Math.floor((now - 3 * HOUR) / HOUR) * HOUR);
  await ingestSyncPage(a, account, calendar, {
    changed: [
      event('ev-aiko', 'Virtual coffee with Aiko', upcomingStart, 30, 'Asia/Tokyo', [me, aiko], aiko),
      event('ev-mallory', 'Coffee chat: career advice', past, 30, USER_ZONE, [me, mallory], me),
      event(
        'ev-standup',
        'Team stand-up',
        new Date(now + 4 * HOUR),
        15,
        USER_ZONE,
        [me, person('a@example.com', 'A'), person('b@example.com', 'B')],
        me,
      ),
    ],
    removed: [],
    cursor: 'c1',
    full: true,
    calls: 1,
  });
  const chats = await a.prisma.chat.findMany({ include: { contact: true, event: true } });
  const upcoming = chats.find((c) => c.providerEventId === 'ev-aiko')!;
  const pastChat = chats.find((c) => c.providerEventId === 'ev-mallory')!;
  const ignored = await a.prisma.event.findFirstOrThrow({ where: { providerEventId: 'ev-standup' } });
  await a.prisma.checkInPlan.create({
    data: {
      contactId: pastChat.contactId,
      anchorAt: pastChat.endUtc,
      nextAt: new Date(now + 40 * 24 * HOUR),
    },
  });
  await a.prisma.draft.create({
    data: {
      userId: user.id,
      accountId: account.id,
      kind: 'thank_you',
      chatId: pastChat.id,
      contactId: pastChat.contactId,
      idempotencyKey: `thank_you:${pastChat.id}`,
      status: 'created',
      subject: 'Thank you for the chat today',
      webLink: 'https://mail.google.com/mail/u/0/#drafts?compose=abc',
      dueAt: new Date(now - HOUR),
    },
  });
  return {
    upcomingChat: upcoming.id,
    pastChat: pastChat.id,
    ignoredEvent: ignored.id,
    aikoContact: upcoming.contactId,
    malloryContact: pastChat.contactId,
    upcomingEvent: upcoming.eventId!,
  };
}

async function csrfFrom(base: string, headers: Record<string, string> = {}): Promise<string> {
  const page = await (await fetch(base, { headers })).text();
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}

function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The page a form's redirect leads to (the feedback is kept on the server; the address holds an id). */
async function landing(res: Response, base = server.url): Promise<string> {
  const location = res.headers.get('location') ?? '';
  expect(location).toMatch(/^\/\?flash=[A-Za-z0-9_-]{22}#/);
  return (await fetch(new URL(location, base))).text();
}

/** fetch() may not set Host; a DNS-rebinding page would. */
async function getWithHost(url: string, host: string): Promise<number> {
  return (await rawRequest(url, { headers: { host } })).status;
}

/** Any method and headers, Host included (fetch() forbids setting some of them). */
function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

/** What a reverse proxy or tunnel in front adds; nginx's default proxy_pass keeps Host: 127.0.0.1. */
const PROXY_HEADERS: Record<string, string>[] = [
  { 'x-forwarded-for': '203.0.113.7' },
  { 'x-forwarded-host': 'coffee.example.com' },
  { 'x-forwarded-proto': 'https' },
  { forwarded: 'for=203.0.113.7;proto=https' },
  { via: '1.1 tunnel' },
];

async function planJobsFor(chatId: string) {
  const jobs = await app.queues.plan.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed']);
  return jobs.filter((j) => j?.name === 'plan-chat' && (j.data as { chatId?: string }).chatId === chatId);
}

beforeAll(async () => {
  db = await openTestDb('embedded');
  const config = parseConfig({ REDIS_URL: process.env.REDIS_URL, DATA_DIR: db.dataDir, LOG_LEVEL: 'silent' });
  app = await createApp({
    config,
    db,
    log: pino({ level: 'silent' }),
    providers: async () => {
      throw new Error('no providers in this test');
    },
  });
  Object.assign(ids, await seedReviewData(app));
  server = await startWebServer(app, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  // Our jobs only (other test files share this Redis).
  for (const chatId of [ids.upcomingChat, ids.pastChat])
    for (const j of await planJobsFor(chatId).catch(() => [])) await j.remove().catch(() => undefined);
  await app?.close();
  await db?.dispose();
});

describe('the review page', () => {
  test('binds loopback and shows the upcoming chat in both zones, with its reasons', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toContain('Virtual coffee with Aiko');
    const [mine, theirs] = formatBothZones(upcomingStart, USER_ZONE, 'Asia/Tokyo').split(' / ');
    expect(mine).toMatch(/your time \(P[SD]T\)$/);
    expect(theirs).toMatch(/Tokyo time \(JST\)$/);
    expect(page).toContain(escapeHtml(mine!));
    expect(page).toContain(escapeHtml(theirs!));
    const chat = await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.upcomingChat } });
    for (const r of chat.detectionReasons) expect(page).toContain(escapeHtml(r));
  });

  test("shows each ignored event's reason with an include button", async () => {
    const page = await (await fetch(server.url)).text();
    const ev = await app.prisma.event.findUniqueOrThrow({ where: { id: ids.ignoredEvent } });
    expect(ev.reasons.length).toBeGreaterThan(0);
    expect(page).toContain('Team stand-up');
    for (const r of ev.reasons) expect(page).toContain(escapeHtml(r));
    expect(page).toContain(`action="/events/${ids.ignoredEvent}/include"`);
  });

  test('an account that needs reconnecting is told how without putting the token on a command line', async () => {
    await app.prisma.account.updateMany({ data: { status: 'needs_reconnect' } });
    try {
      const page = await (await fetch(server.url)).text();
      expect(page).toContain(
        'coffee-chat accounts add --provider google --email sam@example.com --refresh-token - &lt; token.txt',
      );
      expect(page).not.toContain('--refresh-token &lt;token&gt;');
    } finally {
      await app.prisma.account.updateMany({ data: { status: 'active' } });
    }
  });

  test('escapes outside values: a contact named <script> is shown as text', async () => {
    const page = await (await fetch(server.url)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('Mallory &lt;script&gt;alert(1)&lt;/script&gt;');
    // …on the people board too, where she is among those met.
    const board = page.slice(
      page.indexOf('<section id="people">'),
      page.indexOf('</section>', page.indexOf('<section id="people">')),
    );
    expect(board).toMatch(/data-stage="met"[\s\S]*Mallory &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  test('lists the draft waiting in the mailbox with its link, and the check-in per contact', async () => {
    const page = await (await fetch(server.url)).text();
    expect(page).toContain('Thank you for the chat today');
    expect(page).toContain('href="https://mail.google.com/mail/u/0/#drafts?compose=abc"');
    expect(page).toMatch(/next check-in in \d+ (days?|months?)/);
  });

  test('saving a thank-you note updates the chat and enqueues a plan-chat job', async () => {
    const csrf = await csrfFrom(server.url);
    const res = await post(`${server.url}chats/${ids.pastChat}/note`, {
      _csrf: csrf,
      note: 'Talk to the platform team before applying.',
    });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/\\?flash=[A-Za-z0-9_-]+#chat-${ids.pastChat}$`));
    const chat = await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.pastChat } });
    expect(chat.note).toBe('Talk to the platform team before applying.');
    expect((await planJobsFor(ids.pastChat)).length).toBeGreaterThan(0);
    const after = await (await fetch(new URL(location, server.url))).text();
    expect(after).toContain('the thank-you will cite it');
    expect(after).toContain('Talk to the platform team before applying.');
    // Shown once: a reload (or someone else's request for the same id) gets the plain page.
    expect(await (await fetch(new URL(location, server.url))).text()).not.toContain(
      'the thank-you will cite it',
    );
  });

  test('an empty note is one clear error line and changes nothing', async () => {
    const csrf = await csrfFrom(server.url);
    const res = await post(`${server.url}chats/${ids.pastChat}/note`, { _csrf: csrf, note: '   ' });
    expect(res.status).toBe(303);
    const page = await landing(res);
    expect(page).toContain('the note is empty');
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.pastChat } })).note).toBe(
      'Talk to the platform team before applying.',
    );
  });

  test('the page shows no feedback text from its address: not ?ok=, ?error=, nor a value put into a form', async () => {
    const lure = 'Your account was suspended: call +1 555 0100';
    const q = new URLSearchParams({
      ok: lure,
      error: lure,
      form: `note-${ids.pastChat}`,
      value: 'planted words',
      flash: 'made-up-id',
    });
    const page = await (await fetch(`${server.url}?${q.toString()}`)).text();
    expect(page).not.toContain('suspended');
    expect(page).not.toContain('planted words');
    expect(page).not.toMatch(/class="flash/);
  });

  test('a form without the CSRF token, or from another origin, changes nothing', async () => {
    const noToken = await post(`${server.url}chats/${ids.pastChat}/note`, { note: 'forged' });
    expect(noToken.status).toBe(303);
    expect(await landing(noToken)).toContain('nothing was changed');
    const csrf = await csrfFrom(server.url);
    const crossSite = await post(
      `${server.url}chats/${ids.pastChat}/note`,
      { _csrf: csrf, note: 'forged' },
      { origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.pastChat } })).note).toBe(
      'Talk to the platform team before applying.',
    );
  });

  test('an invalid time zone keeps what was typed and names the problem; a valid one is stored', async () => {
    const csrf = await csrfFrom(server.url);
    const bad = await post(`${server.url}contacts/${ids.malloryContact}/time-zone`, {
      _csrf: csrf,
      timeZone: 'Mars/Olympus',
    });
    expect(bad.status).toBe(303);
    const page = await landing(bad);
    expect(page).toContain('is not a time zone name');
    expect(page).toContain('value="Mars/Olympus"');
    const good = await post(`${server.url}contacts/${ids.malloryContact}/time-zone`, {
      _csrf: csrf,
      timeZone: 'Europe/London',
    });
    expect(good.status).toBe(303);
    const contact = await app.prisma.contact.findUniqueOrThrow({ where: { id: ids.malloryContact } });
    expect(contact).toMatchObject({ timeZone: 'Europe/London', timeZoneSource: 'user' });
  });

  test('snooze, stop and resume a contact', async () => {
    const csrf = await csrfFrom(server.url);
    const past = await post(`${server.url}contacts/${ids.malloryContact}/snooze`, {
      _csrf: csrf,
      until: '2001-01-01',
    });
    expect(await landing(past)).toContain('in the future');
    const until = new Date(app.now().getTime() + 60 * 24 * HOUR).toISOString().slice(0, 10);
    await post(`${server.url}contacts/${ids.malloryContact}/snooze`, { _csrf: csrf, until });
    const plan = await app.prisma.checkInPlan.findUniqueOrThrow({ where: { contactId: ids.malloryContact } });
    expect(plan.snoozedUntil?.getTime()).toBeGreaterThan(app.now().getTime());

    await post(`${server.url}contacts/${ids.malloryContact}/stop`, { _csrf: csrf });
    expect(
      (await app.prisma.contact.findUniqueOrThrow({ where: { id: ids.malloryContact } })).doNotContact,
    ).toBe(true);
    expect(await (await fetch(server.url)).text()).toContain('do not contact');
    await post(`${server.url}contacts/${ids.malloryContact}/resume`, { _csrf: csrf });
    expect(
      (await app.prisma.contact.findUniqueOrThrow({ where: { id: ids.malloryContact } })).doNotContact,
    ).toBe(false);
  });

  test('excluding a chat stores the override on its event; including an ignored event stores it too', async () => {
    const csrf = await csrfFrom(server.url);
    const res = await post(`${server.url}chats/${ids.upcomingChat}/exclude`, { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(await landing(res)).toContain('is excluded');
    expect((await app.prisma.event.findUniqueOrThrow({ where: { id: ids.upcomingEvent } })).override).toBe(
      'exclude',
    );
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.upcomingChat } })).status).toBe(
      'cancelled',
    );

    const inc = await post(`${server.url}events/${ids.ignoredEvent}/include`, { _csrf: csrf });
    expect(inc.status).toBe(303);
    expect((await app.prisma.event.findUniqueOrThrow({ where: { id: ids.ignoredEvent } })).override).toBe(
      'include',
    );

    // Undo: the excluded chat is in the ignored list with an include button.
    const page = await (await fetch(server.url)).text();
    expect(page).toContain(`action="/events/${ids.upcomingEvent}/include"`);
    await post(`${server.url}events/${ids.upcomingEvent}/include`, { _csrf: csrf });
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.upcomingChat } })).status).toBe(
      'upcoming',
    );
  });

  test('/queues shows bull-board with every queue; /healthz, /readyz and /api/status answer JSON, /metrics Prometheus text', async () => {
    const board = await fetch(`${server.url}queues`);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<div id="root">');
    const api = (await (await fetch(`${server.url}queues/api/queues`)).json()) as {
      queues: { name: string }[];
    };
    expect(api.queues.map((q) => q.name).sort()).toEqual(['actions', 'plan', 'sync']);
    const health = await fetch(`${server.url}healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${server.url}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', db: 'ok', redis: 'ok', migrations: 'ok' });
    const metrics = await fetch(`${server.url}metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^coffee_chat_accounts\{provider="google",status="active"\} 1$/m);
    const status = (await (await fetch(`${server.url}api/status`)).json()) as { chats: { id: string }[] };
    expect(status.chats.map((c) => c.id)).toContain(ids.upcomingChat);
  });

  test('answers only to loopback names without a token, and will not bind elsewhere without one', async () => {
    expect(await getWithHost(server.url, 'attacker.example')).toBe(403);
    expect(await getWithHost(server.url, `localhost:${new URL(server.url).port}`)).toBe(200);
    await expect(startWebServer(app, { port: 0, host: '0.0.0.0' })).rejects.toThrow(/WEB_AUTH_TOKEN/);
  });

  test('a request that came through a proxy or tunnel is remote: without a token nothing private answers', async () => {
    const host = new URL(server.url).host; // what nginx's default proxy_pass sends
    for (const headers of PROXY_HEADERS) {
      for (const path of ['', 'api/status', 'healthz', 'readyz', 'metrics', 'queues', 'queues/api/queues']) {
        const res = await rawRequest(`${server.url}${path}`, { headers: { host, ...headers } });
        expect([path, headers, res.status]).toEqual([path, headers, 403]);
        expect(res.body).not.toContain('Aiko');
        expect(res.body).not.toContain('sam@example.com');
      }
      const csrf = await csrfFrom(server.url);
      const forged = await rawRequest(`${server.url}chats/${ids.pastChat}/note`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ _csrf: csrf, note: 'through the tunnel' }).toString(),
      });
      expect(forged.status).toBe(403);
    }
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.pastChat } })).note).not.toBe(
      'through the tunnel',
    );
  });

  test('the provider webhooks are not served here (they have their own listener)', async () => {
    const host = new URL(server.url).host;
    for (const path of ['hooks/google', 'hooks/microsoft?validationToken=abc']) {
      const res = await rawRequest(`${server.url}${path}`, {
        method: 'POST',
        headers: { host, 'x-goog-channel-id': 'x', 'x-goog-resource-state': 'sync' },
      });
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body).not.toContain('abc');
    }
  });

  test('refuses to start without WEB_AUTH_TOKEN when PUBLIC_WEBHOOK_URL is set, in one line', async () => {
    const err = await startWebServer(
      { ...app, config: { ...app.config, PUBLIC_WEBHOOK_URL: 'https://cc.example.com' } },
      { port: 0 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^refusing to serve the review page without WEB_AUTH_TOKEN while PUBLIC_WEBHOOK_URL is set/,
    );
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('the review page with WEB_AUTH_TOKEN', () => {
  let guarded: WebServer;
  const token = 'correct-horse-battery-staple-and-more-words';
  beforeAll(async () => {
    guarded = await startWebServer({ ...app, config: { ...app.config, WEB_AUTH_TOKEN: token } }, { port: 0 });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  test('every route needs the token', async () => {
    for (const path of ['', 'queues', 'healthz', 'readyz', 'metrics', 'api/status']) {
      const res = await fetch(`${guarded.url}${path}`, { redirect: 'manual' });
      expect([path, res.status]).toEqual([path, 401]);
    }
    expect(await (await fetch(guarded.url)).text()).toContain('Token required');
    expect((await fetch(`${guarded.url}?token=wrong`, { redirect: 'manual' })).status).toBe(401);
    const csrf = /name="_csrf"/.test(await (await fetch(guarded.url)).text());
    expect(csrf).toBe(false);
    const forged = await post(`${guarded.url}chats/${ids.pastChat}/note`, { note: 'forged' });
    expect(forged.status).toBe(401);
  });

  test('?token= once sets an HttpOnly SameSite=Strict cookie and leaves the address bar', async () => {
    const res = await fetch(`${guarded.url}?token=${token}&x=1`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/?x=1');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Max-Age=43200/);
    expect(cookie).not.toMatch(/Secure/); // plain http on loopback: a Secure cookie would never come back
    expect(cookie).not.toContain(token);
    const page = await fetch(guarded.url, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Virtual coffee with Aiko');
    const board = await fetch(`${guarded.url}queues`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(board.status).toBe(200);
  });

  test('off loopback, or through a proxy, the session cookie is Secure', async () => {
    for (const headers of [
      { host: 'coffee.example.com' },
      { host: new URL(guarded.url).host, 'x-forwarded-proto': 'https' },
      { host: new URL(guarded.url).host, forwarded: 'proto=https' },
    ]) {
      const res = await new Promise<string>((resolve, reject) => {
        request(`${guarded.url}?token=${token}`, { headers }, (r) => {
          r.resume();
          resolve(String(r.headers['set-cookie'] ?? ''));
        })
          .on('error', reject)
          .end();
      });
      expect([headers, /; Secure/.test(res)]).toEqual([headers, true]);
    }
  });

  test('a session ends after WEB_SESSION_TTL; a forged or pre-expiry-format cookie never works', async () => {
    const res = await fetch(`${guarded.url}?token=${token}`, { redirect: 'manual' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${guarded.url}api/status`, { headers: { cookie } })).status).toBe(200);
    // The same token, the clock 13 hours on (the default WEB_SESSION_TTL is 12 hours).
    const later = await startWebServer(
      {
        ...app,
        now: () => new Date(app.now().getTime() + 13 * HOUR),
        config: { ...app.config, WEB_AUTH_TOKEN: token },
      },
      { port: 0 },
    );
    try {
      expect((await fetch(`${later.url}api/status`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await later.close();
    }
    const [name, value] = cookie.split('=') as [string, string];
    const [issued, mac] = value.split('.') as [string, string];
    const far = String(Number(issued) + 11 * HOUR);
    for (const forged of [
      `${far}.${mac}`,
      `${issued}.${'A'.repeat(43)}`,
      createHmac('sha256', token).update('coffee-chat web session').digest('base64url'),
      token,
    ]) {
      expect(
        (await fetch(`${guarded.url}api/status`, { headers: { cookie: `${name}=${forged}` } })).status,
      ).toBe(401);
    }
  });

  test('Authorization: Bearer works for scripts', async () => {
    const res = await fetch(`${guarded.url}api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accounts: unknown[] }).accounts).toHaveLength(1);
  });
});

describe('the review page in a browser', () => {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const maybe = existsSync(chromium) ? test : test.skip;
  maybe('renders cleanly (screenshot saved under test-artifacts/)', async () => {
    const { chromium: launcher } = await import('playwright-core');
    const browser = await launcher.launch({
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(server.url);
      await page.getByRole('heading', { name: 'Upcoming chats' }).waitFor();
      // Add a note through the form, the way a person would.
      const row = page.locator(`#chat-${ids.pastChat}`);
      await row.locator('textarea[name=note]').fill('Ask about the mentoring program in the spring.');
      await row.getByRole('button', { name: /note/i }).click();
      await page.locator('.flash.ok').waitFor();
      expect(await page.locator('.flash.ok').textContent()).toContain('the thank-you will cite it');
      const dir = join(process.cwd(), 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      await page.goto(server.url);
      await page.screenshot({ path: join(dir, 'web-review-page.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: ids.pastChat } })).note).toBe(
        'Ask about the mentoring program in the spring.',
      );
    } finally {
      await browser.close();
    }
  });
});
