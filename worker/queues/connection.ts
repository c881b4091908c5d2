// Redis connections for BullMQ and for the locks: one server (REDIS_URL), or a Redis Cluster
// (REDIS_CLUSTER_NODES). Workers need maxRetriesPerRequest: null (blocking commands).
//
// On a cluster every key of one BullMQ queue must live in one hash slot, or its Lua scripts fail
// with CROSSSLOT: the prefix then carries a hash tag, `{coffee-chat}`, so all queue keys (and the
// locks) hash by "coffee-chat" alone (https://docs.bullmq.io/bull/patterns/redis-cluster).
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';

type RedisConfig = Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'QUEUE_PREFIX'>;

/** Credentials, database and TLS from a redis:// or rediss:// URL. */
function optionsFrom(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** One server's options for BullMQ (each Queue and Worker opens its own connections from them). */
export function redisConnection(url: string): ConnectionOptions {
  return { ...optionsFrom(url), maxRetriesPerRequest: null };
}

/** The key prefix of the queues and locks: hash-tagged on a cluster. */
export function queuePrefix(config: Pick<Config, 'REDIS_CLUSTER_NODES' | 'QUEUE_PREFIX'>): string {
  return config.REDIS_CLUSTER_NODES ? `{${config.QUEUE_PREFIX}}` : config.QUEUE_PREFIX;
}

function keepHostName(address: string, callback: (err: Error | null, address: string) => void): void {
  callback(null, address);
}

function newCluster(config: RedisConfig, extra: RedisOptions): Cluster {
  const nodes = config.REDIS_CLUSTER_NODES!.map((n) => optionsFrom(n));
  // Credentials and TLS of the first node apply to every node the cluster tells us about.
  const { host: _h, port: _p, db: _db, ...common } = nodes[0]!;
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      redisOptions: { ...common, ...extra },
      enableReadyCheck: true,
      lazyConnect: extra.lazyConnect,
      // Over TLS the certificate names the host, not its address: by default the Cluster resolves
      // each node's name to an IP first, and the TLS check then fails against the IP. Keeping the
      // name is what ioredis documents for TLS clusters such as ElastiCache
      // (https://github.com/redis/ioredis#special-note-aws-elasticache-clusters-with-tls).
      ...(common.tls ? { dnsLookup: keepHostName } : {}),
    },
  );
}

/**
 * What BullMQ is given. One server: options (BullMQ opens and closes its own connections). A
 * cluster: a Cluster instance, which BullMQ shares and never closes, so the caller must
 * `disconnect` it after closing its queues or workers.
 */
export function queueConnection(config: RedisConfig): { connection: ConnectionOptions; disconnect(): void } {
  if (!config.REDIS_CLUSTER_NODES)
    return { connection: redisConnection(config.REDIS_URL), disconnect: () => {} };
  const cluster = newCluster(config, { maxRetriesPerRequest: null });
  return { connection: cluster, disconnect: () => cluster.disconnect() };
}

/** A plain connection (locks, pings), lazily connected. */
export function lockClient(config: RedisConfig): Redis | Cluster {
  if (config.REDIS_CLUSTER_NODES) return newCluster(config, { maxRetriesPerRequest: 3, lazyConnect: true });
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
}
