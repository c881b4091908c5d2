// An app on a fresh embedded database and real Redis, with no providers (a test that calls a job or
// a queue helper directly and never reaches Google or Microsoft), under a queue prefix of its own.
// `close` obliterates its queues and drops the database.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { openTestDb } from './db.ts';

export interface BareApp {
  app: App;
  close(): Promise<void>;
}

export async function openBareApp(
  prefix: string,
  opts: { env?: Record<string, string>; now?: () => Date } = {},
): Promise<BareApp> {
  const db = await openTestDb('embedded');
  const config = parseConfig({
    REDIS_URL: process.env.REDIS_URL,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `${prefix}-${randomBytes(4).toString('hex')}`,
    ...opts.env,
  });
  const app = await createApp({
    config,
    db,
    log: pino({ level: 'silent' }),
    ...(opts.now ? { now: opts.now } : {}),
    providers: async () => {
      throw new Error('no providers in this test');
    },
  });
  return {
    app,
    async close() {
      for (const q of Object.values(app.queues)) await q.obliterate({ force: true }).catch(() => undefined);
      await app.close();
      await db.dispose();
    },
  };
}
