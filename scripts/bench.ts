// `npm run bench`: the benchmark (not a test). Prints figures measured in ONE run on this machine
// and writes them to bench/results.json (median, min and max of several runs each; ratios taken
// inside one run). A throwaway Redis (or REDIS_URL); the embedded database and, when
// TEST_DATABASE_URL is set or `initdb` is installed, a throwaway PostgreSQL, side by side.
//   1. provider calls per idle incremental sync, per calendar (goal: exactly 1);
//   2. provider calls per changed (rescheduled) chat, and where each goes;
//   3. thank-you drafts created per second through the real create-draft path;
//      (1–3 run in this process on a small stack: they count calls, not time)
//   4. per database, with the sandbox, the worker(s) and the floor each in a process of its own
//      (scripts/bench/scale.ts): N accounts (half per provider) seeded and synced once; worker
//      start time; idle sync jobs/s beside a bare BullMQ job doing the same I/O (one GET to the
//      sandbox, one UPDATE of one row) and beside bare no-op jobs, same concurrency, round by
//      round; the same idle syncs on 3 worker processes (one Redis, one database) and where the
//      CPU went; the idle sweep at SYNC_INTERVAL (lag, jobs/s, the worker's RSS and CPU); push
//      latency (change → chat in the database → confirmation job queued);
//   5. Redis bytes per pending thank-you / check-in job.
// --quick: 1,000 accounts, 10,000 pending jobs, the embedded database only (--db both adds
// PostgreSQL), the sweep at an interval shortened in proportion to the accounts (PT30S: the same
// jobs/s as 10,000 at PT5M), one push run of changes 100 ms apart; the same keys in
// bench/results.json, in under 3 minutes.
// Options (full run defaults in brackets): --accounts N [10000] --events N per account [5; --quick 2] --rounds N [3] --round-jobs N
// [2000] --sweep-interval ISO [PT5M] --sweep-intervals N [3] --sweep-db embedded|postgres|both|none
// [both] --db embedded|postgres|both [both] --push-changes N [200] --push-runs N [3] --push-spacing-ms N [250] --pending N
// [100000] --pending-runs N [3] --idle-syncs N [20] --moves N [3] --drafts N [200] --out FILE.
// BENCH_WORKER_LOG_LEVEL=info shows the worker processes' own log (default: errors only).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { Duration } from 'luxon';
import { addAccount } from '../worker/core/accounts.ts';
import { createDraft } from '../worker/jobs/create-draft.ts';
import { syncAccount } from '../worker/jobs/sync-account.ts';
import { trackDrafts } from '../worker/jobs/track-drafts.ts';
import { startLocalRedis, type LocalRedis } from '../worker/services/local-redis.ts';
import { ensureSandboxTls } from '../sandbox/tls.ts';
import { ensureBuilt } from './ensure-built.ts';
import { postgresAvailable } from '../test/helpers/db.ts';
import { stopTestPostgres } from '../test/helpers/postgres.ts';
import { drainDueJobs, isTokenEndpoint, pool, startBenchStack, sum, type BenchStack } from './bench/stack.ts';
import { HOUR, seedAccount, seedChat, seedWeek, type Kind, type SeededAccount } from './bench/seed.ts';
import { startChild } from './bench/ipc.ts';
import { runDbPhase, stat, type DbKind, type DbResult, type Stat } from './bench/scale.ts';
import { pendingRun, type PendingRun } from './bench/pending.ts';
import { MAX_PLANNED_PER_ACCOUNT } from '../worker/pipeline/chat-waiting.ts';
import { countStatements } from './bench/sql-count.ts';

const KINDS: Kind[] = ['google', 'microsoft'];
const LABEL: Record<Kind, string> = { google: 'Google', microsoft: 'Microsoft' };
const CHANGED_CHAT_GOAL: Record<Kind, number> = { google: 2, microsoft: 3 };
const domain = (k: Kind) => (k === 'google' ? 'gmail.example' : 'contoso.example');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    accounts: { type: 'string' },
    events: { type: 'string' },
    rounds: { type: 'string' },
    'round-jobs': { type: 'string' },
    'sweep-interval': { type: 'string' },
    'sweep-intervals': { type: 'string' },
    'sweep-db': { type: 'string' },
    db: { type: 'string' },
    'push-changes': { type: 'string' },
    'push-runs': { type: 'string' },
    'push-spacing-ms': { type: 'string' },
    pending: { type: 'string' },
    'pending-runs': { type: 'string' },
    'idle-syncs': { type: 'string', default: '20' },
    moves: { type: 'string', default: '3' },
    drafts: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results.json' },
  },
});
const fail = (msg: string): never => {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
};
const int = (v: string | undefined, name: string, dflt: number) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${v}"`);
  return n;
};
const which = (v: string | undefined, name: string, dflt: string, allowed: string[]) => {
  const x = v ?? dflt;
  if (!allowed.includes(x)) fail(`--${name} must be one of ${allowed.join(', ')}, got "${x}"`);
  return x;
};
const Q = args.quick ?? false;
const sweepIso = args['sweep-interval'] ?? (Q ? 'PT30S' : 'PT5M');
const sweepMs = Duration.fromISO(sweepIso).toMillis();
if (!Number.isFinite(sweepMs) || sweepMs < 1000)
  fail(`--sweep-interval must be an ISO duration of 1 s or more, got "${sweepIso}"`);
const OPT = {
  quick: Q,
  accounts: int(args.accounts, 'accounts', Q ? 1_000 : 10_000),
  events: int(args.events, 'events', Q ? 2 : 5),
  rounds: int(args.rounds, 'rounds', 3),
  roundJobs: int(args['round-jobs'], 'round-jobs', Q ? 400 : 2_000),
  sweepMs,
  sweepIso,
  sweepIntervals: int(args['sweep-intervals'], 'sweep-intervals', Q ? 2 : 3),
  sweepDb: which(args['sweep-db'], 'sweep-db', Q ? 'embedded' : 'both', [
    'embedded',
    'postgres',
    'both',
    'none',
  ]),
  db: which(args.db, 'db', Q ? 'embedded' : 'both', ['embedded', 'postgres', 'both']),
  pushChanges: int(args['push-changes'], 'push-changes', 200),
  pushRuns: int(args['push-runs'], 'push-runs', Q ? 1 : 3),
  pushSpacingMs: int(args['push-spacing-ms'], 'push-spacing-ms', Q ? 100 : 250),
  pending: int(args.pending, 'pending', Q ? 10_000 : 100_000),
  pendingRuns: int(args['pending-runs'], 'pending-runs', 3),
  idleSyncs: int(args['idle-syncs'], 'idle-syncs', 20),
  moves: int(args.moves, 'moves', 3),
  drafts: int(args.drafts, 'drafts', 200),
  out: args.out ?? 'bench/results.json',
};

/**
 * Push runs' accounts (even: half per provider), at least 20. Changes go round the accounts, so
 * each gets up to ceil(changes / accounts) chats a run, and all runs' must fit under the cap.
 */
function pushAccounts(changes: number, runs: number): number {
  if (runs > MAX_PLANNED_PER_ACCOUNT)
    fail(`--push-runs must be at most ${MAX_PLANNED_PER_ACCOUNT} (upcoming chats planned per account)`);
  const perRun = Math.floor(MAX_PLANNED_PER_ACCOUNT / runs);
  return Math.max(20, 2 * Math.ceil(Math.ceil(changes / perRun) / 2));
}

// ---------------------------------------------------------------------------------------------

const BENCH_T0 = performance.now();
const out = (s = '') => process.stdout.write(`${s}\n`);
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });
const fmt = (n: number, digits = 2) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
const endpoints = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([ep, n]) => `${n}× ${ep}`)
    .join('\n') || '—';
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const api = (c: Record<string, number>) => sum(c, (ep) => !isTokenEndpoint(ep));
const tokens = (c: Record<string, number>) => sum(c, isTokenEndpoint);
const sfmt = (s: Stat | undefined, digits = 1, unit = '') =>
  !s || s.n === 0
    ? '—'
    : s.n === 1
      ? `${s.median.toFixed(digits)}${unit}`
      : `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, ${s.n} runs)`;

/** What the small in-process phases found, for results.json. */
const found: {
  idleCallsPerCalendar: Partial<Record<Kind, number>>;
  /** SQL statements per idle account sync (2 calendars): the floor's is 1 per account. */
  idleSqlPerSync: Partial<Record<Kind, number>>;
  idleSqlPerTrack: Partial<Record<Kind, number>>;
  changedChat: Partial<Record<Kind, { calls: number; endpoints: Record<string, number> }>>;
} = { idleCallsPerCalendar: {}, idleSqlPerSync: {}, idleSqlPerTrack: {}, changedChat: {} };

function loadNote(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`;
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const loadBefore = loadNote();
  out('coffee-chat benchmark — figures from one run on this machine (ratios, not absolute promises)');
  out(
    `  node ${process.version}, ${cpus().length} CPU(s), ${(totalmem() / 1024 ** 3).toFixed(1)} GB; ${loadBefore}`,
  );
  let redis: LocalRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startLocalRedis();
    redisUrl = redis.url;
  }
  out(`  redis ${redis ? `throwaway redis-server at ${redisUrl}` : redisUrl}`);
  out(`  options: ${JSON.stringify(OPT)}`);
  const dbs: DbKind[] = OPT.db === 'both' ? ['embedded', 'postgres'] : [OPT.db as DbKind];
  let pgNote = '';
  if (dbs.includes('postgres') && !(await postgresAvailable())) {
    dbs.splice(dbs.indexOf('postgres'), 1);
    pgNote = 'PostgreSQL unavailable (set TEST_DATABASE_URL or install initdb): embedded only';
    out(`  ${pgNote}`);
  }
  const results: DbResult[] = [];
  const pending: PendingRun[] = [];
  try {
    const s = await startBenchStack({ redisUrl, tlsDir });
    try {
      await idleSyncPhase(s);
      await changedChatPhase(s);
      await draftPhase(s);
    } finally {
      await s.close();
    }
    out(
      `\n4. At scale, each part in its own process: ${OPT.accounts} accounts (half per provider, ${OPT.events} events each)`,
    );
    const sandbox = await startChild(
      join(import.meta.dirname, 'bench', 'sandbox-proc.ts'),
      {},
      { args: [tlsDir] },
    );
    try {
      const sandboxEnv = (sandbox.ready as { env: Record<string, string> }).env;
      for (const kind of dbs) {
        const sweepHere = OPT.sweepDb === 'both' || OPT.sweepDb === kind;
        results.push(
          await runDbPhase(kind, {
            accounts: OPT.accounts,
            events: OPT.events,
            rounds: OPT.rounds,
            roundJobs: OPT.roundJobs,
            sweep: sweepHere ? { intervalMs: OPT.sweepMs, intervals: OPT.sweepIntervals } : null,
            scaleout: true,
            push: {
              changes: OPT.pushChanges,
              runs: OPT.pushRuns,
              // The product plans at most MAX_PLANNED_PER_ACCOUNT upcoming chats per account (the
              // rest wait): enough accounts that every run's chats are planned.
              accounts: pushAccounts(OPT.pushChanges, OPT.pushRuns),
              spacingMs: OPT.pushSpacingMs,
            },
            redisUrl,
            redisPid: redis?.pid ?? 0,
            sandbox,
            sandboxEnv,
            // Each line with the seconds since the bench started (where the time goes).
            log: (line = '') =>
              out(line ? `${line}  [${((performance.now() - BENCH_T0) / 1000).toFixed(0)} s]` : line),
          }),
        );
      }
      const mem = await sandbox.call<{ rss: number; heapUsed: number }>('memory');
      out(
        `   sandbox process at the end: RSS ${(mem.rss / 1024 ** 2).toFixed(0)} MB, heap ${(mem.heapUsed / 1024 ** 2).toFixed(0)} MB`,
      );
    } finally {
      await sandbox.stop();
      await stopTestPostgres().catch(() => undefined);
    }
    out(
      `\n5. Redis bytes per pending job: ${OPT.pending} thank-you / check-in jobs, ${OPT.pendingRuns} runs`,
    );
    for (let r = 0; r < OPT.pendingRuns; r++) {
      const p = await pendingRun(redisUrl, OPT.pending);
      pending.push(p);
      out(
        `   run ${r + 1}: used_memory +${(p.usedMemoryDelta / 1024 ** 2).toFixed(1)} MB = ${p.bytesPerJob.toFixed(0)} bytes per job (one job's hash: ${p.jobHashBytes} bytes; added in ${p.addS.toFixed(1)} s)`,
      );
    }
  } finally {
    await redis?.stop().catch(() => undefined);
  }
  const loadAfter = loadNote();
  const summary = report(results, pending, {
    loadBefore,
    loadAfter,
    pgNote,
    seconds: (Date.now() - started) / 1000,
  });
  mkdirSync(dirname(OPT.out), { recursive: true });
  writeFileSync(OPT.out, `${JSON.stringify(summary, null, 2)}\n`);
  out(`\nWrote ${OPT.out}. Done in ${((Date.now() - started) / 1000).toFixed(1)} s. ${loadAfter}`);
  return 0;
}

async function connect(s: BenchStack, a: SeededAccount): Promise<string> {
  const r = await addAccount(s.app, {
    provider: a.provider,
    refreshToken: a.refreshToken,
    email: a.email,
    name: 'Bench User',
  });
  return r.account.id;
}

// 1 -------------------------------------------------------------------------------------------
async function idleSyncPhase(s: BenchStack) {
  out(`\n1. Provider calls per idle incremental sync (goal: exactly 1 per calendar)`);
  out(`   2 accounts per provider, each watching 2 calendars (primary + a secondary one) with a few events;`);
  out(
    `   after the full sync, ${OPT.idleSyncs} idle syncs per account through syncAccount(). "factory" counts the`,
  );
  out(
    `   provider factory's onCall; "sandbox" counts the sandbox request log (API endpoints, token calls excluded).`,
  );
  const t = table([
    'provider',
    'syncs × calendars',
    'factory API calls',
    'sandbox API calls',
    'token calls',
    'calls / sync / calendar',
    'SQL / account sync',
    'SQL / send detection',
    'goal',
    'endpoints',
  ]);
  const now = new Date();
  for (const kind of KINDS) {
    const seeded: SeededAccount[] = [];
    for (let i = 0; i < 2; i++) {
      const a = seedAccount(s.sandbox, kind, `idle${i}@${domain(kind)}`);
      const side = a.addCalendar('Side projects');
      seedWeek(a, now, 5);
      seedWeek(a, now, 3, side);
      seeded.push(a);
    }
    const ids: string[] = [];
    for (const a of seeded) ids.push(await connect(s, a));
    for (const id of ids) await syncAccount(s.app, id); // discovers calendars, full sync of the primary
    await s.app.prisma.calendar.updateMany({ where: { accountId: { in: ids } }, data: { selected: true } });
    for (const id of ids) await syncAccount(s.app, id); // full sync of the secondary, primary incremental
    await drainDueJobs(s.app);
    const calendars = await s.app.prisma.calendar.count({
      where: { accountId: { in: ids }, selected: true },
    });
    const emails = seeded.map((a) => a.email);
    const snap = s.calls.snapshot();
    const idx = s.sandbox.requests.length;
    let full = 0;
    const { statements } = await countStatements(async () => {
      for (let k = 0; k < OPT.idleSyncs; k++) {
        for (const id of ids) full += (await syncAccount(s.app, id)).fullSyncs;
      }
    });
    // Send detection on the same accounts, nothing to follow (the sweep's other half).
    const tracked = await countStatements(async () => {
      for (let k = 0; k < OPT.idleSyncs; k++) for (const id of ids) await trackDrafts(s.app, id);
    });
    found.idleSqlPerTrack[kind] = tracked.statements / (OPT.idleSyncs * ids.length);
    const factory = s.calls.since(snap, emails);
    const sandbox = s.sandboxCalls(idx, emails);
    const calSyncs = OPT.idleSyncs * calendars;
    const per = api(factory) / calSyncs;
    const agree = api(factory) === api(sandbox);
    found.idleCallsPerCalendar[kind] = per;
    found.idleSqlPerSync[kind] = statements / (OPT.idleSyncs * ids.length);
    t.push([
      LABEL[kind],
      `${OPT.idleSyncs * ids.length} × ${calendars / ids.length} = ${calSyncs} calendar syncs`,
      api(factory),
      `${api(sandbox)}${agree ? '' : ' (DIFFERS)'}`,
      tokens(factory),
      fmt(per),
      fmt(statements / (OPT.idleSyncs * ids.length)),
      fmt(found.idleSqlPerTrack[kind]),
      `${met(per === 1 && agree && full === 0)}${full ? ` (${full} full resyncs!)` : ''}`,
      endpoints(factory),
    ]);
  }
  out(t.toString());
}

// 2 -------------------------------------------------------------------------------------------
async function changedChatPhase(s: BenchStack) {
  out(`\n2. Provider calls per changed chat (goal: ≤ 2 Google, ≤ 3 Graph)`);
  out(
    `   A 1:1 coffee chat 6 h ahead: after the first sync its prep block and its confirmation draft exist.`,
  );
  out(
    `   Then it is moved ${OPT.moves}× by +1 h in the sandbox (as in the provider's UI); each time: syncAccount(),`,
  );
  out(`   then every job it causes that is due now (plan-chat, create-prep, refresh-draft) runs through the`);
  out(`   worker's processors in process. Calls counted per account by onCall (API calls; tokens apart).`);
  const t = table([
    'provider',
    'sync calls / change',
    'total calls / change',
    'token calls',
    'sandbox API calls / change',
    'goal',
    'jobs run / change',
    'endpoints (all moves)',
  ]);
  const now = new Date();
  for (const kind of KINDS) {
    const a = seedAccount(s.sandbox, kind, `moved@${domain(kind)}`);
    seedWeek(a, now, 3);
    const contact = { email: `riley.${kind}@mentors.example`, name: 'Riley Mentor' };
    let start = new Date(Math.ceil((now.getTime() + 6 * HOUR) / 60_000) * 60_000);
    const eventId = seedChat(a, start, contact, 30);
    const accountId = await connect(s, a);
    await syncAccount(s.app, accountId);
    await drainDueJobs(s.app);
    const chat = await s.app.prisma.chat.findFirstOrThrow({
      where: { accountId },
      include: { drafts: true, entries: true },
    });
    const confirmation = chat.drafts.find((d) => d.kind === 'confirmation');
    const prep = chat.entries.find((e) => e.kind === 'prep');
    if (confirmation?.status !== 'created' || !prep?.providerEventId) {
      out(
        `   ${LABEL[kind]}: setup incomplete (confirmation ${confirmation?.status ?? 'missing'}, prep ${prep?.providerEventId ? 'made' : 'missing'}): skipped`,
      );
      continue;
    }
    const syncCalls: number[] = [];
    const totalCalls: number[] = [];
    const sandboxCalls: number[] = [];
    const jobs: string[] = [];
    let tokenCalls = 0;
    let verified = true;
    const all: Record<string, number> = {};
    for (let m = 0; m < OPT.moves; m++) {
      const hashBefore = (await s.app.prisma.draft.findUniqueOrThrow({ where: { id: confirmation.id } }))
        .contentHash;
      start = new Date(start.getTime() + HOUR);
      const snap = s.calls.snapshot();
      const idx = s.sandbox.requests.length;
      a.moveEvent(eventId, start, 30);
      await syncAccount(s.app, accountId);
      syncCalls.push(api(s.calls.since(snap, [a.email])));
      const ran = await drainDueJobs(s.app);
      jobs.push(ran.join(', '));
      const c = s.calls.since(snap, [a.email]);
      totalCalls.push(api(c));
      tokenCalls += tokens(c);
      sandboxCalls.push(api(s.sandboxCalls(idx, [a.email])));
      for (const [ep, n] of Object.entries(c)) all[ep] = (all[ep] ?? 0) + n;
      // The change really went through: the prep block ends at the new start, the draft was rewritten.
      const entry = await s.app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: prep.id } });
      const draft = await s.app.prisma.draft.findUniqueOrThrow({ where: { id: confirmation.id } });
      if (entry.endUtc.getTime() !== start.getTime() || draft.contentHash === hashBefore) verified = false;
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const worst = Math.max(...totalCalls);
    found.changedChat[kind] = {
      calls: stat(totalCalls).median,
      endpoints: Object.fromEntries(Object.entries(all).map(([ep, n]) => [ep, n / OPT.moves])),
    };
    t.push([
      LABEL[kind],
      `${fmt(mean(syncCalls))} (max ${Math.max(...syncCalls)})`,
      `${fmt(mean(totalCalls))} (max ${worst})`,
      tokenCalls,
      `${fmt(mean(sandboxCalls))}`,
      `≤ ${CHANGED_CHAT_GOAL[kind]}: total ${met(worst <= CHANGED_CHAT_GOAL[kind])}, sync alone ${met(Math.max(...syncCalls) <= CHANGED_CHAT_GOAL[kind])}${verified ? '' : '\n(prep/draft NOT updated!)'}`,
      [...new Set(jobs)].join('\n'),
      endpoints(all),
    ]);
  }
  out(t.toString());
}

// 4 (runs on the first stack, printed third) ---------------------------------------------------
async function draftPhase(s: BenchStack) {
  out(
    `\n3. Thank-you drafts through the real create-draft path (createDraft(), concurrency 8 = the actions queue's)`,
  );
  const per = Math.max(1, Math.floor(OPT.drafts / KINDS.length));
  out(
    `   ${per} chats per provider that ended 2–3 h ago, one account each; synced and planned first (not timed).`,
  );
  const t = table([
    'provider',
    'drafts',
    'created',
    'wall time',
    'drafts / s',
    'calls / draft',
    'in sandbox mailbox',
    'endpoints',
  ]);
  const now = Date.now();
  let allDrafts = 0;
  let allMs = 0;
  for (const kind of KINDS) {
    const a = seedAccount(s.sandbox, kind, `thanks@${domain(kind)}`);
    for (let i = 0; i < per; i++) {
      const start = new Date(Math.floor((now - 3 * HOUR + i * 30_000) / 1000) * 1000);
      seedChat(a, start, { email: `mentor${i}.${kind}@mentors.example`, name: `Mentor ${i}` }, 20);
    }
    const accountId = await connect(s, a);
    await syncAccount(s.app, accountId);
    await drainDueJobs(s.app, ['plan']);
    const keys = (
      await s.app.prisma.draft.findMany({
        where: { accountId, kind: 'thank_you', status: 'scheduled' },
        select: { idempotencyKey: true },
      })
    ).map((d) => d.idempotencyKey);
    const snap = s.calls.snapshot();
    let created = 0;
    const t0 = performance.now();
    await pool(keys, 8, async (key) => {
      const r = await createDraft(s.app, key);
      if (r.outcome === 'created') created++;
    });
    const ms = performance.now() - t0;
    allDrafts += created;
    allMs += ms;
    const c = s.calls.since(snap, [a.email]);
    const inMailbox = a.drafts().length;
    t.push([
      LABEL[kind],
      keys.length,
      created,
      `${(ms / 1000).toFixed(2)} s`,
      fmt(created / (ms / 1000), 1),
      fmt(api(c) / Math.max(1, created)),
      inMailbox,
      endpoints(c),
    ]);
  }
  t.push([
    'both',
    '',
    allDrafts,
    `${(allMs / 1000).toFixed(2)} s`,
    fmt(allDrafts / (allMs / 1000), 1),
    '',
    '',
    '',
  ]);
  out(t.toString());
}

// Summary and bench/results.json ------------------------------------------------------------------
const r1 = (x: number, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
const js = (s: Stat | undefined, d = 1) =>
  s && s.n ? { median: r1(s.median, d), min: r1(s.min, d), max: r1(s.max, d), runs: s.n } : null;

function report(
  results: DbResult[],
  pending: PendingRun[],
  run: { loadBefore: string; loadAfter: string; pgNote: string; seconds: number },
) {
  const per = <T>(f: (r: DbResult) => T) => Object.fromEntries(results.map((r) => [r.kind, f(r)]));
  const swept = results.filter((r) => r.sweep);
  const bytes = stat(pending.map((p) => p.bytesPerJob));
  const g = {
    floor: results.every((r) => r.idleOverFloor.median >= 0.5),
    lag: swept.length > 0 && swept.every((r) => r.sweep!.lagP95Ms.max < 30_000),
    rss: swept.length > 0 && swept.every((r) => r.sweep!.peakRssMb.max <= 300),
    cpu: swept.length > 0 && swept.every((r) => r.sweep!.cpuShare.max <= 0.5),
    scale: results.every((r) => (r.scaleout?.ratio.median ?? 0) >= 2.5),
    bytes: bytes.median <= 1024,
    start: results.every((r) => r.startWorkerMs.max < 5_000),
    push: results.every((r) => r.push !== null && r.push.missing === 0 && r.push.p95Ms.max <= 2_000),
    idle: KINDS.every((k) => found.idleCallsPerCalendar[k] === 1),
    google: (found.changedChat.google?.calls ?? Infinity) <= CHANGED_CHAT_GOAL.google,
    microsoft: (found.changedChat.microsoft?.calls ?? Infinity) <= CHANGED_CHAT_GOAL.microsoft,
  };
  const ceiling = (r: DbResult) => {
    const c = r.scaleout?.cpuCores;
    if (!c) return null;
    const busy = r.scaleout!.machineBusyCores.median;
    const parts = Object.entries(c)
      .filter(([k]) => k !== 'one worker (max)')
      .map(([k, v]) => `${k} ${v.median.toFixed(2)}`)
      .join(', ');
    return `${busy.toFixed(2)} of ${cpus().length} cores busy on the machine (everyone's work included); ours in cores: ${parts}`;
  };
  const summary = {
    idle_calls_per_calendar: { ...found.idleCallsPerCalendar, goal: 'exactly 1', met: g.idle },
    idle_sql_statements_per_account_sync: { ...found.idleSqlPerSync, calendars_per_account: 2 },
    idle_sql_statements_per_send_detection: { ...found.idleSqlPerTrack },
    sync_jobs_per_s: {
      ...per((r) => ({
        ...js(r.idleJobsPerS),
        ratio_to_floor: js(r.idleOverFloor, 2),
        ratio_to_noop: js(r.idleOverNoop, 3),
        worker_cpu_cores: js(r.idleWorker.cpuCores, 2),
      })),
      goal: 'idle sync ≥ 50% of the same-I/O floor',
      met: g.floor,
    },
    floor_jobs_per_s: per((r) => js(r.floorJobsPerS)),
    noop_jobs_per_s: per((r) => js(r.noopJobsPerS)),
    sweep_lag_p95_ms: {
      ...Object.fromEntries(
        swept.map((r) => [
          r.kind,
          {
            ...js(r.sweep!.lagP95Ms, 0),
            lag_p50_ms: js(r.sweep!.lagP50Ms, 0),
            sync_and_send_detection_jobs_per_s: js(r.sweep!.jobsPerS),
            scheduled_jobs_per_s: r1(r.sweep!.expectedJobsPerS),
            accounts: r.accounts,
            sync_interval: OPT.sweepIso,
            intervals: r.sweep!.perInterval.length,
          },
        ]),
      ),
      goal: 'p95 < 30000 ms at 10,000 accounts, SYNC_INTERVAL=PT5M',
      met: g.lag,
    },
    worker_rss_mb: {
      ...Object.fromEntries(
        swept.map((r) => [
          r.kind,
          {
            ...js(r.sweep!.peakRssMb, 0),
            measured: 'peak RSS of the worker process per sweep interval',
            // Where it is, by the worker's own process.memoryUsage() at the end of each interval.
            at_interval_end_mb: r.sweep!.perInterval.map((p) => ({
              rss: Math.round(p.memoryMb.rss),
              v8_heap_total: Math.round(p.memoryMb.heapTotal),
              v8_heap_used: Math.round(p.memoryMb.heapUsed),
              external: Math.round(p.memoryMb.external),
            })),
          },
        ]),
      ),
      goal: '≤ 300',
      met: g.rss,
    },
    worker_cpu_share: {
      ...Object.fromEntries(
        swept.map((r) => [
          r.kind,
          {
            ...js(r.sweep!.cpuShare, 3),
            measured: 'CPU seconds / wall seconds of the worker process per sweep interval (1 = one core)',
          },
        ]),
      ),
      goal: '≤ 0.5',
      met: g.cpu,
    },
    scaleout_ratio_3_workers: {
      ...per((r) =>
        r.scaleout
          ? { ...js(r.scaleout.ratio, 2), jobs_per_s_3_workers: js(r.scaleout.jobsPerS), ceiling: ceiling(r) }
          : null,
      ),
      goal: '≥ 2.5',
      met: g.scale,
    },
    redis_bytes_per_pending_job: {
      ...js(bytes, 0),
      jobs: OPT.pending,
      job_hash_bytes: js(stat(pending.map((p) => p.jobHashBytes)), 0),
      goal: '≤ 1024',
      met: g.bytes,
    },
    push_latency_p95_ms: {
      ...per((r) =>
        r.push
          ? {
              ...js(r.push.p95Ms, 0),
              p50_ms: js(r.push.p50Ms, 0),
              p99_ms: js(r.push.p99Ms, 0),
              chat_in_database_p95_ms: js(r.push.chatP95Ms, 0),
              changes: r.push.changes,
              missing: r.push.missing,
            }
          : null,
      ),
      goal: '≤ 2000',
      met: g.push,
    },
    calls_per_changed_chat_google: {
      calls: found.changedChat.google?.calls ?? null,
      endpoints: found.changedChat.google?.endpoints ?? null,
      goal: '≤ 2',
      met: g.google,
    },
    calls_per_changed_chat_microsoft: {
      calls: found.changedChat.microsoft?.calls ?? null,
      endpoints: found.changedChat.microsoft?.endpoints ?? null,
      goal: '≤ 3',
      met: g.microsoft,
    },
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? '',
      memory_gb: r1(totalmem() / 1024 ** 3),
      node: process.version,
      load_before: run.loadBefore,
      load_after: run.loadAfter,
      databases: results.map((r) => r.kind),
      note: run.pgNote || 'PostgreSQL: a throwaway local cluster (fsync off), as the tests use',
      quick: OPT.quick,
    },
    time: {
      at: new Date().toISOString(),
      run_seconds: r1(run.seconds, 0),
      worker_start_ms: {
        ...per((r) => ({
          startWorker: js(r.startWorkerMs, 0),
          process_ready: js(r.processReadyMs, 0),
          all_schedulers_in_redis: r1(r.schedulersReadyMs, 0),
          accounts: r.accounts,
        })),
        goal: 'startWorker < 5000 ms at 10,000 accounts',
        met: g.start,
      },
      first_full_sync: per((r) => ({
        seconds: r1(r.firstSync.s),
        accounts_per_s: r1(r.firstSync.accountsPerS),
        worker_cpu_cores: r1(r.firstSync.workerCpuCores, 2),
        worker_peak_rss_mb: r1(r.firstSync.workerPeakRssMb, 0),
      })),
    },
  };

  out('\n6. Summary (median of runs, min–max; goals from issue 14)');
  const t = table(['figure', ...results.map((r) => r.kind), 'goal']);
  const row = (name: string, f: (r: DbResult) => string, goal: string) =>
    t.push([name, ...results.map(f), goal]);
  row('accounts', (r) => String(r.accounts), '');
  row(
    'startWorker (every worker start in the run)',
    (r) => sfmt(r.startWorkerMs, 0, ' ms'),
    `< 5 s: ${met(g.start)}`,
  );
  row('all schedulers in Redis after start', (r) => `${(r.schedulersReadyMs / 1000).toFixed(1)} s`, '');
  row('first full sync', (r) => `${r.firstSync.accountsPerS.toFixed(1)} accounts/s`, '');
  row('idle sync jobs/s', (r) => sfmt(r.idleJobsPerS), '');
  row('  the worker meanwhile (cores)', (r) => sfmt(r.idleWorker.cpuCores, 2), '');
  row('same-I/O floor jobs/s', (r) => sfmt(r.floorJobsPerS), '');
  row('no-op jobs/s', (r) => sfmt(r.noopJobsPerS), '');
  row('idle sync / floor (per round)', (r) => sfmt(r.idleOverFloor, 2), `≥ 0.5: ${met(g.floor)}`);
  row('idle sync / no-op (per round)', (r) => sfmt(r.idleOverNoop, 3), '');
  row('3 workers / 1 worker (per round)', (r) => sfmt(r.scaleout?.ratio, 2), `≥ 2.5: ${met(g.scale)}`);
  row('  where the CPU went (cores)', (r) => ceiling(r) ?? '—', '');
  row(`sweep lag p50 (per interval)`, (r) => sfmt(r.sweep?.lagP50Ms, 0, ' ms'), '');
  row(`sweep lag p95 (per interval)`, (r) => sfmt(r.sweep?.lagP95Ms, 0, ' ms'), `< 30 s: ${met(g.lag)}`);
  row(
    'sweep sync + send-detection jobs/s',
    (r) => (r.sweep ? `${sfmt(r.sweep.jobsPerS)} (scheduled: ${r.sweep.expectedJobsPerS.toFixed(1)})` : '—'),
    '',
  );
  row('worker peak RSS in the sweep', (r) => sfmt(r.sweep?.peakRssMb, 0, ' MB'), `≤ 300 MB: ${met(g.rss)}`);
  row('worker CPU in the sweep (1 = one core)', (r) => sfmt(r.sweep?.cpuShare, 3), `≤ 0.5: ${met(g.cpu)}`);
  row('push latency p50', (r) => sfmt(r.push?.p50Ms, 0, ' ms'), '');
  row('push latency p95', (r) => sfmt(r.push?.p95Ms, 0, ' ms'), `≤ 2 s: ${met(g.push)}`);
  row('push latency p99', (r) => sfmt(r.push?.p99Ms, 0, ' ms'), '');
  out(t.toString());
  out(`   Redis bytes per pending job: ${sfmt(bytes, 0)} — goal ≤ 1 KB: ${met(g.bytes)}`);
  out(
    `   idle calls per calendar: ${KINDS.map((k) => `${LABEL[k]} ${found.idleCallsPerCalendar[k]}`).join(', ')} — ${met(g.idle)}`,
  );
  out(
    `   calls per changed chat: ${KINDS.map((k) => `${LABEL[k]} ${found.changedChat[k]?.calls}`).join(', ')} — Google ≤ 2: ${met(g.google)}, Graph ≤ 3: ${met(g.microsoft)}`,
  );
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Graph is served over HTTPS; Node reads NODE_EXTRA_CA_CERTS only at start-up, so (like
// scripts/run-tests.ts and the demo) this re-runs itself once with the sandbox certificate trusted.
ensureBuilt('the bench runs the worker compiled, as in production');
const tlsDir = process.env.SANDBOX_TLS_DIR ?? mkdtempSync(join(tmpdir(), 'coffee-chat-tls-'));
const tls = await ensureSandboxTls(tlsDir);
if (process.env.NODE_EXTRA_CA_CERTS !== tls.certPath) {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SANDBOX_TLS_DIR: tlsDir, NODE_EXTRA_CA_CERTS: tls.certPath },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.exitCode = await main();
  process.exit(process.exitCode);
}
