// Opens the app (database, queues) for one CLI command and closes it afterwards.
import { createApp, type App } from '../app.ts';

/** Commands that only read the database pass needsRedis: false and work while Redis is down. */
export async function withApp<T>(
  fn: (app: App) => Promise<T>,
  opts: { needsRedis?: boolean } = {},
): Promise<T> {
  const app = await createApp();
  try {
    if (opts.needsRedis !== false) await requireRedis(app);
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Redis refused the credentials (requirepass / ACL): retrying will not help. */
const AUTH_ERROR = /^(WRONGPASS|NOAUTH)\b/;

/** One clear line instead of a command that waits forever for a Redis that is not there. */
async function requireRedis(app: App): Promise<void> {
  // Never the credentials: the line goes to terminals and logs.
  const where = app.config.REDIS_URL.replace(/\/\/[^@]*@/, '//');
  let cause: string | undefined;
  let refused!: (e: Error) => void;
  const authFailed = new Promise<never>((_, reject) => (refused = reject));
  authFailed.catch(() => undefined);
  app.redis.once('error', (e: Error) => {
    cause ??= e.message;
    if (AUTH_ERROR.test(e.message)) refused(e);
  });
  try {
    await Promise.race([
      app.redis.connect().then(() => app.redis.ping()),
      authFailed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000).unref()),
    ]);
  } catch (err) {
    const why = cause ?? (err instanceof Error ? err.message : String(err));
    if (AUTH_ERROR.test(why)) {
      // NOAUTH's text runs on about HELLO; its first clause says it.
      const short = why.split(/[,;]/)[0]!.replace(/\.$/, '');
      throw new Error(
        `Redis at ${where} refused the credentials in REDIS_URL (${short}); set REDIS_URL to redis://USER:PASSWORD@HOST:PORT (rediss:// for TLS)`,
      );
    }
    throw new Error(`cannot reach Redis at ${where} (${why}); start one or set REDIS_URL`);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
