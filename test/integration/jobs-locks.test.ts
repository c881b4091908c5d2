// withLock (worker/core/locks.ts) on real Redis: work on one key never runs twice at once, a job
// that finds its key busy steps aside without running, the key outlives its TTL while the holder
// still works, and is freed when the work fails. The lock touches Redis only, so the app here has
// no database (none of these calls reach it).
import { DelayedError, type Job } from 'bullmq';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import type { Db } from '../../worker/db/client.ts';
import { withLock } from '../../worker/core/locks.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withLock', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp({
      config: parseConfig({
        REDIS_URL: process.env.REDIS_URL,
        LOG_LEVEL: 'silent',
        QUEUE_PREFIX: `locks-${process.pid}`,
      }),
      db: { prisma: {} } as unknown as Db,
      log: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Work that records when it ran. */
  function work(spans: [number, number][], ms: number, result = 'ok') {
    return async () => {
      const start = Date.now();
      await sleep(ms);
      spans.push([start, Date.now()]);
      return result;
    };
  }
  const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

  it('runs work on one key one at a time: a second caller waits, then runs', async () => {
    const spans: [number, number][] = [];
    const results = await Promise.all([
      withLock(app, 'serial', undefined, undefined, work(spans, 300, 'a')),
      withLock(app, 'serial', undefined, undefined, work(spans, 300, 'b')),
      withLock(app, 'serial', undefined, undefined, work(spans, 300, 'c')),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(spans).toHaveLength(3);
    for (let i = 0; i < spans.length; i++)
      for (let j = i + 1; j < spans.length; j++) expect(overlaps(spans[i]!, spans[j]!)).toBe(false);
  });

  it('runs work on different keys at the same time', async () => {
    const spans: [number, number][] = [];
    await Promise.all([
      withLock(app, 'apart-1', undefined, undefined, work(spans, 400)),
      withLock(app, 'apart-2', undefined, undefined, work(spans, 400)),
    ]);
    expect(overlaps(spans[0]!, spans[1]!)).toBe(true);
  });

  it('a job that finds the key busy is moved back to the delayed set, not run and not failed', async () => {
    const held = withLock(app, 'busy-job', undefined, undefined, () => sleep(500));
    await sleep(50);
    const moves: number[] = [];
    const job = { moveToDelayed: async (ts: number) => void moves.push(ts) } as unknown as Job;
    let ran = false;
    const before = Date.now();
    const err = await withLock(app, 'busy-job', job, 'token', async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelayedError);
    expect(ran).toBe(false);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toBeGreaterThanOrEqual(before + 500);
    expect(moves[0]).toBeLessThanOrEqual(Date.now() + 1_000);
    await held;
    // Free again: the job runs when it comes back.
    expect(await withLock(app, 'busy-job', job, 'token', async () => 'ran')).toBe('ran');
  });

  it('a caller without a job gives up after waitMs with a clear message', async () => {
    const held = withLock(app, 'busy-cli', undefined, undefined, () => sleep(800));
    await sleep(50);
    await expect(
      withLock(app, 'busy-cli', undefined, undefined, async () => 'no', { waitMs: 200 }),
    ).rejects.toThrow(/busy-cli is busy/);
    await held;
  });

  it('keeps the key while the holder works past the TTL (renewed), and frees it at the end', async () => {
    const t0 = Date.now();
    const held = withLock(app, 'renewed', undefined, undefined, () => sleep(2_000), { ttlMs: 300 });
    // Long after the first TTL ran out, the key is still held.
    for (const at of [400, 800, 1_200]) {
      await sleep(t0 + at - Date.now());
      await expect(
        withLock(app, 'renewed', undefined, undefined, async () => 'stolen', { waitMs: 0 }),
      ).rejects.toThrow(/is busy/);
    }
    await held;
    expect(await withLock(app, 'renewed', undefined, undefined, async () => 'next', { waitMs: 0 })).toBe(
      'next',
    );
  });

  it('frees the key when the work throws', async () => {
    await expect(
      withLock(app, 'throws', undefined, undefined, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await withLock(app, 'throws', undefined, undefined, async () => 'free', { waitMs: 0 })).toBe(
      'free',
    );
  });
});
