// Failed jobs do not fill Redis (issue 12 item 4): the workers keep them for a bounded time and
// count, the accounts' schedulers' too, and a prep block whose job failed for good, once that job is
// trimmed, is neither put back every reconcile nor reported missing: its row is the record.
import { jest } from '@jest/globals';
import type { App } from '../../worker/app.ts';
import { recordFinalFailure } from '../../worker/core/failures.ts';
import { auditQueues } from '../../worker/core/scheduled-work.ts';
import { reconcile } from '../../worker/jobs/reconcile.ts';
import { scheduleAccount } from '../../worker/queues/account-schedulers.ts';
import { KEEP_FAILED, jobData } from '../../worker/queues/queues.ts';
import { startWorker } from '../../worker/runtime.ts';
import { openBareApp, type BareApp } from '../helpers/bare-app.ts';

jest.setTimeout(90_000);
const DAY = 86_400_000;
const NOW = new Date('2031-03-04T09:00:00Z');

let bare: BareApp;
let app: App;

beforeAll(async () => {
  bare = await openBareApp('trim', { now: () => NOW });
  app = bare.app;
});
afterAll(async () => {
  await bare?.close();
});

async function activeAccount(email: string) {
  const user = await app.prisma.user.create({ data: { name: 'Sam', timeZone: 'UTC' } });
  const account = await app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email,
      refreshTokenEnc: 'x',
      tokenKeyId: 'k1',
      scopes: [],
      timeZone: 'UTC',
    },
  });
  return { user, account };
}

test('failed jobs, the schedulers’ included, are trimmed to a bounded count by the workers', async () => {
  const { account } = await activeAccount('trim@example.com');
  await scheduleAccount(app, account.id);
  const jobs = await app.queues.sync.getJobs(['delayed', 'waiting', 'prioritized']);
  const scheduled = jobs.filter((j) => (j?.data as { accountId?: string }).accountId === account.id);
  expect(scheduled.length).toBeGreaterThan(0);
  // The retention is the workers' (one setting, not ~100 bytes in every pending job's hash).
  for (const j of scheduled) expect(j.opts.removeOnFail).toBeUndefined();
  expect(KEEP_FAILED.age).toBeLessThanOrEqual(30 * 24 * 3600);

  // More jobs fail for good than the count kept: the oldest failures go.
  const running = await startWorker(app);
  try {
    const n = KEEP_FAILED.count + 20;
    await app.queues.actions.addBulk(
      Array.from({ length: n }, (_, i) => ({ name: 'no-such-job', data: { i }, opts: { attempts: 1 } })),
    );
    let counts: Record<string, number> = {};
    for (let t = 0; t < 300; t++) {
      counts = await app.queues.actions.getJobCounts('wait', 'active', 'failed');
      if (counts.wait === 0 && counts.active === 0 && (counts.failed ?? 0) >= KEEP_FAILED.count) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    counts = await app.queues.actions.getJobCounts('wait', 'active', 'failed');
    expect(counts).toEqual({ wait: 0, active: 0, failed: KEEP_FAILED.count });
  } finally {
    await running.close();
    await app.queues.actions.clean(0, 0, 'failed');
  }
});

test('a prep block whose job failed for good and was trimmed is not put back nor reported missing', async () => {
  const { user, account } = await activeAccount('prep@example.com');
  const contact = await app.prisma.contact.create({ data: { userId: user.id, email: 'omar@example.org' } });
  const chat = await app.prisma.chat.create({
    data: {
      userId: user.id,
      accountId: account.id,
      providerEventId: 'ev-1',
      contactId: contact.id,
      title: 'Coffee with Omar',
      startUtc: new Date(NOW.getTime() + 2 * DAY),
      endUtc: new Date(NOW.getTime() + 2 * DAY + 1_800_000),
      timeZone: 'UTC',
      detectionReasons: [],
    },
  });
  const entry = await app.prisma.calendarEntry.create({
    data: {
      chatId: chat.id,
      accountId: account.id,
      kind: 'prep',
      calendarId: 'primary',
      idempotencyKey: `prep-${chat.id}`,
      startUtc: new Date(NOW.getTime() + 2 * DAY - 900_000),
      endUtc: new Date(NOW.getTime() + 2 * DAY),
    },
  });
  // The job used up its attempts (the worker's `failed` handler), then Redis trimmed it.
  await recordFinalFailure(
    app,
    { name: 'create-prep', data: { key: entry.idempotencyKey } },
    new Error('calendar is read-only'),
  );
  const first = await reconcile(app, 'test');
  expect(first.added.prep).toBe(0);
  expect((await auditQueues(app)).missing.prep).toBe(0);
  const row = await app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: entry.id } });
  expect(row.lastError).toBe('calendar is read-only');
});

test('a check-in whose job failed for good before its draft existed is not put back once trimmed', async () => {
  const { user } = await activeAccount('checkin@example.com');
  const contact = await app.prisma.contact.create({
    data: { userId: user.id, email: 'lena@example.org', timeZone: 'UTC' },
  });
  await app.prisma.checkInPlan.create({
    data: { contactId: contact.id, anchorAt: new Date(NOW.getTime() - 400 * DAY), nextAt: NOW },
  });
  const due = (await reconcile(app, 'test')).added.checkIns;
  expect(due).toBe(1);
  const job = (await app.queues.actions.getJobs(['delayed', 'waiting', 'prioritized'])).find(
    (j) =>
      j?.name === 'check-in' && (jobData('check-in', j) as { contactId: string }).contactId === contact.id,
  )!;
  // The mailbox was never reached (the job failed before it drafted), then Redis trimmed the job.
  await recordFinalFailure(app, job, new Error('mailbox refused the search'));
  await job.remove();
  expect((await reconcile(app, 'test')).added.checkIns).toBe(0);
  expect((await auditQueues(app)).missing.checkIns).toBe(0);
  const draft = await app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: job.id! } });
  expect([draft.status, draft.lastError]).toEqual(['failed', 'mailbox refused the search']);
});
