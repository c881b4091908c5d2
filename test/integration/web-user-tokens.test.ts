// Several people on one installation: each user's review-page token shows and changes that user's
// data only; WEB_AUTH_TOKEN still sees everything (a single-user setup keeps working as it was);
// and a contact address several users share needs --user.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { stopContact } from '../../worker/core/user-actions.ts';
import { issueUserToken, revokeUserTokens } from '../../worker/core/web-tokens.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { buildWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(90_000);
const HOUR = 3_600_000;
const ADMIN = randomBytes(32).toString('base64url');

let db: TestDb;
const apps: App[] = [];
const servers: FastifyInstance[] = [];

async function makeApp(env: Record<string, string>): Promise<App> {
  const config = parseConfig({
    REDIS_URL: process.env.REDIS_URL,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `users-${randomBytes(4).toString('hex')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const app = await createApp({
    config,
    db,
    log: pino({ level: 'silent' }),
    providers: async () => {
      throw new Error('no providers in this test');
    },
  });
  apps.push(app);
  return app;
}

type Res = { statusCode: number; body: string; headers: Headers };

/** Listens on a free loopback port; requests go over real HTTP (fetch, redirects not followed). */
async function serve(web: FastifyInstance) {
  await web.listen({ port: 0, host: '127.0.0.1' });
  const { port } = web.server.address() as { port: number };
  return async (
    url: string,
    opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Res> => {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, { redirect: 'manual', ...opts });
    return { statusCode: res.status, body: await res.text(), headers: res.headers };
  };
}

/** A user with one account, and one upcoming chat with `contact`. */
async function addPerson(app: App, name: string, email: string, contact: string, title: string) {
  const user = await app.prisma.user.create({ data: { name, timeZone: 'UTC' } });
  const account = await app.prisma.account.create({
    data: { userId: user.id, provider: 'google', email, refreshTokenEnc: 'x', tokenKeyId: 'k1', scopes: [] },
  });
  const c = await app.prisma.contact.create({ data: { userId: user.id, email: contact } });
  const start = new Date(Math.ceil((app.now().getTime() + 30 * HOUR) / HOUR) * HOUR);
  const chat = await app.prisma.chat.create({
    data: {
      userId: user.id,
      accountId: account.id,
      providerEventId: `ev-${randomBytes(4).toString('hex')}`,
      contactId: c.id,
      title,
      startUtc: start,
      endUtc: new Date(start.getTime() + 30 * 60_000),
      timeZone: 'UTC',
    },
  });
  return { user, account, contact: c, chat };
}

beforeAll(async () => {
  db = await openTestDb('embedded');
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const a of apps) await a.close();
  await db?.close();
});

describe('per-user review-page tokens beside WEB_AUTH_TOKEN', () => {
  let app: App;
  let web: FastifyInstance;
  let sam: Awaited<ReturnType<typeof addPerson>>;
  let kim: Awaited<ReturnType<typeof addPerson>>;
  let samToken: string;
  let http: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    app = await makeApp({ WEB_AUTH_TOKEN: ADMIN });
    web = await buildWebServer(app);
    servers.push(web);
    http = await serve(web);
    sam = await addPerson(
      app,
      'Sam Rivera',
      'sam@example.com',
      'aiko@example.jp',
      'Virtual coffee with Aiko',
    );
    kim = await addPerson(app, 'Kim Park', 'kim@example.org', 'luis@example.mx', 'Coffee with Luis');
    samToken = (await issueUserToken(app, 'sam@example.com')).token;
    await issueUserToken(app, kim.user.id);
    // Kim's check-in material and the times Kim offered Luis: Kim's alone.
    await app.prisma.contactMaterial.create({
      data: { contactId: kim.contact.id, kind: 'article', url: 'https://kim-only.example/article' },
    });
    const slot = new Date(Math.ceil((app.now().getTime() + 50 * HOUR) / HOUR) * HOUR);
    await app.prisma.draft.create({
      data: {
        idempotencyKey: `propose-${kim.contact.id}`,
        kind: 'propose_times',
        userId: kim.user.id,
        accountId: kim.account.id,
        contactId: kim.contact.id,
        dueAt: app.now(),
        context: {
          slots: [{ start: slot.toISOString(), end: new Date(slot.getTime() + 30 * 60_000).toISOString() }],
          minutes: 30,
          userZone: 'UTC',
          contactZone: null,
        },
      },
    });
  });

  const get = (url: string, headers: Record<string, string> = {}) => http(url, { headers });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it("a user's token shows that user's chats, contacts and accounts, and nobody else's", async () => {
    const status = await get('/api/status', bearer(samToken));
    expect(status.statusCode).toBe(200);
    expect(status.body).toContain('Virtual coffee with Aiko');
    expect(status.body).toContain('sam@example.com');
    for (const theirs of ['Coffee with Luis', 'luis@example.mx', 'kim@example.org'])
      expect(status.body).not.toContain(theirs);

    const page = await get('/', bearer(samToken));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aiko@example.jp');
    for (const theirs of [
      'Coffee with Luis',
      'luis@example.mx',
      'kim@example.org',
      'Kim Park',
      'kim-only.example',
    ])
      expect(page.body).not.toContain(theirs);
    // Kim's own page has both, so their absence above is the filter, not an empty section.
    const kims = await get('/', bearer((await issueUserToken(app, kim.user.id)).token));
    expect(kims.body).toContain('kim-only.example');
    expect(kims.body).toContain('luis@example.mx');
  });

  it('a path that looks like a host ("//", "//evil.example/x") is answered, never a crash', async () => {
    for (const path of ['//', '//evil.example/api/status', '//api/status']) {
      expect([path, (await get(path)).statusCode]).toEqual([path, 401]);
      const res = await get(path, bearer(samToken));
      expect([path, res.statusCode < 500]).toEqual([path, true]);
      expect(res.body).not.toContain('Coffee with Luis');
    }
  });

  it('WEB_AUTH_TOKEN still sees every user', async () => {
    const status = await get('/api/status', bearer(ADMIN));
    expect(status.statusCode).toBe(200);
    expect(status.body).toContain('Virtual coffee with Aiko');
    expect(status.body).toContain('Coffee with Luis');
  });

  it("a user's session cannot change another user's chat or contact, and cannot open the queues or metrics", async () => {
    const signIn = await get(`/?token=${encodeURIComponent(samToken)}`);
    expect(signIn.statusCode).toBe(303);
    const cookie = String(signIn.headers.get('set-cookie')).split(';')[0]!;
    expect(cookie).not.toContain(samToken);
    const page = await get('/', { cookie });
    expect(page.body).toContain('Virtual coffee with Aiko');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const post = (url: string, form: Record<string, string>) =>
      http(url, {
        method: 'POST',
        headers: {
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'same-origin',
        },
        body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      });

    await post(`/chats/${kim.chat.id}/note`, { note: 'written by Sam' });
    await post(`/contacts/${kim.contact.id}/stop`, {});
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: kim.chat.id } })).note).toBeNull();
    expect((await app.prisma.contact.findUniqueOrThrow({ where: { id: kim.contact.id } })).doNotContact).toBe(
      false,
    );

    // Their own, yes.
    await post(`/chats/${sam.chat.id}/note`, { note: 'Keep a brag doc' });
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: sam.chat.id } })).note).toBe(
      'Keep a brag doc',
    );

    for (const path of ['/queues', '/queues/api/queues', '/metrics']) {
      expect([path, (await get(path, { cookie })).statusCode]).toEqual([path, 403]);
      expect([path, (await get(path, bearer(samToken))).statusCode]).toEqual([path, 403]);
    }
  });

  it("a new token replaces the user's old one: the old token and its sessions stop working", async () => {
    const signIn = await get(`/?token=${encodeURIComponent(samToken)}`);
    const cookie = String(signIn.headers.get('set-cookie')).split(';')[0]!;
    expect((await get('/api/status', { cookie })).statusCode).toBe(200);
    const fresh = (await issueUserToken(app, sam.user.id)).token;
    expect((await get('/api/status', bearer(samToken))).statusCode).toBe(401);
    expect((await get('/api/status', { cookie })).statusCode).toBe(401);
    expect((await get('/api/status', bearer(fresh))).statusCode).toBe(200);
    expect(await app.prisma.webToken.count({ where: { tokenHash: { contains: fresh } } })).toBe(0);
    await revokeUserTokens(app, sam.user.id);
    expect((await get('/api/status', bearer(fresh))).statusCode).toBe(401);
  });

  it('a contact address several users have needs --user, named in one line', async () => {
    const shared = 'shared@example.net';
    await app.prisma.contact.create({ data: { userId: sam.user.id, email: shared } });
    await app.prisma.contact.create({ data: { userId: kim.user.id, email: shared } });
    const err = await stopContact(app, shared).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const line = (err as Error).message;
    expect(line).not.toContain('\n');
    expect(line).toContain(sam.user.id);
    expect(line).toContain(kim.user.id);
    expect(line).toMatch(/--user/);
    await stopContact(app, shared, kim.user.id);
    const rows = await app.prisma.contact.findMany({ where: { email: shared }, orderBy: { userId: 'asc' } });
    expect(Object.fromEntries(rows.map((r) => [r.userId, r.doNotContact]))).toEqual({
      [sam.user.id]: false,
      [kim.user.id]: true,
    });
  });
});

describe('without WEB_AUTH_TOKEN', () => {
  it('a single-user setup answers locally as before; once any user has a token, nothing private answers without one', async () => {
    await db.prisma.webToken.deleteMany({});
    const app = await makeApp({});
    const web = await buildWebServer(app);
    servers.push(web);
    const http = await serve(web);
    expect((await http('/api/status')).statusCode).toBe(200);

    const someone = await app.prisma.user.findFirstOrThrow({ where: { name: 'Kim Park' } });
    const { token } = await issueUserToken(app, someone.id);
    await new Promise((r) => setTimeout(r, 2_100)); // the "any token?" answer is cached 2 s
    for (const url of ['/', '/api/status', '/queues'])
      expect([url, (await http(url)).statusCode]).toEqual([url, 401]);
    expect((await http('/healthz')).statusCode).toBe(200);
    const mine = await http('/api/status', { headers: { authorization: `Bearer ${token}` } });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('Coffee with Luis');
    expect(mine.body).not.toContain('Virtual coffee with Aiko');
  });
});
