// When a job is due, read back from Redis as BullMQ keeps it (issue 14: the bench read every
// scheduled job as late by its whole delay). BullMQ zeroes a job's `delay` once it promotes it to
// waiting, so the queue-lag gauge counted a thank-you planned a day ahead as a day late; and
// `changeDelay` keeps the first add's `timestamp`, so a moved job's due time was misread.
// Real Redis, no worker.
import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Worker, type Job } from 'bullmq';
import { jobDueAt } from '../../worker/metrics.ts';
import { redisConnection } from '../../worker/queues/connection.ts';
import { closeQueues, createQueues, type Queues } from '../../worker/queues/queues.ts';
import { delayedDueAt, scheduleJob } from '../../worker/queues/schedule-job.ts';

jest.setTimeout(60_000);
let queues: Queues;
const prefix = `due-${randomBytes(4).toString('hex')}`;
const connection = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

beforeAll(() => {
  queues = createQueues(connection, prefix);
});
afterAll(async () => {
  for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => undefined);
  await closeQueues(queues);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a job that came due and waits is measured from its due time, not from when it was planned', async () => {
  const key = randomUUID();
  const now = new Date();
  await scheduleJob(
    queues,
    'create-draft',
    { key },
    { jobId: key, dueAt: new Date(now.getTime() + 1_500), now },
  );
  await sleep(2_000);
  // What a worker does to a due job before it takes it (no worker here: the same script's effect).
  await (await queues.actions.getJob(key))!.promote();
  const job = (await queues.actions.getJob(key))!;
  // Promoted: waiting, and BullMQ has zeroed its delay.
  expect(await job.getState()).toBe('waiting');
  expect(job.delay).toBe(0);
  expect(Math.abs(jobDueAt(job) - (now.getTime() + 1_500))).toBeLessThan(500);
});

test('a moved job reads back its new due time, and is moved back when its chat moves back', async () => {
  const key = randomUUID();
  const t0 = Date.now();
  const at = (ms: number) => ({ jobId: key, dueAt: new Date(t0 + ms), now: new Date() });
  expect(await scheduleJob(queues, 'create-draft', { key }, at(3_600_000))).toBe('added');
  await sleep(1_500); // the chat is moved a little later than it was planned
  expect(await scheduleJob(queues, 'create-draft', { key }, at(7_200_000))).toBe('moved');
  expect(Math.abs((await delayedDueAt(queues.actions, key))! - (t0 + 7_200_000))).toBeLessThan(1_000);
  expect(await scheduleJob(queues, 'create-draft', { key }, at(7_200_000))).toBe('kept');
  expect(await scheduleJob(queues, 'create-draft', { key }, at(3_600_000))).toBe('moved');
  expect(Math.abs((await delayedDueAt(queues.actions, key))! - (t0 + 3_600_000))).toBeLessThan(1_000);
  // The same job, moved in place: its attempts and options are its own still.
  expect((await queues.actions.getJob(key))!.opts.attempts).toBe(24);
});

test('a retried job waiting again is measured from its failed run plus at least the shortest backoff', async () => {
  const key = randomUUID();
  await queues.plan.add(
    'plan-chat',
    { chatId: key },
    { jobId: key, attempts: 3, backoff: { type: 'fixed', delay: 1_000 } },
  );
  let ranAt = 0;
  const worker = new Worker(
    queues.plan.name,
    async (job: Job) => {
      if (job.id !== key) return;
      ranAt = Date.now();
      throw new Error('provider down');
    },
    { connection, prefix, autorun: true },
  );
  while (!ranAt) await sleep(50);
  await worker.close();
  await sleep(1_500);
  await (await queues.plan.getJob(key))!.promote();
  const job = (await queues.plan.getJob(key))!;
  expect(await job.getState()).toBe('waiting');
  expect(job.attemptsMade).toBe(1);
  // Its backoff (1 s) is gone from the job once promoted; the due time is not before run + 1 s.
  expect(jobDueAt(job)).toBeGreaterThanOrEqual(job.processedOn! + 1_000);
  expect(jobDueAt(job)).toBeLessThanOrEqual(Date.now());
  expect(Math.abs(job.processedOn! - ranAt)).toBeLessThan(200);
});
