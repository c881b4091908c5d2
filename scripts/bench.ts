// `npm run bench`: the benchmark (not a test). Prints figures measured in ONE run on this machine,
// on the embedded database (a fresh temporary DATA_DIR) and a throwaway Redis (or REDIS_URL):
//   1. provider calls per idle incremental sync, per calendar (goal: exactly 1);
//   2. provider calls per changed (rescheduled) chat: the sync, and everything the change causes
//      (prep block moved, unedited confirmation draft refreshed) (goal: ≤ 2 Google, ≤ 3 Graph);
//   3. throughput of one full sync of many accounts by the real worker, peak RSS, and the
//      sandbox's memory for 10,000 seeded accounts per provider (a child process, seed only);
//   4. thank-you drafts created per second through the real create-draft path.
// Options: --accounts N (per provider, phase 3; default 1000), --idle-syncs N (20), --moves N (3),
// --drafts N (200, split between providers), --sandbox-accounts N (max(10000, --accounts)),
// --time-limit S (per timed phase; default 150), --skip-scale.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { addAccount } from '../worker/core/accounts.ts';
import { createDraft } from '../worker/jobs/create-draft.ts';
import { syncAccount } from '../worker/jobs/sync-account.ts';
import { startWorker } from '../worker/runtime.ts';
import { startLocalRedis, type LocalRedis } from '../worker/services/local-redis.ts';
import { ensureSandboxTls } from '../sandbox/tls.ts';
import { drainDueJobs, isTokenEndpoint, pool, startBenchStack, sum, type BenchStack } from './bench/stack.ts';
import { HOUR, seedAccount, seedChat, seedWeek, type Kind, type SeededAccount } from './bench/seed.ts';

const KINDS: Kind[] = ['google', 'microsoft'];
const LABEL: Record<Kind, string> = { google: 'Google', microsoft: 'Microsoft' };
const CHANGED_CHAT_GOAL: Record<Kind, number> = { google: 2, microsoft: 3 };
const domain = (k: Kind) => (k === 'google' ? 'gmail.example' : 'contoso.example');

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000' },
    'idle-syncs': { type: 'string', default: '20' },
    moves: { type: 'string', default: '3' },
    drafts: { type: 'string', default: '200' },
    'sandbox-accounts': { type: 'string' },
    'time-limit': { type: 'string', default: '150' },
    'skip-scale': { type: 'boolean', default: false },
  },
});
const int = (v: string | undefined, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: --${name} must be a positive integer, got "${v}"\n`);
    process.exit(2);
  }
  return n;
};
const OPT = {
  accounts: int(args.accounts, 'accounts'),
  idleSyncs: int(args['idle-syncs'], 'idle-syncs'),
  moves: int(args.moves, 'moves'),
  drafts: int(args.drafts, 'drafts'),
  timeLimitMs: int(args['time-limit'], 'time-limit') * 1000,
  skipScale: args['skip-scale'] ?? false,
  sandboxAccounts: 0,
};
OPT.sandboxAccounts = args['sandbox-accounts']
  ? int(args['sandbox-accounts'], 'sandbox-accounts')
  : Math.max(10_000, OPT.accounts);

// ---------------------------------------------------------------------------------------------

const out = (s = '') => process.stdout.write(`${s}\n`);
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });
const fmt = (n: number, digits = 2) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const endpoints = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([ep, n]) => `${n}× ${ep}`)
    .join('\n') || '—';
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const api = (c: Record<string, number>) => sum(c, (ep) => !isTokenEndpoint(ep));
const tokens = (c: Record<string, number>) => sum(c, isTokenEndpoint);

async function main(): Promise<number> {
  const started = Date.now();
  out('coffee-chat benchmark — figures from one run on this machine (ratios, not absolute promises)');
  out(
    `  node ${process.version}, ${cpus().length} CPU(s), embedded PGlite in a fresh temp DATA_DIR, provider sandbox in process`,
  );
  let redis: LocalRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startLocalRedis();
    redisUrl = redis.url;
  }
  out(`  redis ${redis ? `throwaway redis-server at ${redisUrl}` : redisUrl}`);
  out(
    `  options: --accounts ${OPT.accounts} --idle-syncs ${OPT.idleSyncs} --moves ${OPT.moves} --drafts ${OPT.drafts} --sandbox-accounts ${OPT.sandboxAccounts} --time-limit ${OPT.timeLimitMs / 1000}`,
  );

  try {
    const s = await startBenchStack({ redisUrl, tlsDir });
    try {
      await idleSyncPhase(s);
      await changedChatPhase(s);
      await draftPhase(s);
    } finally {
      await s.close();
    }
    if (!OPT.skipScale) {
      const s3 = await startBenchStack({ redisUrl, tlsDir });
      try {
        await scalePhase(s3);
      } finally {
        await s3.close();
      }
      await sandboxMemoryPhase();
    }
  } finally {
    await redis?.stop().catch(() => undefined);
  }
  out(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
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
    for (let k = 0; k < OPT.idleSyncs; k++) {
      for (const id of ids) full += (await syncAccount(s.app, id)).fullSyncs;
    }
    const factory = s.calls.since(snap, emails);
    const sandbox = s.sandboxCalls(idx, emails);
    const calSyncs = OPT.idleSyncs * calendars;
    const per = api(factory) / calSyncs;
    const agree = api(factory) === api(sandbox);
    t.push([
      LABEL[kind],
      `${OPT.idleSyncs * ids.length} × ${calendars / ids.length} = ${calSyncs} calendar syncs`,
      api(factory),
      `${api(sandbox)}${agree ? '' : ' (DIFFERS)'}`,
      tokens(factory),
      fmt(per),
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

// 3 -------------------------------------------------------------------------------------------
async function scalePhase(s: BenchStack) {
  const k = OPT.accounts;
  out(
    `\n4. One full sync of many accounts by the real worker (startWorker, concurrency as configured: sync 4, plan 4, actions 8)`,
  );
  out(
    `   ${k} Google + ${k} Microsoft accounts, each a week of 5 ordinary meetings; a fresh database and sandbox.`,
  );
  const t = table(['step', 'figure']);
  const now = new Date();
  let t0 = performance.now();
  const seeded: SeededAccount[] = [];
  // Interleaved, so that a run cut short by the time limit has synced both providers alike.
  for (let i = 0; i < k; i++) {
    for (const kind of KINDS) {
      const a = seedAccount(s.sandbox, kind, `u${i}@${domain(kind)}`);
      seedWeek(a, now, 5);
      seeded.push(a);
    }
  }
  t.push([
    'seed sandbox',
    `${seeded.length} accounts, ${seeded.length * 5} events in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  ]);

  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  try {
    t0 = performance.now();
    let connected = 0;
    const deadline = Date.now() + OPT.timeLimitMs;
    await pool(seeded, 8, async (a) => {
      if (Date.now() > deadline) return;
      await connect(s, a);
      connected++;
    });
    const connectMs = performance.now() - t0;
    t.push([
      'connect (addAccount: token check, profile, zone, store, schedule)',
      `${connected} accounts in ${(connectMs / 1000).toFixed(1)} s = ${fmt(connected / (connectMs / 1000), 1)} accounts/s (8 at once)${connected < seeded.length ? ' — TIME LIMIT HIT' : ''}`,
    ]);

    const snap = s.calls.snapshot();
    const idx = s.sandbox.requests.length;
    t0 = performance.now();
    const worker = await startWorker(s.app);
    const readyMs = performance.now() - t0;
    let synced = 0;
    const progress: { ms: number; synced: number }[] = [];
    const syncDeadline = Date.now() + OPT.timeLimitMs;
    try {
      for (;;) {
        synced = await s.app.prisma.calendar.count({ where: { lastFullSyncAt: { not: null } } });
        progress.push({ ms: performance.now() - t0, synced });
        if (synced >= connected || Date.now() > syncDeadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      const wallMs = performance.now() - t0;
      const byKind = await s.app.prisma.calendar
        .groupBy({ by: ['accountId'], where: { lastFullSyncAt: { not: null } } })
        .then(async (rows) => {
          const kinds = await s.app.prisma.account.findMany({
            where: { id: { in: rows.map((r) => r.accountId) } },
            select: { provider: true },
          });
          return KINDS.map((kd) => `${LABEL[kd]} ${kinds.filter((x) => x.provider === kd).length}`).join(
            ', ',
          );
        });
      // The rate in the first and the last fifth of the sampled span (it should not fall as
      // more accounts are synced).
      const first = progress[0]!;
      const last = progress[progress.length - 1]!;
      const fifth = (last.ms - first.ms) / 5;
      const rateBetween = (a: number, b: number) => {
        const p0 = progress.find((p) => p.ms >= a) ?? first;
        const p1 = [...progress].reverse().find((p) => p.ms <= b) ?? last;
        return p1.ms > p0.ms ? (p1.synced - p0.synced) / ((p1.ms - p0.ms) / 1000) : 0;
      };
      // Per job name, from the completed jobs BullMQ keeps: count and processing time.
      const jobStats = new Map<string, { n: number; ms: number; max: number }>();
      for (const q of ['sync', 'plan', 'actions'] as const) {
        for (const job of await s.app.queues[q].getJobs(['completed'])) {
          if (!job) continue;
          const st = jobStats.get(job.name) ?? { n: 0, ms: 0, max: 0 };
          const d = (job.finishedOn ?? 0) - (job.processedOn ?? 0);
          st.n += 1;
          st.ms += d;
          st.max = Math.max(st.max, d);
          jobStats.set(job.name, st);
        }
      }
      const events = await s.app.prisma.event.count();
      const c = s.calls.since(snap);
      const sbx = s.sandboxCalls(
        idx,
        seeded.map((a) => a.email),
      );
      t.push([
        'full sync of all accounts (worker start → every calendar fully synced)',
        `${synced}/${connected} accounts in ${(wallMs / 1000).toFixed(1)} s${synced < connected ? ' — TIME LIMIT HIT' : ''} (startWorker itself took ${(readyMs / 1000).toFixed(1)} s: it upserts 2 job schedulers per account; jobs run meanwhile)`,
      ]);
      t.push([
        'accounts / s',
        `${fmt(synced / (wallMs / 1000), 1)} overall (${byKind}); after startWorker: first fifth ${fmt(rateBetween(first.ms, first.ms + fifth), 1)}/s, last fifth ${fmt(rateBetween(last.ms - fifth, last.ms), 1)}/s`,
      ]);
      t.push([
        'events / s (rows in the events table / wall time)',
        `${fmt(events / (wallMs / 1000), 1)} (${events} events)`,
      ]);
      t.push([
        'provider calls during the sync',
        `${api(c)} API + ${tokens(c)} token (sandbox log: ${api(sbx)} API) = ${fmt(api(c) / Math.max(1, synced))} API calls / account`,
      ]);
      t.push(['endpoints', endpoints(c)]);
      t.push([
        'jobs completed (BullMQ completed set): count, mean / max processing time',
        [...jobStats]
          .map(([name, st]) => `${name}: ${st.n}, ${fmt(st.ms / st.n, 0)} / ${st.max} ms`)
          .join('\n') || '—',
      ]);
      const closing = performance.now();
      await worker.close();
      t.push([
        'worker close (drains in-flight jobs)',
        `${((performance.now() - closing) / 1000).toFixed(1)} s`,
      ]);
    }
  } finally {
    clearInterval(sampler);
  }
  t.push([
    'RSS of the bench process (worker, embedded PGlite, sandbox: one process), sampled every 200 ms',
    `${mb(startRss)} before connecting → peak ${mb(peakRss)} (+${mb(peakRss - startRss)})`,
  ]);
  out(t.toString());
}

async function sandboxMemoryPhase() {
  const n = OPT.sandboxAccounts;
  out(
    `\n5. Sandbox alone: ${n} Google + ${n} Microsoft accounts, 5 events each, seeded (no sync), in a child process (GC forced before reading)`,
  );
  const script = join(import.meta.dirname, 'bench', 'sandbox-memory.ts');
  const child = spawn(
    process.execPath,
    [...process.execArgv.filter((a) => a !== '--expose-gc'), '--expose-gc', script, String(n), tlsDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  let text = '';
  child.stdout.on('data', (b) => (text += String(b)));
  const timer = setTimeout(() => child.kill('SIGKILL'), OPT.timeLimitMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  const line = text.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) {
    out(`   the child failed (exit ${code}): ${text.slice(0, 500)}`);
    return;
  }
  type Part = {
    seedMs: number;
    heapDeltaBytes: number;
    rssDeltaBytes: number;
    lastAccount: string;
    lastAccountTokenStatus: number;
    lastAccountTokenMs: number;
  };
  const r = JSON.parse(line) as {
    accounts: number;
    gcExposed: boolean;
    baseRssBytes: number;
    totalRssBytes: number;
    totalHeapBytes: number;
  } & Record<Kind, Part>;
  const t = table([
    'provider',
    'seed time',
    'heap growth',
    'per account',
    'RSS growth',
    'last account answers',
  ]);
  for (const kind of KINDS) {
    const p = r[kind];
    t.push([
      LABEL[kind],
      `${(p.seedMs / 1000).toFixed(2)} s (${fmt(r.accounts / (p.seedMs / 1000), 0)} accounts/s)`,
      mb(p.heapDeltaBytes),
      `${(p.heapDeltaBytes / r.accounts / 1024).toFixed(1)} KB`,
      mb(p.rssDeltaBytes),
      `token refresh ${p.lastAccountTokenStatus} in ${p.lastAccountTokenMs.toFixed(0)} ms`,
    ]);
  }
  t.push([
    'total',
    '',
    mb(r.totalHeapBytes),
    '',
    `RSS ${mb(r.baseRssBytes)} → ${mb(r.totalRssBytes)}`,
    r.gcExposed ? '' : '(no --expose-gc: figures include garbage)',
  ]);
  out(t.toString());
}

// ---------------------------------------------------------------------------------------------
// Graph is served over HTTPS; Node reads NODE_EXTRA_CA_CERTS only at start-up, so (like
// scripts/run-tests.ts and the demo) this re-runs itself once with the sandbox certificate trusted.
const tlsDir = process.env.SANDBOX_TLS_DIR ?? mkdtempSync(join(tmpdir(), 'coffee-chat-tls-'));
const tls = await ensureSandboxTls(tlsDir);
if (process.env.NODE_EXTRA_CA_CERTS !== tls.certPath) {
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SANDBOX_TLS_DIR: tlsDir, NODE_EXTRA_CA_CERTS: tls.certPath },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.exitCode = await main();
  process.exit(process.exitCode);
}
