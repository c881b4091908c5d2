// Runs once before the jest workers start; what it puts in process.env they inherit.
// - REDIS_URL: a throwaway redis-server unless the caller gave one.
// (NODE_EXTRA_CA_CERTS for the sandbox's HTTPS is set by scripts/run-tests.ts, before Node starts.)
import { startLocalRedis } from '../../worker/services/local-redis.ts';

export default async function globalSetup(): Promise<void> {
  if (!process.env.REDIS_URL) {
    const redis = await startLocalRedis();
    process.env.REDIS_URL = redis.url;
    (globalThis as Record<string, unknown>).__COFFEE_REDIS__ = redis;
  }
}
