// Short per-key locks in Redis, so that work on one account, chat or contact never runs twice at
// once (BullMQ runs jobs concurrently; two syncs of one account would race on the same rows).
// A job that finds the key busy steps aside: it is moved back to the delayed set for a moment,
// which does not count as a failed attempt.
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job } from 'bullmq';
import type { App } from '../app.ts';
import { queuePrefix } from '../queues/connection.ts';

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
  const renew = setInterval(
    () => void app.redis.eval(RENEW, 1, name, mine, String(ttl)).catch(() => undefined),
    ttl / 3,
  );
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await app.redis.eval(RELEASE, 1, name, mine).catch(() => undefined);
  }
}
