// A lock whose renewal finds it taken (expired during a long pause, and picked up by another
// worker) or cannot reach Redis: the holder is flagged, it is logged, and the holder's next
// provider call is refused before it leaves, so two workers never write for one account at once.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { App } from '../../worker/app.ts';
import { withLock } from '../../worker/core/locks.ts';
import { guardProviderCalls, LockLostError } from '../../worker/lock-context.ts';
import type { ProviderClients } from '../../integrations/provider.ts';

const prefix = `locklost-${randomBytes(3).toString('hex')}`;
let redis: Redis;
const warnings: unknown[] = [];
const app = () =>
  ({
    redis,
    config: { QUEUE_PREFIX: prefix, REDIS_CLUSTER_NODES: undefined },
    log: {
      warn: (...a: unknown[]) => warnings.push(a),
      child() {
        return this;
      },
    },
  }) as unknown as App;

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(() => redis.disconnect());

function fakeClients(writes: string[]): ProviderClients {
  return {
    calendar: {},
    mailbox: {
      createDraft: async (d: { marker: string }) => {
        writes.push(d.marker);
        return { draftId: 'd1' };
      },
    },
  } as unknown as ProviderClients;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a holder whose lock was taken by another stops before its next provider write, and it is logged', async () => {
  const writes: string[] = [];
  const key = 'sync-acct-1';
  const outcome = await withLock(
    app(),
    key,
    undefined,
    undefined,
    async () => {
      const clients = guardProviderCalls(fakeClients(writes));
      await clients.mailbox.createDraft({ marker: 'first' } as never);
      // The lock expired (a long GC pause, a stalled event loop) and another worker took it.
      await redis.set(`${prefix}:lock:${key}`, 'another-worker', 'PX', 10_000);
      await sleep(400); // more than one renewal period (ttl / 3)
      try {
        await clients.mailbox.createDraft({ marker: 'second' } as never);
        return 'wrote';
      } catch (e) {
        return e;
      }
    },
    { ttlMs: 600 },
  );
  expect(outcome).toBeInstanceOf(LockLostError);
  expect(writes).toEqual(['first']);
  expect(JSON.stringify(warnings)).toMatch(/lock lost/);
  // The other worker's lock is left alone.
  expect(await redis.get(`${prefix}:lock:${key}`)).toBe('another-worker');
});

test('a holder that keeps its lock writes as usual', async () => {
  const writes: string[] = [];
  await withLock(
    app(),
    'sync-acct-2',
    undefined,
    undefined,
    async () => {
      const clients = guardProviderCalls(fakeClients(writes));
      await sleep(400);
      await clients.mailbox.createDraft({ marker: 'only' } as never);
    },
    { ttlMs: 600 },
  );
  expect(writes).toEqual(['only']);
});
