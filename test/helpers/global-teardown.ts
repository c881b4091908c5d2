import type { LocalRedis } from '../../worker/services/local-redis.ts';

export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as Record<string, unknown>).__COFFEE_REDIS__ as LocalRedis | undefined;
  await redis?.stop();
}
