// bull-board at /queues, as an attacker and as an impatient user meet it: read-only unless
// QUEUES_ADMIN=true (retries allowed), never framed, and a thank-you promoted through the board is
// not drafted before its time. Own queue prefix: the destructive calls could only hit this file's
// queues.
import { jest } from '@jest/globals';
import { Worker, type Job } from 'bullmq';
import type { App } from '../../worker/app.ts';
import { ingestSyncPage } from '../../worker/core/ingest-events.ts';
import { createDraftJob } from '../../worker/jobs/create-draft.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { chatActionKey } from '../../worker/pipeline/plan-chat-actions.ts';
import { redisConnection } from '../../worker/queues/connection.ts';
import type { WebServer } from '../../worker/web/server.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { addSam, createReviewApp, person } from '../helpers/review-fixture.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(60_000);
const HOUR = 3_600_000;

let db: TestDb;
let app: App;
let providerCalls = 0;
let readOnly: WebServer;
let admin: WebServer;
let chatId = '';
let thankYouKey = '';

beforeAll(async () => {
  db = await openTestDb('embedded');
  app = await createReviewApp(db, 'board', async () => {
    providerCalls++;
    throw new Error('no provider may be called in this test');
  });
  const { account, calendar } = await addSam(app);
  const start = new Date(Math.ceil((app.now().getTime() + 26 * HOUR) / HOUR) * HOUR);
  const me = person('sam@example.com', 'Sam Rivera', { self: true });
  const aiko = person('aiko@example.jp', 'Aiko Tanaka', { organizer: true });
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
        organizer: { email: aiko.email, name: aiko.name, self: false },
        attendees: [me, aiko],
        markers: {},
      },
    ],
    removed: [],
    cursor: 'c1',
    full: true,
    calls: 1,
  });
  chatId = (await app.prisma.chat.findFirstOrThrow()).id;
  thankYouKey = chatActionKey('thank_you', chatId);
  await planChat(app, chatId);
  readOnly = await startWebServer(app, { port: 0 });
  admin = await startWebServer({ ...app, config: { ...app.config, QUEUES_ADMIN: true } }, { port: 0 });
});

afterAll(async () => {
  await readOnly?.close();
  await admin?.close();
  for (const q of Object.values(app?.queues ?? {}))
    await q.obliterate({ force: true }).catch(() => undefined);
  await app?.close();
  await db?.dispose();
});

const api = (server: WebServer, method: string, path: string, body?: unknown) =>
  fetch(`${server.url}queues/api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('the queue board', () => {
  test('the thank-you waits as a delayed job, due after the chat', async () => {
    const job = await app.queues.actions.getJob(thankYouKey);
    expect(await job?.getState()).toBe('delayed');
    const draft = await app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: thankYouKey } });
    expect(draft.status).toBe('scheduled');
    expect(draft.dueAt.getTime()).toBeGreaterThan(app.now().getTime() + 24 * HOUR);
  });

  test('read-only by default: every admin action is refused and changes nothing', async () => {
    const key = encodeURIComponent(thankYouKey);
    const refused: [string, string, unknown?][] = [
      ['PUT', 'queues/actions/obliterate'],
      ['PUT', 'queues/actions/empty'],
      ['PUT', 'queues/actions/pause'],
      ['PUT', 'queues/pause'],
      ['PUT', 'queues/actions/clean/delayed'],
      ['PUT', 'queues/actions/promote'],
      ['PUT', 'queues/actions/retry/completed'],
      ['POST', 'queues/actions/add', { name: 'create-draft', data: { key: thankYouKey } }],
      ['PUT', `queues/actions/${key}/promote`],
      ['PUT', `queues/actions/${key}/clean`],
      ['PATCH', `queues/actions/${key}/update-data`, { data: { key: 'other' } }],
      ['PATCH', `queues/actions/${key}/delay`, { delay: 0 }],
      ['PUT', 'queues/actions/concurrency', { concurrency: 1 }],
    ];
    for (const [method, path, body] of refused) {
      const res = await api(readOnly, method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(((await res.json()) as { error: string }).error).toMatch(/read-only.*QUEUES_ADMIN=true/);
    }
    const job = await app.queues.actions.getJob(thankYouKey);
    expect(await job?.getState()).toBe('delayed');
    expect([job?.id, job?.data]).toEqual([thankYouKey, {}]); // the id is its key (queues.ts jobKey)
    expect(await app.queues.actions.isPaused()).toBe(false);
    expect(await app.queues.actions.getJobCounts('delayed')).toMatchObject({ delayed: expect.any(Number) });
    expect((await app.queues.actions.getJobCounts('delayed')).delayed).toBeGreaterThan(0);
  });

  test('read-only still lets failed jobs be retried', async () => {
    const all = await api(readOnly, 'PUT', 'queues/actions/retry/failed');
    expect(all.ok).toBe(true);
    // Past our check: bull-board itself answers that there is no such job.
    const one = await api(readOnly, 'PUT', 'queues/actions/no-such-job/retry');
    expect(one.status).toBe(404);
    const board = await api(readOnly, 'GET', 'queues');
    expect(board.status).toBe(200);
  });

  test('the board may not be framed', async () => {
    for (const path of ['queues', 'queues/api/queues']) {
      const res = await fetch(`${readOnly.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  test('with QUEUES_ADMIN=true the board may promote; the promoted thank-you still waits for the chat', async () => {
    const dueAt = (await app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: thankYouKey } }))
      .dueAt;
    const res = await api(admin, 'PUT', `queues/actions/${encodeURIComponent(thankYouKey)}/promote`);
    expect(res.ok).toBe(true);
    expect(await (await app.queues.actions.getJob(thankYouKey))?.getState()).toBe('waiting');

    const ran: string[] = [];
    const worker = new Worker(
      'actions',
      async (job: Job, token?: string) => {
        if (job.name !== 'create-draft') return 'not this test';
        ran.push(job.id ?? '');
        return createDraftJob(app, job, token);
      },
      { connection: redisConnection(app.config.REDIS_URL), prefix: app.config.QUEUE_PREFIX },
    );
    try {
      const deadline = Date.now() + 20_000;
      let state = '';
      while (Date.now() < deadline) {
        state = (await (await app.queues.actions.getJob(thankYouKey))?.getState()) ?? 'gone';
        if (ran.includes(thankYouKey) && state === 'delayed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ran).toContain(thankYouKey);
      expect(state).toBe('delayed');
    } finally {
      await worker.close();
    }
    // Back to wait until its own time: moved a moment ago with the delay left (the app clock is the wall clock here).
    const job = (await app.queues.actions.getJob(thankYouKey))!;
    expect(Math.abs(Date.now() + job.delay - dueAt.getTime())).toBeLessThan(60_000);
    const draft = await app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: thankYouKey } });
    expect(draft).toMatchObject({ status: 'scheduled', attempts: 0, providerDraftId: null });
    expect(providerCalls).toBe(0);
  });
});
