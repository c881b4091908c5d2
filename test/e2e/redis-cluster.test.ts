// Past one Redis: the worker on a three-master Redis Cluster, two worker processes sharing it. The
// queue prefix carries a hash tag, so each queue's keys share a slot (BullMQ's scripts need that).
import { Cluster } from 'ioredis';
import { addAccount } from '../../worker/core/accounts.ts';
import { startRedisCluster, redisClusterSkipReason, type RedisCluster } from '../helpers/redis-cluster.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture } from './provider-fixtures.ts';

const MIN = 60_000;
const skip = redisClusterSkipReason();

(skip ? describe.skip : describe)('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let stack: Stack;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startStack({ env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it('two workers draft every thank-you once, and the queues live in one slot of the cluster', async () => {
    const f = fixture(stack.sandbox, 'google', 'cluster');
    const contacts = Array.from({ length: 8 }, (_, i) => `friend${i}@example.org`);
    const now = Date.now();
    contacts.forEach((email, i) =>
      f.seed({
        title: `Coffee chat ${i}`,
        start: new Date(now - (3 + i) * 60 * MIN),
        minutes: 30,
        others: [{ email }],
      }),
    );
    // Both workers wait on the queues before there is any work, so each takes its share.
    await stack.startWorker();
    await stack.startWorker();
    await addAccount(stack.app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });

    await waitFor(
      'every thank-you row created',
      async () =>
        (await stack.app.prisma.draft.count({ where: { status: 'created', kind: 'thank_you' } })) ===
        contacts.length,
      120_000,
    );
    const drafts = f.drafts();
    expect(drafts).toHaveLength(contacts.length);
    for (const email of contacts) expect(drafts.filter((d) => d.to.includes(email))).toHaveLength(1);

    // Both processes took work from the shared queues.
    for (const i of [0, 1]) {
      const text = await (await fetch(stack.workerMetricsUrl(i)!)).text();
      const done = text
        .split('\n')
        .filter((l) => l.startsWith('coffee_chat_jobs_total{') && l.includes('outcome="completed"'))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      expect([i, done > 0]).toEqual([i, true]);
    }

    // Every key of the queues sits in the hash slot of the prefix's tag.
    const client = new Cluster(
      cluster.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
    );
    try {
      const tag = `{${stack.config.QUEUE_PREFIX}}`;
      const slot = Number(await client.cluster('KEYSLOT', tag));
      const keys = await client
        .nodes('master')
        .reduce<Promise<string[]>>(
          async (acc, node) => [...(await acc), ...(await node.keys(`${tag}:*`))],
          Promise.resolve([]),
        );
      expect(keys.length).toBeGreaterThan(10);
      const slots = new Set(
        await Promise.all(keys.map(async (k) => Number(await client.cluster('KEYSLOT', k)))),
      );
      expect([...slots]).toEqual([slot]);
    } finally {
      client.disconnect();
    }
    expect(await stack.stopWorker('SIGTERM')).toBe(0);
  }, 180_000);
});
