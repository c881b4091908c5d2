// Short per-key locks in Redis, so that work on one account, chat or contact never runs twice at
// once (BullMQ runs jobs concurrently; two syncs of one account would race on the same rows).
// A job that finds the key busy steps aside: it is moved back to the delayed set for a moment,
// which does not count as a failed attempt. A renewal that finds the lock taken or fails flags the
// holder (lock-context.ts): its next provider call is refused, so it stops before writing.
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job } from 'bullmq';
import type { App } from '../app.ts';
import { queuePrefix } from '../queues/connection.ts';
import { runHolding, type HeldLock } from '../lock-context.ts';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export async function withLock<T>(
  app: App,
  key: string,
  job: Job | undefined,
  token: string | undefined,
  fn: () => Promise<T>,
  opts: { ttlMs?: number; waitMs?: number } = {},
): Promise<T> {
  const name = `${queuePrefix(app.config)}:lock:${key}`;
  const mine = randomUUID();
  // Short enough that a crashed holder (kill -9) frees the key quickly; renewed while held.
  const ttl = opts.ttlMs ?? 15_000;
  const deadline = Date.now() + (job && token ? 0 : (opts.waitMs ?? 60_000));
  for (;;) {
    const ok = await app.redis.set(name, mine, 'PX', ttl, 'NX');
    if (ok === 'OK') break;
    if (job && token) {
      await job.moveToDelayed(Date.now() + 500 + Math.floor(Math.random() * 500), token);
      throw new DelayedError();
    }
    if (Date.now() > deadline)
      throw new Error(`${key} is busy (another process is working on it); try again`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const lock: HeldLock = { key, lost: false };
  const lose = (why: string) => {
    if (lock.lost) return;
    lock.lost = true;
    app.log.warn(
      { lock: key, job: job?.name, why },
      'lock lost while held: stopping before the next provider call',
    );
  };
  const renew = setInterval(() => {
    if (lock.lost) return;
    app.redis.eval(RENEW, 1, name, mine, String(ttl)).then(
      (renewed) => {
        if (Number(renewed) !== 1) lose('expired or taken by another holder');
      },
      (err: unknown) => lose(`renewal failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }, ttl / 3);
  try {
    return await runHolding(lock, fn);
  } finally {
    clearInterval(renew);
    await app.redis.eval(RELEASE, 1, name, mine).catch(() => undefined);
  }
}
