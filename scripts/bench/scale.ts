// The benchmark's scale phases, one database at a time, with every part in a process of its own:
// the sandbox (sandbox-proc.ts, started once by bench.ts), the worker(s) (worker-proc.ts, as
// `coffee-chat worker` runs), the floor (floor-proc.ts), Redis, and the database (the embedded
// PGlite is served by THIS process, as a worker's first opener would; PostgreSQL is its own
// server). CPU and RSS are read per process from /proc (proc-stats.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { openDatabase, type Db } from '../../worker/db/client.ts';
import { sealAccountToken } from '../../worker/token-keys.ts';
import { redisConnection } from '../../worker/queues/connection.ts';
import { jobOptionsFor } from '../../worker/queues/queues.ts';
import { freePort } from '../../worker/services/local-redis.ts';
import { getTestPostgres } from '../../test/helpers/postgres.ts';
import { startChild, type Child } from './ipc.ts';
import { WORKER_NODE_ARGS } from './worker-flags.ts';
import { CORES, cpuSeconds, meter, processTree, rssBytes } from './proc-stats.ts';
import type { Kind } from './seed.ts';

export type DbKind = 'embedded' | 'postgres';

export interface ScaleOptions {
  /** Accounts in all, half per provider. */
  accounts: number;
  /** Ordinary meetings per account (what its first full sync reads). */
  events: number;
  /** Measured rounds of the throughput comparison (idle sync, floor, no-op; 1 and 3 workers). */
  rounds: number;
  /** Jobs per round. */
  roundJobs: number;
  sweep: { intervalMs: number; intervals: number } | null;
  scaleout: boolean;
  push: { changes: number; runs: number; accounts: number; spacingMs: number } | null;
  redisUrl: string;
  redisPid: number;
  sandbox: Child;
  sandboxEnv: Record<string, string>;
  log: (s?: string) => void;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
export function stat(xs: number[]): Stat {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}
export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export interface DbResult {
  kind: DbKind;
  accounts: number;
  seedS: number;
  startWorkerMs: Stat;
  processReadyMs: Stat;
  schedulersReadyMs: number;
  firstSync: { s: number; accountsPerS: number; workerCpuCores: number; workerPeakRssMb: number };
  idleJobsPerS: Stat;
  floorJobsPerS: Stat;
  noopJobsPerS: Stat;
  idleOverFloor: Stat;
  idleOverNoop: Stat;
  idleWorker: { cpuCores: Stat; peakRssMb: Stat };
  scaleout: null | {
    jobsPerS: Stat;
    ratio: Stat;
    cpuCores: Record<string, Stat>;
    machineBusyCores: Stat;
  };
  sweep: null | {
    intervalMs: number;
    perInterval: {
      jobs: number;
      jobsPerS: number;
      lagP50Ms: number;
      lagP95Ms: number;
      lagMaxMs: number;
      cpuCores: number;
      peakRssMb: number;
      /** The worker's own account of its memory at the interval's end (process.memoryUsage, MB). */
      memoryMb: { rss: number; heapTotal: number; heapUsed: number; external: number };
      failed: number;
    }[];
    lagP50Ms: Stat;
    lagP95Ms: Stat;
    jobsPerS: Stat;
    cpuShare: Stat;
    peakRssMb: Stat;
    expectedJobsPerS: number;
  };
  push: null | { p50Ms: Stat; p95Ms: Stat; p99Ms: Stat; chatP95Ms: Stat; changes: number; missing: number };
}

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The worker runs compiled with plain node, as production runs it (bench.ts builds dist/ first):
// under the TypeScript loader its RSS was 60-100 MB more, none of it the worker's.
const WORKER = join(import.meta.dirname, '..', '..', 'dist', 'scripts', 'bench', 'worker-proc.js');
const FLOOR = join(import.meta.dirname, 'floor-proc.ts');

/** A fresh database of this kind; for Postgres also the pid of its postmaster (for CPU). */
async function freshDb(kind: DbKind): Promise<{
  db: Db;
  env: Record<string, string | undefined>;
  pids: () => number[];
  dispose(): Promise<void>;
}> {
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-bench-'));
    const db = await openDatabase({ databaseUrl: '', dataDir });
    return {
      db,
      env: { DATA_DIR: dataDir, DATABASE_URL: undefined },
      // The embedded database is served by this process (the bench's own work is small beside it).
      pids: () => [process.pid],
      dispose: async () => {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const url = await getTestPostgres();
  if (!url) throw new Error('no PostgreSQL');
  const db = await openDatabase({ databaseUrl: url });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const dir = (
    await c.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`)
  ).rows[0]!.setting;
  await c.end();
  let postmaster = 0;
  try {
    postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    // an external server (TEST_DATABASE_URL) whose files we cannot read: no CPU figure for it
  }
  return {
    db,
    env: { DATABASE_URL: url, DATA_DIR: mkdtempSync(join(tmpdir(), 'coffee-chat-bench-')) },
    pids: () => (postmaster ? processTree(postmaster) : []),
    dispose: () => db.close(),
  };
}

export async function runDbPhase(kind: DbKind, o: ScaleOptions): Promise<DbResult> {
  const log = o.log;
  const fresh = await freshDb(kind);
  const prefix = `bench-${kind}-${randomBytes(3).toString('hex')}`;
  const baseEnv: Record<string, string | undefined> = {
    ...fresh.env,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: prefix,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'bench',
    ...o.sandboxEnv,
    GOOGLE_CLIENT_ID: 'bench.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'bench-secret',
    MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000b0e0c',
    MICROSOFT_CLIENT_SECRET: 'bench-secret',
    SYNC_INTERVAL: 'PT24H',
    LOG_LEVEL: process.env.BENCH_WORKER_LOG_LEVEL ?? 'error',
    PUBLIC_WEBHOOK_URL: undefined,
  };
  const config = parseConfig(defined(baseEnv));
  const app = await createApp({ config, db: fresh.db, log: pino({ level: 'silent' }) });
  const children: Child[] = [];
  const startWorkerMs: number[] = [];
  const processReadyMs: number[] = [];
  const spawnWorker = async (env: Record<string, string | undefined> = {}) => {
    const w = await startChild(
      WORKER,
      { ...baseEnv, ...env },
      // The worker's V8 flags as the image runs it (Dockerfile NODE_OPTIONS), unless
      // BENCH_WORKER_NODE_ARGS says otherwise (e.g. --cpu-prof --cpu-prof-dir=DIR).
      {
        plain: true,
        nodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? WORKER_NODE_ARGS).split(' ').filter(Boolean),
      },
    );
    children.push(w);
    startWorkerMs.push((w.ready as { startWorkerMs: number }).startWorkerMs);
    processReadyMs.push(w.readyMs);
    return w;
  };
  const stopChild = async (c: Child) => {
    await c.stop();
    children.splice(children.indexOf(c), 1);
  };
  const floorQ = new Queue('floor', { connection: redisConnection(o.redisUrl), prefix });
  const noopQ = new Queue('noop', { connection: redisConnection(o.redisUrl), prefix });
  try {
    // -- seed: the sandbox's mailboxes, then the accounts in the database -------------------------
    let t0 = performance.now();
    const half = Math.floor(o.accounts / 2);
    const seeded: { kind: Kind; email: string; refreshToken: string }[] = [];
    for (const k of ['google', 'microsoft'] as Kind[]) {
      for (let from = 0; from < half; from += 1000) {
        const part = await o.sandbox.call<{ email: string; refreshToken: string }[]>('seed', {
          kind: k,
          prefix: `${kind}-u`,
          from,
          count: Math.min(1000, half - from),
          events: o.events,
        });
        for (const p of part) seeded.push({ kind: k, ...p });
      }
    }
    // One per provider through the real connect (token check, profile, zone) for what it stores;
    // the rest as the same rows, written at once.
    const model: Partial<Record<Kind, { scopes: string[]; timeZone: string | null }>> = {};
    for (const k of ['google', 'microsoft'] as Kind[]) {
      const first = seeded.find((s) => s.kind === k)!;
      const r = await addAccount(app, {
        provider: k,
        refreshToken: first.refreshToken,
        email: first.email,
        name: 'Bench User',
      });
      model[k] = { scopes: r.account.scopes, timeZone: r.account.timeZone };
    }
    const rest = seeded.filter((_, i) => i !== 0 && i !== half);
    for (let i = 0; i < rest.length; i += 1000) {
      const part = rest.slice(i, i + 1000).map((s) => ({ ...s, userId: randomUUID() }));
      await app.prisma.user.createMany({
        data: part.map((p) => ({
          id: p.userId,
          name: 'Bench User',
          timeZone: model[p.kind]!.timeZone ?? undefined,
        })),
      });
      await app.prisma.account.createMany({
        data: part.map((p) => {
          const sealed = sealAccountToken(config, { provider: p.kind, email: p.email }, p.refreshToken);
          return {
            userId: p.userId,
            provider: p.kind,
            email: p.email,
            displayName: 'Bench User',
            refreshTokenEnc: sealed.data,
            tokenKeyId: sealed.keyId,
            scopes: model[p.kind]!.scopes,
            timeZone: model[p.kind]!.timeZone,
          };
        }),
      });
    }
    const accounts = await app.prisma.account.findMany({
      select: { id: true, provider: true, email: true },
      orderBy: { email: 'asc' },
    });
    const seedS = (performance.now() - t0) / 1000;
    log(`   [${kind}] ${accounts.length} accounts seeded (sandbox + database) in ${seedS.toFixed(1)} s`);

    // -- start: one worker process; then until every account's schedulers exist -------------------
    t0 = performance.now();
    const w1 = await spawnWorker();
    let schedulersReadyMs = NaN;
    for (;;) {
      if ((await app.queues.sync.getJobSchedulersCount()) >= 3 * accounts.length) {
        schedulersReadyMs = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 600_000) break;
      await sleep(100);
    }
    log(
      `   [${kind}] worker process ready in ${(w1.readyMs / 1000).toFixed(1)} s (startWorker ${(startWorkerMs[0]! / 1000).toFixed(2)} s); all ${3 * accounts.length} schedulers in Redis after ${(schedulersReadyMs / 1000).toFixed(1)} s`,
    );

    // -- synced once: every account's full sync, through the sync queue ---------------------------
    const wm = meter(() => [w1.pid]);
    t0 = performance.now();
    await addJobs(
      app.queues.sync,
      accounts.map((a) => ({
        name: 'sync-account',
        data: { accountId: a.id, reason: 'bench' },
        id: `bench-first-${a.id}`,
      })),
    );
    await drained(app, ['sync', 'plan', 'actions'], 3_600_000);
    const firstS = (performance.now() - t0) / 1000;
    const fm = wm.read();
    wm.stop();
    const synced = await app.prisma.account.count({ where: { lastSyncAt: { not: null } } });
    log(
      `   [${kind}] first (full) sync: ${synced}/${accounts.length} accounts in ${firstS.toFixed(1)} s (${(synced / firstS).toFixed(1)}/s), worker ${fm.cpuCores.toFixed(2)} cores, peak RSS ${(fm.peakRssBytes / MB).toFixed(0)} MB`,
    );

    // -- the floor, side by side: idle sync vs same I/O vs no-op, round by round ---------------------
    const floor = await startChild(FLOOR, { ...baseEnv, BENCH_CONCURRENCY: '4' });
    children.push(floor);
    const m = Math.min(o.roundJobs, accounts.length);
    const idleSet = accounts.slice(0, m);
    // The floor's GET and UPDATE go to the same accounts the idle syncs do, one each per round (with
    // 50 of them, as before 30 Nov, its rows and the sandbox's stayed hot while the idle syncs
    // spread over 2,000, and the floor got faster round by round).
    const tokenOf = new Map(seeded.map((s) => [s.email, s.refreshToken]));
    const targets = idleSet.map((a) => ({
      accountId: a.id,
      provider: a.provider,
      refreshToken: tokenOf.get(a.email)!,
    }));
    await floor.call('targets', targets, 1_800_000);
    const idle: number[] = [];
    const fl: number[] = [];
    const noop: number[] = [];
    const idleCpu: number[] = [];
    const idleRss: number[] = [];
    const runIdle = async (tag: string) =>
      timed(app, 'sync', () =>
        addJobs(
          app.queues.sync,
          idleSet.map((a) => ({
            name: 'sync-account',
            data: { accountId: a.id, reason: 'bench' },
            id: `bench-${tag}-${a.id}`,
          })),
        ),
      );
    await runIdle('warm'); // every account's access token in the worker's cache, as in a steady state
    // The floor warmed up too (its code compiled, its connections open), as the worker just was.
    await timedQueue(floorQ, () =>
      addJobs(
        floorQ,
        range(m).map((i) => ({ name: 'floor', data: { i }, id: `fwarm-${i}` })),
      ),
    );
    for (let r = 0; r < o.rounds; r++) {
      const mm = meter(() => [w1.pid], 200);
      const t = await runIdle(`idle${r}`);
      const u = mm.read();
      mm.stop();
      idle.push(m / t);
      idleCpu.push(u.cpuCores);
      idleRss.push(u.peakRssBytes / MB);
      fl.push(
        m /
          (await timedQueue(floorQ, () =>
            addJobs(
              floorQ,
              range(m).map((i) => ({ name: 'floor', data: { i }, id: `f${r}-${i}` })),
            ),
          )),
      );
      noop.push(
        m /
          (await timedQueue(noopQ, () =>
            addJobs(
              noopQ,
              range(m).map((i) => ({ name: 'noop', data: {}, id: `n${r}-${i}` })),
            ),
          )),
      );
      log(
        `   [${kind}] round ${r + 1}: idle sync ${idle[r]!.toFixed(1)} jobs/s, same-I/O floor ${fl[r]!.toFixed(1)}/s, no-op ${noop[r]!.toFixed(1)}/s (${m} jobs each, concurrency 4)`,
      );
    }
    await stopChild(floor);

    // -- scale-out: the same idle-sync rounds on 3 worker processes, one Redis, one database --------
    let scaleout: DbResult['scaleout'] = null;
    if (o.scaleout) {
      const more = [await spawnWorker(), await spawnWorker()];
      const all = [w1, ...more];
      await runIdle('warm3a');
      await runIdle('warm3b');
      const rates: number[] = [];
      const ratios: number[] = [];
      const parts: Record<string, number[]> = {
        workers: [],
        'one worker (max)': [],
        sandbox: [],
        redis: [],
        database: [],
      };
      const busy: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const c0 = {
          workers: all.map((w) => cpuSeconds([w.pid])),
          sandbox: cpuSeconds([o.sandbox.pid]),
          redis: cpuSeconds([o.redisPid]),
          database: cpuSeconds(fresh.pids()),
        };
        const mc0 = machine();
        const t = await runIdle(`idle3-${r}`);
        const mc1 = machine();
        const per = all.map((w, i) => (cpuSeconds([w.pid]) - c0.workers[i]!) / t);
        parts.workers!.push(per.reduce((a, b) => a + b, 0));
        parts['one worker (max)']!.push(Math.max(...per));
        parts.sandbox!.push((cpuSeconds([o.sandbox.pid]) - c0.sandbox) / t);
        parts.redis!.push((cpuSeconds([o.redisPid]) - c0.redis) / t);
        parts.database!.push((cpuSeconds(fresh.pids()) - c0.database) / t);
        busy.push((mc1.busy - mc0.busy) / ((mc1.total - mc0.total) / CORES));
        rates.push(m / t);
        ratios.push(m / t / idle[r]!);
        log(
          `   [${kind}] 3 workers, round ${r + 1}: ${(m / t).toFixed(1)} jobs/s = ${ratios[r]!.toFixed(2)}× one worker's round ${r + 1}; machine ${busy[r]!.toFixed(2)}/${CORES} cores busy`,
        );
      }
      for (const w of more) await stopChild(w);
      log(`   [${kind}] 2 extra workers stopped`);
      scaleout = {
        jobsPerS: stat(rates),
        ratio: stat(ratios),
        cpuCores: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stat(v)])),
        machineBusyCores: stat(busy),
      };
    }
    await stopChild(w1);
    log(`   [${kind}] worker stopped`);

    // -- the idle sweep: the worker alone holds every account at SYNC_INTERVAL -------------------
    let sweep: DbResult['sweep'] = null;
    if (o.sweep) {
      await o.sandbox.call('dropLog');
      const iso = `PT${o.sweep.intervalMs / 1000}S`;
      t0 = performance.now();
      const ws = await spawnWorker({ SYNC_INTERVAL: iso });
      log(`   [${kind}] sweep worker ready (startWorker ${(startWorkerMs.at(-1)! / 1000).toFixed(2)} s)`);
      // Its start remakes every sync and send-detection scheduler (the interval changed).
      const schedulers = app.queues.sync;
      for (;;) {
        if (await allEvery(schedulers, o.sweep.intervalMs, 2 * accounts.length)) break;
        if (performance.now() - t0 > 600_000) break;
        await sleep(500);
      }
      log(
        `   [${kind}] sweep: worker restarted at SYNC_INTERVAL=${iso}, schedulers remade in ${((performance.now() - t0) / 1000).toFixed(1)} s; holding ${o.sweep.intervals} intervals`,
      );
      await ws.call('take');
      const perInterval: NonNullable<DbResult['sweep']>['perInterval'] = [];
      let prevDone = sumCompleted((await ws.call<Taken>('take')).completed);
      let prevFailed = 0;
      for (let k = 0; k < o.sweep.intervals; k++) {
        const mm = meter(() => [ws.pid], 500);
        await sleep(o.sweep.intervalMs);
        const u = mm.read();
        mm.stop();
        const got = await ws.call<Taken>('take');
        const lags = got.samples.filter((s) => s.scheduled).map((s) => s.lagMs);
        const mu = await ws.call<NodeJS.MemoryUsage>('memory');
        const done = sumCompleted(got.completed);
        perInterval.push({
          jobs: done - prevDone,
          jobsPerS: (done - prevDone) / u.wallS,
          lagP50Ms: pct(lags, 50),
          lagP95Ms: pct(lags, 95),
          lagMaxMs: lags.length ? Math.max(...lags) : NaN,
          cpuCores: u.cpuCores,
          peakRssMb: u.peakRssBytes / MB,
          memoryMb: {
            rss: mu.rss / MB,
            heapTotal: mu.heapTotal / MB,
            heapUsed: mu.heapUsed / MB,
            external: mu.external / MB,
          },
          failed: got.failed - prevFailed,
        });
        prevDone = done;
        prevFailed = got.failed;
        const p = perInterval[k]!;
        log(
          `   [${kind}] interval ${k + 1}/${o.sweep.intervals}: ${p.jobs} jobs (${p.jobsPerS.toFixed(1)}/s), lag p50 ${p.lagP50Ms} ms p95 ${p.lagP95Ms} ms max ${p.lagMaxMs} ms, worker ${(p.cpuCores * 100).toFixed(0)}% of a core, peak RSS ${p.peakRssMb.toFixed(0)} MB (at the end: V8 heap ${p.memoryMb.heapUsed.toFixed(0)} of ${p.memoryMb.heapTotal.toFixed(0)} MB, external ${p.memoryMb.external.toFixed(0)} MB, RSS ${p.memoryMb.rss.toFixed(0)} MB), ${p.failed} failed`,
        );
      }
      await stopChild(ws);
      sweep = {
        intervalMs: o.sweep.intervalMs,
        perInterval,
        lagP50Ms: stat(perInterval.map((p) => p.lagP50Ms)),
        lagP95Ms: stat(perInterval.map((p) => p.lagP95Ms)),
        jobsPerS: stat(perInterval.map((p) => p.jobsPerS)),
        cpuShare: stat(perInterval.map((p) => p.cpuCores)),
        peakRssMb: stat(perInterval.map((p) => p.peakRssMb)),
        expectedJobsPerS: (2 * accounts.length) / (o.sweep.intervalMs / 1000),
      };
    }

    return {
      kind,
      accounts: accounts.length,
      seedS,
      startWorkerMs: stat(startWorkerMs),
      processReadyMs: stat(processReadyMs),
      schedulersReadyMs,
      firstSync: {
        s: firstS,
        accountsPerS: synced / firstS,
        workerCpuCores: fm.cpuCores,
        workerPeakRssMb: fm.peakRssBytes / MB,
      },
      idleJobsPerS: stat(idle),
      floorJobsPerS: stat(fl),
      noopJobsPerS: stat(noop),
      idleOverFloor: stat(idle.map((x, i) => x / fl[i]!)),
      idleOverNoop: stat(idle.map((x, i) => x / noop[i]!)),
      idleWorker: { cpuCores: stat(idleCpu), peakRssMb: stat(idleRss) },
      scaleout,
      sweep,
      push: o.push ? await runPush(kind, o, baseEnv) : null,
    };
  } finally {
    for (const c of [...children]) await c.stop().catch(() => undefined);
    for (const q of [floorQ, noopQ, ...Object.values(app.queues)])
      await q.obliterate({ force: true }).catch(() => undefined);
    await floorQ.close();
    await noopQ.close();
    await app.close().catch(() => undefined);
    await fresh.dispose().catch(() => undefined);
  }
}

interface Taken {
  samples: { at: number; name: string; lagMs: number; scheduled: boolean }[];
  completed: Record<string, number>;
  failed: number;
}
/** Sync and send-detection jobs completed (what the sweep holds up). */
const sumCompleted = (c: Record<string, number>) => (c['sync-account'] ?? 0) + (c['track-drafts'] ?? 0);

async function allEvery(q: Queue, every: number, want: number): Promise<boolean> {
  const list = await q.getJobSchedulers(0, -1);
  return list.filter((s) => Number(s.every) === every).length >= want;
}

function machine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: (total - line[3]! - line[4]!) / 100, total: total / 100 };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const defined = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

async function addJobs(q: Queue, jobs: { name: string; data: object; id: string }[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += 1000)
    await q.addBulk(
      jobs.slice(i, i + 1000).map((j) => ({
        name: j.name,
        data: j.data,
        opts: {
          ...jobOptionsFor(j.name === 'sync-account' ? 'sync-account' : 'plan-chat'),
          jobId: j.id,
          removeOnComplete: true,
        },
      })),
    );
}

/** Until nothing waits or runs in these queues (delayed jobs are for later). */
async function drained(app: App, queues: ('sync' | 'plan' | 'actions')[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    for (const q of queues) {
      const c = await app.queues[q].getJobCounts('waiting', 'active', 'prioritized');
      busy += (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
    }
    if (busy === 0 || Date.now() > until) return;
    await sleep(50);
  }
}

/** Seconds from the first add until the queue has nothing waiting or running. */
async function timedQueue(q: Queue, add: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await add();
  for (;;) {
    const c = await q.getJobCounts('waiting', 'active', 'prioritized');
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0) break;
    await sleep(20);
  }
  return (performance.now() - t0) / 1000;
}
const timed = (app: App, q: 'sync', add: () => Promise<void>) => timedQueue(app.queues[q], add);

// -- push latency ---------------------------------------------------------------------------------
async function runPush(
  kind: DbKind,
  o: ScaleOptions,
  parentEnv: Record<string, string | undefined>,
): Promise<DbResult['push']> {
  const p = o.push!;
  const fresh = await freshDb(kind);
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...parentEnv,
    ...fresh.env,
    QUEUE_PREFIX: `bench-push-${kind}-${randomBytes(3).toString('hex')}`,
    SYNC_INTERVAL: 'PT1H',
    PUBLIC_WEBHOOK_URL: `http://127.0.0.1:${port}`,
    BENCH_WEBHOOK_PORT: String(port),
  };
  const config = parseConfig(defined(env));
  const app = await createApp({ config, db: fresh.db, log: pino({ level: 'silent' }) });
  let worker: Child | undefined;
  try {
    const emails: string[] = [];
    for (const k of ['google', 'microsoft'] as Kind[]) {
      const seeded = await o.sandbox.call<{ email: string; refreshToken: string }[]>('seed', {
        kind: k,
        prefix: `push-${kind}-`,
        from: 0,
        count: p.accounts / 2,
        events: 3,
      });
      for (const s of seeded) {
        await addAccount(app, {
          provider: k,
          refreshToken: s.refreshToken,
          email: s.email,
          name: 'Bench User',
        });
        emails.push(s.email);
      }
    }
    worker = await startChild(WORKER, env, { plain: true });
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const open = await app.prisma.calendar.count({
        where: { selected: true, watchChannelId: { not: null } },
      });
      const synced = await app.prisma.account.count({ where: { lastSyncAt: { not: null } } });
      if (open >= emails.length && synced >= emails.length) break;
      await sleep(200);
    }
    await drained(app, ['sync', 'plan', 'actions'], 60_000);
    const p50: number[] = [];
    const p95: number[] = [];
    const p99: number[] = [];
    const chatP95: number[] = [];
    let changes = 0;
    let missing = 0;
    const day0 = Date.now() + 3 * 86_400_000;
    for (let run = 0; run < p.runs; run++) {
      const made: { title: string; at: number }[] = [];
      for (let i = 0; i < p.changes; i++) {
        const email = emails[i % emails.length]!;
        const contact = { email: `push${run}-${i}@mentors.example`, name: `Mentor R${run}N${i}` };
        // Each a new one-to-one chat, on its own half hour.
        const start = new Date(Math.ceil(day0 / 1_800_000) * 1_800_000 + (run * p.changes + i) * 1_800_000);
        const r = await o.sandbox.call<{ at: number }>('addChat', {
          email,
          start: start.toISOString(),
          contact,
        });
        made.push({ title: `Coffee chat with ${contact.name}`, at: r.at });
        // Spaced so that latency, not a backlog, is measured (and below the webhook listener's
        // per-client rate of 20/s: one sandbox posts every notification).
        await sleep(p.spacingMs);
      }
      // Wait for the chats and their confirmation jobs, then read when each happened.
      const lat: number[] = [];
      const chatLat: number[] = [];
      const deadline = Date.now() + 60_000;
      let chats: { id: string; title: string; createdAt: Date }[] = [];
      while (Date.now() < deadline) {
        chats = await app.prisma.chat.findMany({
          where: { title: { in: made.map((m) => m.title) } },
          select: { id: true, title: true, createdAt: true },
        });
        if (chats.length >= made.length) break;
        await sleep(250);
      }
      await drained(app, ['sync', 'plan'], 60_000);
      for (const m of made) {
        const chat = chats.find((c) => c.title === m.title);
        if (!chat) {
          missing++;
          continue;
        }
        chatLat.push(chat.createdAt.getTime() - m.at);
        const job = await app.queues.actions.getJob(`confirmation-${chat.id}`);
        if (!job) {
          missing++;
          continue;
        }
        lat.push(job.timestamp - m.at);
      }
      changes += made.length;
      p50.push(pct(lat, 50));
      p95.push(pct(lat, 95));
      p99.push(pct(lat, 99));
      chatP95.push(pct(chatLat, 95));
      o.log(
        `   [${kind}] push run ${run + 1}: ${lat.length}/${made.length} changes → chat in database → confirmation job queued: p50 ${pct(lat, 50)} ms, p95 ${pct(lat, 95)} ms, p99 ${pct(lat, 99)} ms (chat in database p95 ${pct(chatLat, 95)} ms)`,
      );
    }
    return {
      p50Ms: stat(p50),
      p95Ms: stat(p95),
      p99Ms: stat(p99),
      chatP95Ms: stat(chatP95),
      changes,
      missing,
    };
  } finally {
    await worker?.stop().catch(() => undefined);
    for (const q of Object.values(app.queues)) await q.obliterate({ force: true }).catch(() => undefined);
    await app.close().catch(() => undefined);
    await fresh.dispose().catch(() => undefined);
  }
}

export { rssBytes };
