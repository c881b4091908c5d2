// The benchmark's system: the provider sandbox (in process), the embedded database in a fresh
// temporary DATA_DIR, a Redis (REDIS_URL or a throwaway redis-server, started once by bench.ts)
// with a queue prefix of its own, and an App whose provider factory counts every provider call
// per account (token refreshes included) through `onCall`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig, type Config } from '../../worker/config.ts';
import { openDatabase, type Db } from '../../worker/db/client.ts';
import { createProviderFactory } from '../../worker/providers.ts';
import { PROCESSORS } from '../../worker/runtime.ts';
import type { JobName, QueueName } from '../../worker/queues/queues.ts';
import { startSandbox, type RequestLogEntry, type Sandbox } from '../../sandbox/server.ts';

/** Calls seen by the provider factory's onCall: account email → endpoint → count. */
export class CallCounter {
  private readonly byAccount = new Map<string, Map<string, number>>();
  record(email: string, endpoint: string): void {
    const key = email.toLowerCase();
    let m = this.byAccount.get(key);
    if (!m) this.byAccount.set(key, (m = new Map()));
    m.set(endpoint, (m.get(endpoint) ?? 0) + 1);
  }
  /** A copy of the counts now, to diff against later. */
  snapshot(): Map<string, Map<string, number>> {
    return new Map([...this.byAccount].map(([k, v]) => [k, new Map(v)]));
  }
  /** Calls per endpoint since `snap`, for the given accounts (all when omitted). */
  since(snap: Map<string, Map<string, number>>, emails?: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    const keys = emails ? emails.map((e) => e.toLowerCase()) : [...this.byAccount.keys()];
    for (const k of keys) {
      const now = this.byAccount.get(k);
      if (!now) continue;
      const before = snap.get(k);
      for (const [ep, n] of now) {
        const d = n - (before?.get(ep) ?? 0);
        if (d > 0) out[ep] = (out[ep] ?? 0) + d;
      }
    }
    return out;
  }
}

/** Token endpoint calls (Google "POST /token", identity platform ".../oauth2/v2.0/token"). */
export const isTokenEndpoint = (endpoint: string) => /\/token$/.test(endpoint.split('?')[0]!);

export const sum = (counts: Record<string, number>, filter: (ep: string) => boolean = () => true) =>
  Object.entries(counts).reduce((n, [ep, c]) => (filter(ep) ? n + c : n), 0);

export interface BenchStack {
  sandbox: Sandbox;
  config: Config;
  db: Db;
  app: App;
  calls: CallCounter;
  /** Sandbox API requests (not admin, not token) per endpoint since `index`, for these accounts. */
  sandboxCalls(index: number, emails: string[]): Record<string, number>;
  close(): Promise<void>;
}

export async function startBenchStack(opts: {
  redisUrl: string;
  tlsDir: string;
  env?: Record<string, string>;
}): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-bench-'));
  const sandbox = await startSandbox({ tlsDir: opts.tlsDir });
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'bench',
    ...sandbox.env,
    GOOGLE_CLIENT_ID: 'bench.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'bench-secret',
    MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000b0e0c',
    MICROSOFT_CLIENT_SECRET: 'bench-secret',
    SYNC_INTERVAL: 'PT1H',
    LOG_LEVEL: 'silent',
    ...opts.env,
  };
  const config = parseConfig(env);
  // Empty databaseUrl forces the embedded store whatever DATABASE_URL the shell has.
  const db = await openDatabase({ databaseUrl: '', dataDir });
  const log = pino({ level: 'silent' });
  const calls = new CallCounter();
  const providers = createProviderFactory(db.prisma, config, log, {
    onCall: (email, ep) => calls.record(email, ep),
  });
  const app = await createApp({ config, db, providers, log });
  return {
    sandbox,
    config,
    db,
    app,
    calls,
    sandboxCalls(index, emails) {
      const want = new Set(emails.map((e) => e.toLowerCase()));
      const out: Record<string, number> = {};
      const log: RequestLogEntry[] = sandbox.requests.slice(index);
      for (const r of log) {
        if (r.provider !== 'google' && r.provider !== 'microsoft') continue;
        if (isTokenEndpoint(r.endpoint) || !r.account || !want.has(r.account.toLowerCase())) continue;
        out[r.endpoint] = (out[r.endpoint] ?? 0) + 1;
      }
      return out;
    },
    async close() {
      await app.close().catch(() => undefined);
      await db.close().catch(() => undefined);
      await sandbox.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs, in this process and one at a time, every job of the given queues that is due now
 * (waiting, or delayed until no later than now), through the worker's own processors, and
 * removes it; repeats until nothing is due. Jobs due later (a thank-you after the chat, the
 * account schedulers on the sync queue) are left alone. Returns the job names run.
 */
export async function drainDueJobs(
  app: App,
  queues: QueueName[] = ['plan', 'actions'],
  maxRounds = 50,
): Promise<string[]> {
  const ran: string[] = [];
  for (let round = 0; round < maxRounds; round++) {
    let any = false;
    for (const q of queues) {
      const jobs = await app.queues[q].getJobs(['waiting', 'prioritized', 'delayed']);
      const due = jobs
        .filter((j): j is Job => Boolean(j) && j.timestamp + (j.delay ?? 0) <= Date.now() + 250)
        .sort((a, b) => a.timestamp + (a.delay ?? 0) - (b.timestamp + (b.delay ?? 0)));
      for (const job of due) {
        const run = PROCESSORS[job.name as JobName];
        if (!run) continue;
        await job.remove().catch(() => undefined);
        await run(app, job);
        ran.push(job.name);
        any = true;
      }
    }
    if (!any) break;
  }
  return ran;
}

/** Runs `fn` over `items` with at most `n` at once. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
