// `npm run soak [-- --quick] [-- --chats N] [-- --db embedded|postgres|both]`: the proof of issue 12 ("Postgres is the record").
// Against the provider sandbox, a real Redis with AOF and the database (the embedded one, and a
// real PostgreSQL when TEST_DATABASE_URL is set), three `coffee-chat worker` processes take chats
// on both providers through their whole life while this script tries to break them:
//   detected → confirmed → moved (to "now") or cancelled at random → ended → thanked (the user
//   sends the thank-you) → checked in,
// with a worker kill -9'd (and restarted) every few seconds, Redis restarted once and FLUSHALLed
// once (the reconciler must rebuild), 10% of provider requests failed (5xx, 429) or slowed, one
// outage of one provider, and hostile events (sandbox/hostile-events.ts) mixed in.
// At the end: a table, and bench/soak-results.json. Exit 1 unless 0 lost, 0 duplicated, 0 wrongly
// made, every hostile event skipped with a reason (or handled) and 0 crashes.
//
// Time is real (the workers read the machine's clock), so the life of a chat is compressed: a chat
// is first seen 3 h ahead (so it is confirmed at once), then moved to start within a minute and
// last 15 s; THANK_YOU_DELAY is 2 s and the check-in cadence 10 s. The provider outage (15 minutes
// in the issue) is scaled by the same idea: 60 s in the full run, 20 s with --quick (longer than
// the fast retries, so the long retry horizon and the reconciler carry the work through it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import Table from 'cli-table3';
import { addAccount } from '../worker/core/accounts.ts';
import { QUEUE_NAMES } from '../worker/queues/queues.ts';
import { freePort } from '../worker/services/local-redis.ts';
import { ensureSandboxTls } from '../sandbox/tls.ts';
import { seedMailbox, type Mailbox } from '../sandbox/scenario.ts';
import {
  EXPECTED,
  generateHostileEvents,
  placeHostileEvent,
  seededRandom,
  type PlacedHostileEvent,
} from '../sandbox/hostile-events.ts';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { ensureBuilt } from './ensure-built.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

// The workers run as production runs them: compiled (`npm run build`), with plain node.
const WORKER_ENTRY = join(ROOT, 'dist', 'worker', 'cli', 'main.js');

// The Graph half of the sandbox is HTTPS: Node trusts its certificate only if told at start-up.
if (!process.env.COFFEE_CHAT_SOAK_CHILD) {
  ensureBuilt('the soak runs the workers compiled, as in production');
  const tlsDir = process.env.SANDBOX_TLS_DIR ?? mkdtempSync(join(tmpdir(), 'coffee-chat-soak-tls-'));
  const tls = await ensureSandboxTls(tlsDir);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      SANDBOX_TLS_DIR: tlsDir,
      NODE_EXTRA_CA_CERTS: tls.certPath,
      COFFEE_CHAT_SOAK_CHILD: '1',
    },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((r) => child.on('exit', (c, s) => r(c ?? (s ? 1 : 0))));
  process.exit(code);
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** Chats per provider. */
const CHATS = Number(argValue('--chats') ?? (quick ? 50 : 1000));
const HOSTILE = Number(argValue('--hostile') ?? (quick ? 100 : 1000));
const SEED = Number(argValue('--seed') ?? 20261129);
const CHATS_PER_ACCOUNT = 10;
const WORKERS = 3;
const KILL_EVERY_MS = quick ? 8 * SEC : 6 * SEC;
const OUTAGE_MS = quick ? 20 * SEC : 60 * SEC;
const CANCEL_SHARE = 0.25;
const DEADLINE_MS = Number(argValue('--deadline-minutes') ?? (quick ? 8 : 60)) * MIN;

type Provider = 'google' | 'microsoft';
const PROVIDERS: Provider[] = ['google', 'microsoft'];

interface SoakChat {
  provider: Provider;
  box: Mailbox;
  eventId: string;
  contact: string;
  name: string;
  fate: 'move' | 'cancel';
  movedAt?: number;
}

interface RunResult {
  db: 'embedded' | 'postgres';
  chats: number;
  chats_moved: number;
  chats_cancelled: number;
  accounts: number;
  drafts_expected: number;
  drafts_present: number;
  lost: number;
  duplicated: number;
  wrongly_made: number;
  prep_blocks: number;
  hostile_events: number;
  hostile_skipped: number;
  hostile_handled: number;
  hostile_refused_by_provider: number;
  hostile_unexplained: number;
  crashes: number;
  worker_kills: number;
  redis_restarts: number;
  redis_flushes: number;
  faults_injected: number;
  outage_ms: number;
  provider_requests: number;
  max_queue_lag_ms: number;
  worker_rss_mb: number;
  duration_s: number;
  load_average: number[];
  /** The ten most requested provider endpoints, with their counts (where the requests went). */
  busiest_endpoints: Record<string, number>;
  problems: string[];
}

const log = (msg: string) =>
  process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The addresses a To header names (quoted display names left out: a name may look like an address). */
const addressesIn = (to: string) =>
  (to.replace(/"(?:[^"\\]|\\.)*"/g, '').match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).map((a) => a.toLowerCase());

/** A redis-server with AOF that can be restarted on the same port and directory. */
class SoakRedis {
  private proc?: ChildProcess;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore', detached: true },
    );
    const r = new Redis(this.port, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await r.connect();
        // Loading the AOF answers LOADING until done.
        if ((await r.ping()) === 'PONG') break;
      } catch {
        r.disconnect();
        await sleep(100);
      }
    }
    r.disconnect();
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM'); // shutdown: the AOF is flushed, as in an orderly restart
    await exited;
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async flushAll(): Promise<void> {
    const r = new Redis(this.port, { maxRetriesPerRequest: 1 });
    await r.flushall();
    r.disconnect();
  }
}

async function soakOnce(db: 'embedded' | 'postgres'): Promise<RunResult> {
  const started = Date.now();
  const problems: string[] = [];
  const redisDir = mkdtempSync(join(tmpdir(), 'coffee-chat-soak-redis-'));
  const redis = new SoakRedis(await freePort(), redisDir);
  await redis.start();
  process.env.REDIS_URL = redis.url;
  const accountsPerProvider = Math.ceil(CHATS / CHATS_PER_ACCOUNT);
  const stack: Stack = await startStack({
    db,
    env: {
      LOG_LEVEL: 'warn',
      SYNC_INTERVAL: quick ? 'PT4S' : 'PT20S',
      THANK_YOU_DELAY: 'PT2S',
      CHECK_IN_CADENCE: 'PT10S',
    },
  });
  const { sandbox, app } = stack;
  const rnd = seededRandom(SEED);
  let stopWorkers = async () => {};
  try {
    // ---- people, chats and hostile events ----
    const now = Date.now();
    const chats: SoakChat[] = [];
    const hostile: PlacedHostileEvent[] = [];
    const boxes: Mailbox[] = [];
    for (const provider of PROVIDERS) {
      for (let a = 0; a < accountsPerProvider; a++) {
        const box = seedMailbox(sandbox, {
          provider,
          email: `soak${a}@${provider}-user.example`,
          name: `Soak User ${a}`,
          timeZone: a % 2 ? 'America/New_York' : 'Europe/Berlin',
        });
        boxes.push(box);
        for (
          let k = 0;
          k < CHATS_PER_ACCOUNT && chats.length < CHATS * (provider === 'google' ? 1 : 2);
          k++
        ) {
          const n = chats.length;
          const contact = `c${n}@${provider}-contact.example`;
          const name = `Contact${n} Person`;
          const eventId = box.addEvent({
            title: `Coffee chat with ${name}`,
            description: 'Ask about moving into staff roles.',
            start: new Date(Math.ceil((now + 3 * HOUR) / MIN) * MIN + k * 5 * MIN),
            minutes: 30,
            guests: [{ email: contact, name }],
          });
          chats.push({
            provider,
            box,
            eventId,
            contact,
            name,
            fate: rnd() < CANCEL_SHARE ? 'cancel' : 'move',
          });
        }
      }
    }
    // Hostile events, spread over the accounts.
    const events = generateHostileEvents({ seed: SEED, count: HOSTILE, owner: 'x', now: new Date(now) });
    events.forEach((e, i) => {
      const box = boxes[i % boxes.length]!;
      const mine = { ...e, addresses: e.addresses.map((x) => (x === 'x' ? box.email : x)) };
      hostile.push({ ...placeHostileEvent(sandbox, box, mine), owner: box.email } as PlacedHostileEvent & {
        owner: string;
      });
    });
    log(
      `${db}: ${chats.length} chats on ${boxes.length} accounts, ${hostile.length} hostile events (${hostile.filter((h) => h.refused).length} refused by the provider)`,
    );

    const accountIds: string[] = [];
    for (const box of boxes) {
      const added = await addAccount(app, {
        provider: box.provider,
        refreshToken: box.refreshToken,
        email: box.email,
        name: box.name,
      });
      accountIds.push(added.account.id);
    }

    // ---- workers, and the chaos around them ----
    const workers: ChildProcess[] = [];
    const workerLogPath = join(tmpdir(), `coffee-chat-soak-${db}-workers.log`);
    const workerLog = createWriteStream(workerLogPath);
    log(`worker logs: ${workerLogPath}`);
    const killedByUs = new WeakSet<ChildProcess>();
    let crashes = 0;
    let kills = 0;
    let maxRssMb = 0;
    const watch = (c: ChildProcess) => {
      c.stderr?.on('data', (b: Buffer) => {
        if (/uncaught|unhandled|FATAL|out of memory/i.test(String(b))) {
          crashes += 1;
          problems.push(`worker said: ${String(b).split('\n')[0]!.slice(0, 200)}`);
        }
      });
      c.once('exit', (code, signal) => {
        if (killedByUs.has(c)) return;
        crashes += 1;
        problems.push(`worker ${c.pid} exited by itself (code ${code}, signal ${signal})`);
      });
    };
    // `coffee-chat worker` processes of our own, compiled (the stack's helper gives a worker 30 s to
    // start; on a loaded shared machine a restart can take longer).
    const everyWorker: ChildProcess[] = [];
    const startOne = async (): Promise<ChildProcess> => {
      const c = spawn(process.execPath, [WORKER_ENTRY, 'worker'], {
        cwd: ROOT,
        env: { ...process.env, ...stack.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      everyWorker.push(c);
      let out = '';
      c.stdout!.on('data', (b: Buffer) => (out += String(b)).length > 100_000 && (out = out.slice(-10_000)));
      // Every worker's log, one file for the run (warnings and errors: LOG_LEVEL=warn).
      c.stdout!.on('data', (b: Buffer) => workerLog.write(b));
      c.stderr!.on('data', (b: Buffer) => workerLog.write(b));
      watch(c);
      const limit = Date.now() + 180 * SEC;
      while (!out.includes('worker running')) {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`worker exited at start: ${out}`);
        if (Date.now() > limit) throw new Error('worker did not start in 180 s');
        await sleep(200);
      }
      return c;
    };
    stopWorkers = async () => {
      const alive = everyWorker.filter((c) => c.exitCode === null && c.signalCode === null);
      for (const c of alive) killedByUs.add(c);
      await Promise.all(
        alive.map((c) => {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGKILL');
          return exited;
        }),
      );
    };
    workers.push(...(await Promise.all(Array.from({ length: WORKERS }, startOne))));
    log(`${WORKERS} workers running`);

    let chaos = true;
    const timers: NodeJS.Timeout[] = [];
    // kill -9 a random worker every few seconds, and start another.
    const killer = (async () => {
      while (chaos) {
        await sleep(KILL_EVERY_MS * (0.5 + rnd()));
        if (!chaos) break;
        const i = Math.floor(rnd() * workers.length);
        const victim = workers[i]!;
        killedByUs.add(victim);
        victim.kill('SIGKILL');
        kills += 1;
        try {
          workers[i] = await startOne();
        } catch (err) {
          problems.push(`restarting a worker failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    // ~10% of provider requests, each on its own draw: 503 (4%), 429 with Retry-After 1 s (4%) or
    // an answer 2 s late (2%), on both providers for the whole run.
    sandbox.faults.random = seededRandom(SEED + 1);
    const standing = PROVIDERS.flatMap((provider) => [
      sandbox.faults.add({ provider, kind: 'server_error', status: 503, share: 0.04 }),
      sandbox.faults.add({ provider, kind: 'rate_limit', status: 429, retryAfterSeconds: 1, share: 0.04 }),
      sandbox.faults.add({ provider, kind: 'slow', delayMs: 2000, share: 0.02 }),
    ]);
    const faultsInjected = () => standing.reduce((n, f) => n + f.hits, 0);
    // Queue lag (the oldest job that is due and not yet taken) and worker memory, sampled.
    let maxLag = 0;
    timers.push(
      setInterval(() => {
        void (async () => {
          for (const q of QUEUE_NAMES) {
            const [job] = await app.queues[q].getJobs(['wait'], 0, 0, true);
            if (job) maxLag = Math.max(maxLag, Date.now() - (job.timestamp + (job.opts.delay ?? 0)));
          }
        })().catch(() => undefined);
        for (const w of workers) {
          try {
            const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'))?.[1];
            if (rss) maxRssMb = Math.max(maxRssMb, Number(rss) / 1024);
          } catch {
            /* exited meanwhile */
          }
        }
      }, 2000),
    );

    // ---- the life of the chats ----
    const deadline = started + DEADLINE_MS;
    // A mailbox's drafts are decoded (MIME) on each read: read each mailbox at most once a second,
    // or this process (which also serves the sandbox and the embedded database) does little else.
    const draftCache = new Map<Mailbox, { at: number; drafts: ReturnType<Mailbox['drafts']> }>();
    const draftsOf = (box: Mailbox) => {
      const hit = draftCache.get(box);
      if (hit && Date.now() - hit.at < 1000) return hit.drafts;
      const drafts = box.drafts();
      draftCache.set(box, { at: Date.now(), drafts });
      return drafts;
    };
    const draftsTo = (box: Mailbox, who: string) =>
      draftsOf(box).filter((d) => addressesIn(d.to).includes(who));
    const byBox = new Map<Mailbox, SoakChat[]>();
    for (const c of chats) byBox.set(c.box, [...(byBox.get(c.box) ?? []), c]);
    const waitAll = async (
      what: string,
      done: () => boolean | Promise<boolean>,
      onTick?: () => Promise<void>,
    ) => {
      while (!(await done())) {
        if (Date.now() > deadline) {
          problems.push(`deadline passed waiting for ${what}`);
          return false;
        }
        if (onTick) await onTick();
        await sleep(1000);
      }
      return true;
    };

    // Detected and confirmed: every chat has its confirmation draft.
    const confirmed = (c: SoakChat) => draftsTo(c.box, c.contact).some((d) => /^Confirming/.test(d.subject));
    await waitAll('confirmations', () => chats.every(confirmed));
    log(`confirmations drafted (${chats.filter(confirmed).length}/${chats.length})`);

    // Redis restarts once here (AOF: the queues come back), and one provider goes down for a while.
    await redis.restart();
    log('redis restarted');
    const outage = sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      status: 503,
      times: 1_000_000_000,
    });
    timers.push(
      setTimeout(() => {
        sandbox.faults.remove(outage.id);
        log('microsoft outage over');
      }, OUTAGE_MS),
    );
    log(`microsoft outage for ${OUTAGE_MS / SEC} s`);

    // Moved to start within a minute (and last 15 s), or cancelled, in batches as in real life.
    const order = [...chats].sort(() => rnd() - 0.5);
    const batch = Math.max(10, Math.ceil(order.length / 20));
    for (let i = 0; i < order.length; i += batch) {
      const t = Date.now();
      for (const c of order.slice(i, i + batch)) {
        if (c.fate === 'cancel') c.box.cancelEvent(c.eventId);
        else {
          c.box.moveEvent(
            c.eventId,
            new Date(Math.ceil((t + (quick ? 20 : 30) * SEC + rnd() * (quick ? 20 : 30) * SEC) / SEC) * SEC),
            0.25,
          );
          c.movedAt = t;
        }
      }
      await sleep(quick ? 500 : 1500);
    }
    log(
      `${chats.filter((c) => c.fate === 'move').length} moved, ${chats.filter((c) => c.fate === 'cancel').length} cancelled`,
    );

    // Redis loses everything once; the reconciler must put it back from Postgres.
    setTimeout(
      () =>
        void redis
          .flushAll()
          .then(() => log('redis FLUSHALL'))
          .catch((err: unknown) => problems.push(`flushall failed: ${String(err)}`)),
      quick ? 15 * SEC : 45 * SEC,
    );

    // Ended and thanked: the user sends each thank-you; then the check-in is drafted.
    const sent = new Set<SoakChat>();
    const kept = chats.filter((c) => c.fate === 'move');
    const sendThanks = async () => {
      for (const c of kept) {
        if (sent.has(c)) continue;
        const d = draftsTo(c.box, c.contact).find((x) => /^Thank you/.test(x.subject));
        if (!d) continue;
        await c.box.sendDraft(d.id);
        draftCache.delete(c.box);
        sent.add(c);
      }
    };
    const checkedIn = (c: SoakChat) =>
      draftsTo(c.box, c.contact).some((d) => /^A quick update/.test(d.subject));
    await waitAll('thank-yous', () => sent.size === kept.length, sendThanks);
    log(`thank-yous drafted and sent (${sent.size}/${kept.length})`);
    await waitAll('check-ins', () => kept.every(checkedIn));
    log(`check-ins drafted (${kept.filter(checkedIn).length}/${kept.length})`);

    // Cancelled: their confirmations taken back.
    const cancelled = chats.filter((c) => c.fate === 'cancel');
    await waitAll('cancelled chats retracted', () =>
      cancelled.every(
        (c) =>
          draftsTo(c.box, c.contact).length === 0 &&
          !c.box.createdEvents().some((e) => e.title.includes(c.name)),
      ),
    );

    // ---- settle: chaos off, a little time for anything late to show (a duplicate, a stray draft) ----
    chaos = false;
    await killer;
    for (const t of timers) clearInterval(t);
    sandbox.faults.clear();
    await sleep(quick ? 6 * SEC : 20 * SEC);

    // ---- verdict, from the mailboxes (what the user sees) ----
    draftCache.clear();
    let expected = 0;
    let present = 0;
    let lost = 0;
    let duplicated = 0;
    let wrong = 0;
    const sentTo = (box: Mailbox, who: string) =>
      box.provider === 'google'
        ? sandbox.google.messages(box.email, { label: 'SENT' }).filter((m) => addressesIn(m.to).includes(who))
        : sandbox.microsoft
            .messages(box.email, 'sentitems')
            .filter((m) => m.to.some((t) => addressesIn(t).includes(who)));
    const troubled: SoakChat[] = [];
    for (const c of chats) {
      const before = problems.length;
      const drafts = draftsTo(c.box, c.contact);
      const mail = [...drafts.map((d) => d.subject), ...sentTo(c.box, c.contact).map((m) => m.subject)];
      const prep = c.box.createdEvents().filter((e) => e.title.includes(c.name));
      if (c.fate === 'cancel') {
        const extra =
          drafts.length + mail.filter((s) => /^(Thank you|A quick update)/.test(s)).length + prep.length;
        if (extra) {
          problems.push(
            `cancelled chat with ${c.contact}: ${extra} left (${[...mail.map((m) => `"${m.slice(0, 20)}"`), ...prep.map(() => 'prep block')].join(', ')})`,
          );
          troubled.push(c);
        }
        wrong += extra;
        continue;
      }
      for (const kind of [/^Confirming/, /^Thank you/, /^A quick update/]) {
        const n = mail.filter((s) => kind.test(s)).length;
        expected += 1;
        if (n >= 1) present += 1;
        else {
          lost += 1;
          problems.push(`lost: ${kind.source} for ${c.contact} (${c.provider})`);
        }
        if (n > 1) {
          duplicated += n - 1;
          problems.push(`duplicated: ${n} × ${kind.source} for ${c.contact}`);
        }
      }
      if (prep.length > 1) {
        duplicated += prep.length - 1;
        problems.push(`duplicated: ${prep.length} prep blocks for ${c.contact}`);
      }
      if (problems.length > before) troubled.push(c);
    }
    // What the record says about each chat that went wrong, for whoever reads the failure.
    for (const c of troubled.slice(0, 10)) {
      const chat = await app.prisma.chat.findFirst({
        where: { providerEventId: c.eventId },
        include: { drafts: { orderBy: { createdAt: 'asc' } }, entries: true },
      });
      const t = (d: Date | null | undefined) => (d ? d.toISOString().slice(11, 23) : '-');
      problems.push(
        `  record of ${c.contact}: chat ${chat?.status ?? 'missing'} ${t(chat?.startUtc)}-${t(chat?.endUtc)}${chat?.planWantedAt ? ` plan wanted ${t(chat.planWantedAt)}` : ''}${chat?.waiting ? ` waiting (${chat.waiting})` : ''}; entries: ${(
          chat?.entries ?? []
        )
          .map(
            (e) =>
              `${e.kind} gen ${e.generation}${e.deleted ? ' deleted' : ''} id ${e.providerEventId?.slice(-8) ?? '-'} claims ${e.claims}${e.failedAt ? ` failed (${e.lastError?.slice(0, 60)})` : ''}`,
          )
          .join('; ')}; drafts: ${(chat?.drafts ?? [])
          .map(
            (d) =>
              `${d.kind}/${d.status} due ${t(d.dueAt)} create called ${t(d.createAttemptedAt)} drafted ${t(d.draftedAt)} sent ${t(d.sentAt)} claims ${d.claims} attempts ${d.attempts} id ${d.providerDraftId?.slice(-8) ?? '-'}${d.lastError ? ` (${d.lastError.slice(0, 60)})` : ''}`,
          )
          .join('; ')}`,
      );
      const mailbox = [
        ...draftsTo(c.box, c.contact).map((d) => `draft ${d.id.slice(-8)} "${d.subject.slice(0, 20)}"`),
        ...sentTo(c.box, c.contact).map((m) => `sent "${m.subject.slice(0, 20)}"`),
      ];
      problems.push(`  mailbox of ${c.contact}: ${mailbox.join('; ')}`);
    }

    // Hostile events: skipped with a reason, or handled; nothing to anyone not on the event.
    let skipped = 0;
    let handled = 0;
    let unexplained = 0;
    const rows = await app.prisma.event.findMany({
      select: { providerEventId: true, isChat: true, reasons: true },
    });
    const chatRows = await app.prisma.chat.findMany({
      select: { providerEventId: true, waiting: true, status: true },
    });
    const hostileGuests = new Map<string, PlacedHostileEvent>();
    for (const h of hostile) for (const a of h.addresses) hostileGuests.set(a, h);
    for (const h of hostile) {
      if (!h.id) {
        skipped += 1; // the provider refused it: no sync ever hands it over
        continue;
      }
      const of = (x: { providerEventId: string }) =>
        x.providerEventId === h.id || x.providerEventId.startsWith(`${h.id}_`);
      const evs = rows.filter(of);
      const active = chatRows.filter(of).filter((c) => c.status !== 'cancelled' && !c.waiting);
      if (evs.length === 0 || evs.some((e) => e.reasons.length === 0)) {
        unexplained += 1;
        problems.push(`hostile ${h.kind} #${h.index}: ${evs.length ? 'no reason' : 'never stored'}`);
      } else if (active.length > 0) {
        if (EXPECTED[h.kind] === 'skip') {
          unexplained += 1;
          problems.push(`hostile ${h.kind} #${h.index} became a chat`);
        } else handled += 1;
      } else skipped += 1;
    }
    for (const box of boxes) {
      for (const d of box.drafts()) {
        const to = addressesIn(d.to);
        const h = to.length === 1 ? hostileGuests.get(to[0]!) : undefined;
        const isChat = to.length === 1 && chats.some((c) => c.box === box && c.contact === to[0]);
        if (isChat) continue;
        if (!h || EXPECTED[h.kind] === 'skip' || (h as { owner?: string }).owner !== box.email) {
          wrong += 1;
          problems.push(`draft to ${d.to} in ${box.email} (${d.subject.slice(0, 40)})`);
        }
      }
      for (const e of box.createdEvents()) {
        const h = hostile.find((x) => e.title.includes(x.tag));
        if (h && EXPECTED[h.kind] === 'skip') {
          wrong += 1;
          problems.push(`prep block for hostile ${h.kind} #${h.index}`);
        }
      }
    }
    const prepBlocks = boxes.reduce((n, b) => n + b.createdEvents().length, 0);

    return {
      db,
      chats: chats.length,
      chats_moved: kept.length,
      chats_cancelled: cancelled.length,
      accounts: boxes.length,
      drafts_expected: expected,
      drafts_present: present,
      lost,
      duplicated,
      wrongly_made: wrong,
      prep_blocks: prepBlocks,
      hostile_events: hostile.length,
      hostile_skipped: skipped,
      hostile_handled: handled,
      hostile_refused_by_provider: hostile.filter((h) => !h.id).length,
      hostile_unexplained: unexplained,
      crashes,
      worker_kills: kills,
      redis_restarts: 1,
      redis_flushes: 1,
      faults_injected: faultsInjected(),
      outage_ms: OUTAGE_MS,
      provider_requests: sandbox.requests.filter((r) => r.provider === 'google' || r.provider === 'microsoft')
        .length,
      max_queue_lag_ms: Math.round(maxLag),
      worker_rss_mb: Math.round(maxRssMb),
      duration_s: Math.round((Date.now() - started) / SEC),
      load_average: loadavg().map((x) => Math.round(x * 100) / 100),
      busiest_endpoints: Object.fromEntries(
        Object.entries(sandbox.counts())
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10),
      ),
      // Everything but the lost items first (those are many when a deadline passed), 200 at most.
      problems: [
        ...problems.filter((p) => !p.startsWith('lost:')),
        ...problems.filter((p) => p.startsWith('lost:')),
      ].slice(0, 200),
    };
  } finally {
    await stopWorkers().catch(() => undefined);
    await stack.close().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    rmSync(redisDir, { recursive: true, force: true });
  }
}

function uptime(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '';
  }
}

// Which databases: `--db embedded|postgres|both`. By default the full run takes both (PostgreSQL
// when TEST_DATABASE_URL is set) and --quick (CI, under 3 minutes) the embedded default only.
const dbArg = argValue('--db') ?? (quick ? 'embedded' : 'both');
if (!['embedded', 'postgres', 'both'].includes(dbArg)) {
  process.stderr.write(`soak: --db must be embedded, postgres or both (not ${dbArg})\n`);
  process.exit(2);
}
if (dbArg === 'postgres' && !process.env.TEST_DATABASE_URL) {
  process.stderr.write(
    'soak: --db postgres needs TEST_DATABASE_URL (a PostgreSQL server to create databases on)\n',
  );
  process.exit(2);
}
const dbs: ('embedded' | 'postgres')[] =
  dbArg === 'both'
    ? process.env.TEST_DATABASE_URL
      ? ['embedded', 'postgres']
      : ['embedded']
    : [dbArg as 'embedded' | 'postgres'];
const results: RunResult[] = [];
const loadBefore = uptime();
for (const db of dbs) results.push(await soakOnce(db));

const KEYS: (keyof RunResult)[] = [
  'chats',
  'chats_moved',
  'chats_cancelled',
  'accounts',
  'drafts_expected',
  'drafts_present',
  'lost',
  'duplicated',
  'wrongly_made',
  'prep_blocks',
  'hostile_events',
  'hostile_skipped',
  'hostile_handled',
  'hostile_refused_by_provider',
  'hostile_unexplained',
  'crashes',
  'worker_kills',
  'redis_restarts',
  'redis_flushes',
  'faults_injected',
  'outage_ms',
  'provider_requests',
  'max_queue_lag_ms',
  'worker_rss_mb',
  'duration_s',
];
const table = new Table({ head: ['', ...results.map((r) => r.db)] });
for (const k of KEYS) table.push([k, ...results.map((r) => String(r[k]))]);
process.stdout.write(`${table.toString()}\n`);
for (const r of results) for (const p of r.problems) process.stdout.write(`  ${r.db}: ${p}\n`);

const sumOf = (k: keyof RunResult) => results.reduce((n, r) => n + (r[k] as number), 0);
const maxOf = (k: keyof RunResult) => Math.max(...results.map((r) => r[k] as number));
const summary = {
  mode: quick ? 'quick' : CHATS >= 1000 ? 'full' : `partial (${CHATS} chats per provider)`,
  at: new Date().toISOString(),
  seed: SEED,
  databases: dbs,
  chats: sumOf('chats'),
  drafts_expected: sumOf('drafts_expected'),
  drafts_present: sumOf('drafts_present'),
  lost: sumOf('lost'),
  duplicated: sumOf('duplicated'),
  wrongly_made: sumOf('wrongly_made'),
  hostile_events: sumOf('hostile_events'),
  hostile_skipped: sumOf('hostile_skipped'),
  hostile_handled: sumOf('hostile_handled'),
  hostile_unexplained: sumOf('hostile_unexplained'),
  crashes: sumOf('crashes'),
  max_queue_lag_ms: maxOf('max_queue_lag_ms'),
  worker_rss_mb: maxOf('worker_rss_mb'),
  load_before: loadBefore,
  load_after: uptime(),
  runs: results,
};
const ok =
  summary.lost === 0 &&
  summary.duplicated === 0 &&
  summary.wrongly_made === 0 &&
  summary.hostile_unexplained === 0 &&
  summary.hostile_skipped + summary.hostile_handled === summary.hostile_events &&
  summary.crashes === 0 &&
  results.every((r) => r.problems.length === 0);
// --quick (CI) writes beside the full run's results, never over them.
const out = join(ROOT, 'bench', quick ? 'soak-results-quick.json' : 'soak-results.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`load average before ${loadBefore}, after ${summary.load_after}; wrote ${out}\n`);
process.stdout.write(ok ? 'soak: passed\n' : 'soak: FAILED\n');
process.exit(ok ? 0 : 1);
