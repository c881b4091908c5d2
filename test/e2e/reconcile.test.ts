// Postgres is the record: with the real worker and real Redis, a thank-you, a prep block and a
// check-in are scheduled, then Redis loses everything under this worker's prefix (the same as a
// FLUSHALL for it, without touching the other test files sharing this Redis). The reconciler puts
// them back, at worker start and, later, while the worker runs; the thank-you is drafted once, at
// its time. Health reports the mismatch while it lasts.
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { ensureCheckInPlan } from '../../worker/core/check-in-plans.ts';
import { auditQueues } from '../../worker/core/scheduled-work.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from './provider-fixtures.ts';
import type { WebServer } from '../../worker/web/server.ts';

// @fastify/static (via bull-board) requires content-disposition, which is ESM-only.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(150_000);
const MIN = 60_000;

describe('the reconciler rebuilds the queues from Postgres', () => {
  let stack: Stack;
  let f: Fixture;
  let web: WebServer | undefined;

  beforeAll(async () => {
    stack = await startStack({
      env: { THANK_YOU_DELAY: 'PT50S', CHECK_IN_CADENCE: 'PT10M', PREP_LEAD: 'PT30M' },
    });
    f = fixture(stack.sandbox, 'google', 'reconcile-g');
  });
  afterAll(async () => {
    await web?.close();
    await stack?.close();
  });

  /** Everything this worker keeps in Redis, gone: what a FLUSHALL does to it. */
  async function flushRedis(): Promise<number> {
    const redis = stack.app.redis;
    if (redis.status === 'wait') await redis.connect();
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stack.config.QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  }

  async function queuedJob(jobId: string) {
    const job = await stack.app.queues.actions.getJob(jobId);
    return job ? { state: await job.getState(), dueAt: job.timestamp + (job.delay ?? 0) } : null;
  }
  /**
   * Waiting in the queue for its time, within `slackMs`: BullMQ counts the delay from when it adds
   * the job, the scheduler from its own clock reading (plan-chat reads it once per plan, so on a
   * busy machine its jobs land a few seconds late; the reconciler reads it per job).
   */
  async function expectDelayed(jobId: string, dueAt: number, slackMs = 2_000) {
    const job = await queuedJob(jobId);
    expect(job?.state).toBe('delayed');
    expect(Math.abs(job!.dueAt - dueAt)).toBeLessThanOrEqual(slackMs);
  }

  it('puts back a thank-you, a prep block and a check-in lost with Redis, and drafts the thank-you once, at its time', async () => {
    const { app } = stack;
    const { account } = await addAccount(app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    const now = Date.now();
    // Ended a moment ago: its thank-you is due 50 s after the end. Ahead by 90 min: a prep block
    // (due at once; no confirmation that close to the start).
    f.seed({
      title: 'Coffee chat with Ines',
      start: new Date(now - 30 * MIN - 5_000),
      minutes: 30,
      others: [{ email: 'ines@example.org', name: 'Ines Duarte' }],
    });
    f.seed({
      title: 'Coffee chat with Kenji',
      start: new Date(now + 90 * MIN),
      minutes: 30,
      others: [{ email: 'kenji@example.org', name: 'Kenji Sato' }],
    });

    // The work is planned (by this process: no worker is running, so nothing fires yet).
    await syncAccount(app, account.id);
    const chats = await app.prisma.chat.findMany({ include: { contact: true } });
    expect(chats.map((c) => c.contact.email).sort()).toEqual(['ines@example.org', 'kenji@example.org']);
    for (const c of chats) await planChat(app, c.id);
    // A contact met earlier, with an active check-in plan: the next check-in is due in 10 minutes.
    const omar = await app.prisma.contact.create({
      data: { userId: account.userId, email: 'omar@example.org', name: 'Omar Haddad' },
    });
    await ensureCheckInPlan(app, omar.id, new Date(now));
    const checkIn = await planContact(app, omar.id);
    expect(checkIn.outcome).toBe('scheduled');
    const checkInKey = (checkIn as { key: string }).key;
    const checkInDue = Date.parse((checkIn as { dueAt: string }).dueAt);

    const thanks = await app.prisma.draft.findFirstOrThrow({
      where: { kind: 'thank_you', contact: { email: 'ines@example.org' } },
    });
    const prep = await app.prisma.calendarEntry.findFirstOrThrow({ where: { kind: 'prep' } });
    expect(thanks.status).toBe('scheduled');
    expect(thanks.dueAt.getTime()).toBeGreaterThan(Date.now());
    await expectDelayed(thanks.idempotencyKey, thanks.dueAt.getTime(), 10_000);
    expect(await queuedJob(prep.idempotencyKey)).toMatchObject({ state: 'waiting' });
    await expectDelayed(checkInKey, checkInDue, 10_000);

    // Redis loses everything.
    expect(await flushRedis()).toBeGreaterThan(0);
    expect(await queuedJob(thanks.idempotencyKey)).toBeNull();

    // Health says what is missing: 2 thank-yous (Ines's, and Kenji's for after his chat), the prep
    // block, Omar's check-in (Ines's cadence waits for her thank-you) and the schedulers (the
    // account's three and the reconciler's).
    const server = await startWebServer(app, { port: 0 });
    web = server;
    const healthz = async () => {
      const r = await fetch(new URL('readyz', server.url));
      expect(r.status).toBe(200);
      return (await r.json()) as { scheduled: { mismatch: number } };
    };
    expect((await healthz()).scheduled).toEqual({
      expected: { drafts: 2, prep: 1, checkIns: 1, schedulers: 4 },
      missing: { drafts: 2, prep: 1, checkIns: 1, schedulers: 4 },
      mismatch: 8,
    });

    // The worker starts: its reconciler puts everything back.
    await stack.startWorker();
    const created = await waitFor(
      'the prep block made',
      () => f.createdEvents().find((e) => /Kenji/.test(e.title)),
      30_000,
    );
    expect(created).toBeTruthy();
    await expectDelayed(checkInKey, checkInDue);
    await expectDelayed(thanks.idempotencyKey, thanks.dueAt.getTime());
    expect((await healthz()).scheduled.mismatch).toBe(0);

    // The thank-you is drafted at its time, not before.
    const inesDrafts = () => f.drafts().filter((d) => d.to.includes('ines@example.org'));
    expect(inesDrafts()).toHaveLength(0);
    const seenAt = await waitFor(
      'the thank-you drafted',
      () => (inesDrafts().length ? Date.now() : 0),
      90_000,
      100,
    );
    expect(seenAt).toBeGreaterThanOrEqual(thanks.dueAt.getTime());
    expect(seenAt - thanks.dueAt.getTime()).toBeLessThan(15_000);

    // Redis loses everything again, this time under the running worker: it notices and puts back
    // what is still scheduled; the thank-you already made is not made again.
    await flushRedis();
    await waitFor(
      'the schedulers and the check-in back',
      async () => (await auditQueues(app)).mismatch === 0 && (await queuedJob(checkInKey)),
      30_000,
    );
    expect(stack.workerOutput()).toContain('the queues lost their schedules');
    await expectDelayed(checkInKey, checkInDue);
    const kenjiThanks = await app.prisma.draft.findFirstOrThrow({
      where: { kind: 'thank_you', contact: { email: 'kenji@example.org' } },
    });
    await expectDelayed(kenjiThanks.idempotencyKey, kenjiThanks.dueAt.getTime());
    // Syncs run again (every 2 s here) and nothing is drafted twice.
    const synced = (
      await app.prisma.account.findUniqueOrThrow({ where: { id: account.id } })
    ).lastSyncAt!.getTime();
    await waitFor(
      'a sync after the flush',
      async () =>
        (await app.prisma.account.findUniqueOrThrow({ where: { id: account.id } })).lastSyncAt!.getTime() >
        synced,
      20_000,
    );
    expect(inesDrafts()).toHaveLength(1);
    expect(f.createdEvents().filter((e) => /Kenji/.test(e.title))).toHaveLength(1);

    // What an operator scrapes from the same run: the worker's /metrics counts what it did, and
    // the state gauges read Postgres and the queues.
    const metrics = await (await fetch(stack.workerMetricsUrl()!)).text();
    const sample = (name: string, labels: Record<string, string>) => {
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
            Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        );
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(sample('coffee_chat_jobs_total', { name: 'sync-account', outcome: 'completed' })).toBeGreaterThan(
      1,
    );
    expect(sample('coffee_chat_jobs_total', { name: 'create-draft', outcome: 'completed' })).toBeGreaterThan(
      0,
    );
    expect(sample('coffee_chat_job_duration_seconds_count', { name: 'sync-account' })).toBeGreaterThan(1);
    expect(sample('coffee_chat_provider_calls_total', { provider: 'google' })).toBeGreaterThan(0);
    expect(sample('coffee_chat_accounts', { provider: 'google', status: 'active' })).toBe(1);
    expect(sample('coffee_chat_drafts', { kind: 'thank_you', status: 'created' })).toBe(1);
    expect(sample('coffee_chat_queue_jobs', { queue: 'actions', state: 'delayed' })).toBeGreaterThan(0);
    expect(sample('coffee_chat_queue_lag_seconds', { queue: 'sync' })).toBeGreaterThanOrEqual(0);
    expect(sample('coffee_chat_sync_lag_seconds_count', { provider: 'google' })).toBe(1);
    expect(sample('coffee_chat_process_resident_memory_bytes', {})).toBeGreaterThan(0);
    // The review page serves the same state gauges (its own process, the same database).
    const pageMetrics = await (await fetch(new URL('metrics', server.url))).text();
    expect(pageMetrics).toMatch(/^coffee_chat_accounts\{[^}]*status="active"[^}]*\} 1$/m);
  });
});
