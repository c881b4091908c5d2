// `npx tsx scripts/bench-reconcile.ts [--drafts N] [--accounts M]`: what the reconciler costs (not a
// test). On the embedded database (fresh temp DATA_DIR) and a throwaway Redis, N scheduled drafts
// (default 1,000) and M active accounts (default 1; each has three job schedulers) are put in
// Postgres; then, measured by Redis's own command counter and the clock:
//   1. a reconcile over empty queues (everything put back: Redis lost it all);
//   2. a reconcile over full queues (nothing to do: the cost of the periodic run);
//   3. the health audit (Postgres against the queues).
// Each with how far the JS heap rose while it ran (a worker's RSS peaks with it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../worker/app.ts';
import { parseConfig } from '../worker/config.ts';
import { openDatabase } from '../worker/db/client.ts';
import { auditQueues } from '../worker/core/scheduled-work.ts';
import { reconcile } from '../worker/jobs/reconcile.ts';
import { startLocalRedis } from '../worker/services/local-redis.ts';

const { values: args } = parseArgs({
  options: { drafts: { type: 'string', default: '1000' }, accounts: { type: 'string', default: '1' } },
});
const N = Number(args.drafts);
const M = Math.max(1, Number(args.accounts));

const redisServer = await startLocalRedis();
const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-bench-reconcile-'));
const db = await openDatabase({ databaseUrl: '', dataDir });
const config = parseConfig({
  DATA_DIR: dataDir,
  REDIS_URL: redisServer.url,
  QUEUE_PREFIX: 'bench',
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  TOKEN_ENCRYPTION_KEY_ID: 'bench',
});
const app = await createApp({ config, db, log: pino({ level: 'silent' }) });
const counter = new Redis(redisServer.url);

/** Commands Redis processed since the last call (minus the INFO call itself). */
let last = 0;
async function commands(): Promise<number> {
  const info = await counter.info('stats');
  const total = Number(/total_commands_processed:(\d+)/.exec(info)![1]);
  const delta = total - last - 1;
  last = total;
  return delta;
}

try {
  const user = await app.prisma.user.create({ data: { name: 'Bench User' } });
  const account = await app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email: 'bench@gmail.example',
      refreshTokenEnc: 'x',
      tokenKeyId: 'bench',
      scopes: [],
    },
  });
  if (M > 1)
    await app.prisma.account.createMany({
      data: Array.from({ length: M - 1 }, (_, i) => ({
        userId: user.id,
        provider: 'google' as const,
        email: `bench${i}@gmail.example`,
        refreshTokenEnc: 'x',
        tokenKeyId: 'bench',
        scopes: [],
      })),
    });
  const dueAt = new Date(Date.now() + 24 * 3600_000);
  await app.prisma.draft.createMany({
    data: Array.from({ length: N }, (_, i) => ({
      idempotencyKey: `outreach-bench-${i}`,
      kind: 'outreach' as const,
      userId: user.id,
      accountId: account.id,
      dueAt,
    })),
  });
  await app.redis.connect();
  await commands();

  const rows: [string, number, number, number][] = [];
  /** Runs `fn` and says how far the JS heap rose above where it started (sampled every 5 ms). */
  const measured = async <T>(fn: () => Promise<T>) => {
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const t = performance.now();
    try {
      const result = await fn();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      return { result, ms: performance.now() - t, heapRiseMb: (peak - base) / 2 ** 20 };
    } finally {
      clearInterval(sampler);
    }
  };
  const first = await measured(() => reconcile(app, 'bench'));
  rows.push([
    `reconcile, queues empty (${first.result.added.drafts} drafts put back)`,
    await commands(),
    first.ms,
    first.heapRiseMb,
  ]);
  const second = await measured(() => reconcile(app, 'bench'));
  rows.push([
    `reconcile, queues full (${second.result.kept} kept)`,
    await commands(),
    second.ms,
    second.heapRiseMb,
  ]);
  const audit = await measured(() => auditQueues(app));
  rows.push([
    `health audit (mismatch ${audit.result.mismatch})`,
    await commands(),
    audit.ms,
    audit.heapRiseMb,
  ]);

  process.stdout.write(
    `reconciler cost for N=${N} scheduled drafts and ${M} accounts (embedded database, local Redis)\n`,
  );
  for (const [what, cmds, ms, rise] of rows) {
    process.stdout.write(
      `  ${what.padEnd(48)} ${String(cmds).padStart(7)} Redis commands (${(cmds / N).toFixed(2)}/draft)  ${ms.toFixed(0).padStart(6)} ms  JS heap +${rise.toFixed(0)} MB at its peak\n`,
    );
  }
  if (!(globalThis as { gc?: () => void }).gc)
    process.stdout.write('  (heap rises are rougher without --expose-gc: node --expose-gc --import tsx …)\n');
} finally {
  counter.disconnect();
  await app.close();
  await db.close();
  await redisServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
