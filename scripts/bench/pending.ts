// Redis bytes per pending job: N thank-you and check-in jobs, as the reconciler schedules them
// (made by `jobToAdd` as `scheduleJob` makes them: ids = their idempotency keys, the actions
// queue's options, due over the next 30 days), in a queue of their own on the bench's Redis.
// Measured by Redis itself: INFO memory's used_memory before and after, and MEMORY USAGE of one
// job's hash. Each run starts from an empty queue and obliterates it after.
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redisConnection } from '../../worker/queues/connection.ts';
import { jobToAdd } from '../../worker/queues/schedule-job.ts';
import { chatActionKey } from '../../worker/pipeline/plan-chat-actions.ts';
import { checkInKey } from '../../worker/pipeline/plan-check-in.ts';

export interface PendingRun {
  jobs: number;
  usedMemoryDelta: number;
  bytesPerJob: number;
  jobHashBytes: number;
  addS: number;
}

async function usedMemory(r: Redis): Promise<number> {
  const info = await r.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

export async function pendingRun(redisUrl: string, n: number): Promise<PendingRun> {
  const prefix = `bench-pending-${randomBytes(3).toString('hex')}`;
  const q = new Queue('actions', { connection: redisConnection(redisUrl), prefix });
  const r = new Redis(redisUrl);
  try {
    await q.waitUntilReady();
    const before = await usedMemory(r);
    const t0 = performance.now();
    let sampleId = '';
    for (let i = 0; i < n; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const delay = 3_600_000 + Math.floor(Math.random() * 30 * 86_400_000);
        if (j % 2 === 0) {
          const key = chatActionKey('thank_you', randomUUID());
          batch.push(jobToAdd('create-draft', { key }, key, delay));
        } else {
          const contactId = randomUUID();
          const key = checkInKey(contactId, 1 + (j % 3));
          batch.push(jobToAdd('check-in', { contactId, key }, key, delay));
        }
      }
      sampleId = batch[0]!.opts.jobId!;
      await q.addBulk(batch);
    }
    const addS = (performance.now() - t0) / 1000;
    const after = await usedMemory(r);
    const jobHashBytes = Number(
      await r.call('MEMORY', 'USAGE', `${prefix}:actions:${sampleId}`, 'SAMPLES', '0'),
    );
    return {
      jobs: n,
      usedMemoryDelta: after - before,
      bytesPerJob: (after - before) / n,
      jobHashBytes,
      addS,
    };
  } finally {
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    r.disconnect();
  }
}
