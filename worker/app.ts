// The worker's context: configuration, database, queues, provider factory, logger and clock.
// Jobs, CLI commands and the review page all receive one of these.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { config as loadConfig } from './config.ts';
import { openDatabase, type Db } from './db/client.ts';
import type { PrismaClient } from './db/generated/client.ts';
import { logger as rootLogger } from './logger.ts';
import { addStateGauges, createMetrics, type Metrics } from './metrics.ts';
import { lockClient, queueConnection, queuePrefix } from './queues/connection.ts';
import { closeQueues, createQueues, type Queues } from './queues/queues.ts';
import type { Policy } from './pipeline/types.ts';
import type { ProviderFactory } from './providers.ts';

export interface App {
  config: Config;
  db: Db;
  prisma: PrismaClient;
  queues: Queues;
  /** A plain Redis connection for locks (BullMQ keeps its own); a Cluster on REDIS_CLUSTER_NODES. */
  redis: Redis | Cluster;
  providers: ProviderFactory;
  log: Logger;
  now: () => Date;
  policy: Policy;
  /** Prometheus registry and counters of this process (served at /metrics). */
  metrics: Metrics;
  close(): Promise<void>;
}

export function policyFrom(config: Config): Policy {
  return {
    prepLead: config.PREP_LEAD,
    thankYouDelay: config.THANK_YOU_DELAY,
    checkInCadence: config.CHECK_IN_CADENCE,
  };
}

export interface CreateAppOptions {
  config?: Config;
  db?: Db;
  providers?: ProviderFactory;
  now?: () => Date;
  log?: Logger;
}

export async function createApp(opts: CreateAppOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig();
  // A shared PostgreSQL is migrated by `db migrate` alone (one process, under the advisory lock);
  // every other command refuses to run against it while it is behind. The embedded store belongs
  // to this one person and migrates itself on open.
  const db =
    opts.db ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      migrate: config.DATABASE_URL ? 'check' : true,
    }));
  const log = opts.log ?? rootLogger();
  const bull = queueConnection(config);
  const queues = createQueues(bull.connection, queuePrefix(config));
  const redis = lockClient(config);
  // Connection errors are reported once, clearly, by whoever needs Redis (the CLI's check, the
  // worker's own 'error' log); without listeners every reconnect attempt prints a stack trace.
  const quiet = (what: string) => (err: Error) =>
    log.debug({ err: err.message }, `${what}: redis connection error`);
  redis.on('error', quiet('locks'));
  for (const [name, q] of Object.entries(queues)) q.on('error', quiet(`queue ${name}`));
  const now = opts.now ?? (() => new Date());
  const metrics = createMetrics();
  addStateGauges(metrics, { prisma: db.prisma, queues, now });
  let providers = opts.providers;
  if (!providers) {
    const { createProviderFactory } = await import('./providers.ts');
    providers = createProviderFactory(db.prisma, config, log, {
      onCall: (_email, endpoint, provider) => {
        metrics.providerCalls.inc({ provider, endpoint });
        if (/token/.test(endpoint)) metrics.tokenRefreshes.inc({ provider, outcome: 'attempted' });
      },
    });
  }
  return {
    config,
    db,
    prisma: db.prisma,
    queues,
    redis,
    providers,
    log,
    now,
    policy: policyFrom(config),
    metrics,
    close: async () => {
      await closeQueues(queues);
      bull.disconnect();
      redis.disconnect();
      if (!opts.db) await db.close();
    },
  };
}
