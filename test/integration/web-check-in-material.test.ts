// The review page's check-in material forms and edit figures (issue 16 items 5 and 6), over a real
// App: the embedded database, real Redis (from global setup), the page's CSRF protection.
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import type { WebServer } from '../../worker/web/server.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only (see
// web-review-page.test.ts).
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

const HOUR = 3_600_000;
const EVIL = '<script>alert(1)</script>';

let db: TestDb;
let app: App;
let server: WebServer;
let contactId = '';

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
  const user = await app.prisma.user.create({ data: { name: 'Sam Rivera', timeZone: 'America/New_York' } });
  const account = await app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email: 'sam@example.com',
      refreshTokenEnc: 'not-a-real-ciphertext',
      tokenKeyId: 'k1',
      scopes: [],
    },
  });
  const contact = await app.prisma.contact.create({
    data: { userId: user.id, email: 'ana@example.org', name: `Ana ${EVIL}` },
  });
  contactId = contact.id;
  const now = app.now().getTime();
  // Three thank-yous sent: two with a small edit, one rewritten; one not measured.
  for (const [i, editDistance] of [0, 0.04, 0.5, null].entries())
    await app.prisma.draft.create({
      data: {
        userId: user.id,
        accountId: account.id,
        contactId: contact.id,
        kind: 'thank_you',
        idempotencyKey: `thank_you:web-${i}`,
        status: 'sent',
        dueAt: new Date(now - 3 * HOUR),
        sentAt: new Date(now - 2 * HOUR),
        editDistance,
      },
    });
  server = await startWebServer(app, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await app?.close();
  await db?.dispose();
});

async function csrf(): Promise<string> {
  const page = await (await fetch(server.url)).text();
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}

function post(path: string, fields: Record<string, string>) {
  return fetch(new URL(path, server.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

async function landing(res: Response): Promise<string> {
  expect(res.status).toBe(303);
  return (await fetch(new URL(res.headers.get('location') ?? '/', server.url))).text();
}

const material = () =>
  app.prisma.contactMaterial.findMany({ where: { contactId }, orderBy: { createdAt: 'asc' } });

describe('check-in material and edits on the review page', () => {
  test('shows, per kind, the share of sent drafts with at most a small edit', async () => {
    const page = await (await fetch(server.url)).text();
    expect(page).toContain('Your edits before sending');
    expect(page).toMatch(
      /<td>Thank-you<\/td><td>4<\/td>\s*<td><strong>67%<\/strong> <span class="muted">\(2 of 3 measured\)/,
    );
  });

  test('share and update forms queue material for the contact, shown escaped', async () => {
    const page = await (await fetch(server.url)).text();
    expect(page).toContain(`action="/contacts/${contactId}/share"`);
    expect(page).toContain(`action="/contacts/${contactId}/update"`);
    expect(page).not.toContain(EVIL);

    const token = await csrf();
    const shared = await landing(
      await post(`/contacts/${contactId}/share`, {
        _csrf: token,
        url: 'https://example.org/post?a=1&b=2',
        note: `why <b>${EVIL}</b>`,
      }),
    );
    expect(shared).toContain('queued for the next check-in');
    const updated = await landing(
      await post(`/contacts/${contactId}/update`, { _csrf: token, text: `I shipped it ${EVIL}` }),
    );
    expect(updated).not.toContain(EVIL);
    expect(updated).toContain('I shipped it &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(updated).toContain('href="https://example.org/post?a=1&amp;b=2"');
    expect(await material()).toMatchObject([
      { kind: 'article', url: 'https://example.org/post?a=1&b=2', text: `why <b>${EVIL}</b>` },
      { kind: 'update', text: `I shipped it ${EVIL}` },
    ]);
  });

  test('a bad address is refused with one line, and the typed value is kept', async () => {
    const before = (await material()).length;
    const page = await landing(
      await post(`/contacts/${contactId}/share`, { _csrf: await csrf(), url: 'javascript:alert(1)' }),
    );
    expect(page).toMatch(/class="flash error"[^>]*>“javascript:alert\(1\)” is not an http\(s\) address\./);
    expect(page).toContain('value="javascript:alert(1)"');
    expect(page).not.toContain('href="javascript:');
    const empty = await landing(
      await post(`/contacts/${contactId}/update`, { _csrf: await csrf(), text: '  ' }),
    );
    expect(empty).toContain('The update is empty.');
    expect(await material()).toHaveLength(before);
  });

  test('without the CSRF token nothing is queued', async () => {
    const before = (await material()).length;
    const page = await landing(await post(`/contacts/${contactId}/update`, { text: 'forged' }));
    expect(page).toContain('nothing was changed');
    expect(await material()).toHaveLength(before);
  });
});
