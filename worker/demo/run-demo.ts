// `npm start`: the whole playbook on one laptop in about a minute. Starts the embedded database,
// a Redis (REDIS_URL, else a throwaway redis-server), the provider sandbox seeded with two people's
// week, the real worker with demo-short delays and the review page; prints progress as the worker
// syncs, detects and drafts, then a summary.
import { PREP_AHEAD_MS } from '../pipeline/plan-chat-actions.ts';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import { DateTime } from 'luxon';
import pc from 'picocolors';
import { createApp } from '../app.ts';
import { parseConfig, resetConfigCache } from '../config.ts';
import { addAccount } from '../core/accounts.ts';
import { getStatus, type StatusReport } from '../core/status.ts';
import { STAGE_LABELS } from '../pipeline/contact-stage.ts';
import { startWorker } from '../runtime.ts';
import { MissingRedisError, startLocalRedis, type LocalRedis } from '../services/local-redis.ts';
import { startWebServer } from '../web/server.ts';
import { startWebhookServer, webhookListen } from '../web/webhook-server.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { ensureSandboxTls } from '../../sandbox/tls.ts';
import { DEMO_GOOGLE, DEMO_MICROSOFT, seedWeek } from './seed-week.ts';
import { seedPeople } from './seed-people.ts';

export interface DemoOptions {
  once: boolean;
  webPort: number;
  timeoutMs: number;
  /**
   * Run the demo's clock from this instant (the worker's and the seeding's: `app.now()`), so the
   * week can be tried at any date and hour without faking the machine's clock.
   */
  at?: Date;
}

const line = (s: string) => process.stdout.write(`${s}\n`);

export async function runDemo(opts: DemoOptions): Promise<number> {
  const dataDir = resolve(process.env.DATA_DIR ?? './.data');
  const tls = await ensureSandboxTls(join(dataDir, 'sandbox-tls'));
  // Graph is served over HTTPS; Node reads NODE_EXTRA_CA_CERTS only at start-up, so the demo
  // re-runs itself once with the sandbox's certificate trusted.
  if (process.env.NODE_EXTRA_CA_CERTS !== tls.certPath) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certPath },
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
    return new Promise((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 130 : 1))));
  }

  const started = Date.now();
  let redis: LocalRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    try {
      redis = await startLocalRedis();
    } catch (err) {
      if (err instanceof MissingRedisError) {
        process.stderr.write(`coffee-chat demo: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    redisUrl = redis.url;
  }

  const demoDir = join(dataDir, 'demo');
  rmSync(demoDir, { recursive: true, force: true });
  const sandbox = await startSandbox({ tlsDir: join(dataDir, 'sandbox-tls') });
  Object.assign(process.env, {
    DATA_DIR: demoDir,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `demo-${Date.now()}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'demo',
    ...sandbox.env,
    GOOGLE_CLIENT_ID: 'coffee-chat-demo.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'demo-secret',
    MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-00000000c0ff',
    MICROSOFT_CLIENT_SECRET: 'demo-secret',
    SYNC_INTERVAL: process.env.SYNC_INTERVAL ?? 'PT10S',
    THANK_YOU_DELAY: process.env.THANK_YOU_DELAY ?? 'PT10S',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  delete process.env.DATABASE_URL;
  resetConfigCache();
  const config = parseConfig(process.env);

  line(
    pc.bold('coffee-chat demo') +
      pc.dim(' — everything local: embedded database, provider sandbox, real worker'),
  );
  line(pc.dim(`  database  embedded PGlite in ${demoDir}`));
  line(pc.dim(`  redis     ${redis ? `throwaway redis-server on ${redisUrl}` : redisUrl}`));
  line(pc.dim(`  sandbox   ${sandbox.url} (Google) and ${sandbox.httpsUrl}/v1.0 (Microsoft Graph)`));

  // The app's clock runs on from --at; BullMQ's delays are differences, so they are unaffected.
  const offsetMs = opts.at ? opts.at.getTime() - Date.now() : 0;
  const app = await createApp({ config, now: () => new Date(Date.now() + offsetMs) });
  if (opts.at) line(pc.dim(`  clock     from ${opts.at.toISOString()} (--at)`));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const seeded = seedWeek(sandbox, app.now());
    line(
      `\n${pc.bold('1. Connecting accounts')} ${pc.dim('(refresh tokens checked against the provider, stored encrypted)')}`,
    );
    for (const [provider, acct, name] of [
      ['google', seeded.google, DEMO_GOOGLE.name],
      ['microsoft', seeded.microsoft, DEMO_MICROSOFT.name],
    ] as const) {
      const r = await addAccount(app, { provider, refreshToken: acct.refreshToken, email: acct.email, name });
      line(
        `  ${pc.green('✓')} ${provider.padEnd(9)} ${r.account.email}  ${pc.dim(`time zone ${r.profile.timeZone}`)}`,
      );
    }

    await seedPeople(app, sandbox);
    const worker = await startWorker(app);
    cleanups.push(() => worker.close());
    const web = await startWebServer(app, { port: opts.webPort });
    cleanups.push(() => web.close());
    // Push needs a public address: only when one is configured, on its own listener.
    const hookListen = webhookListen(config);
    if (hookListen) {
      const hooks = await startWebhookServer(app, hookListen);
      cleanups.push(() => hooks.close());
    }
    line(
      `\n${pc.bold('2. The worker at work')} ${pc.dim(`(sync every ${config.SYNC_INTERVAL.toHuman()}, thank-you ${config.THANK_YOU_DELAY.toHuman()} after a chat)`)}`,
    );

    const seen = new Set<string>();
    const complete = (s: StatusReport) =>
      s.accounts.every((a) => a.lastSyncAt) &&
      seeded.expectedChats.every((t) => s.chats.some((c) => c.title === t)) &&
      seeded.expectedIgnored.every((t) => s.ignored.some((i) => i.title === t)) &&
      s.drafts.some((d) => d.kind === 'thank_you' && d.status === 'created') &&
      // The confirmation is drafted the day before: at once for a chat within a day, else scheduled.
      (s.drafts.some((d) => d.kind === 'confirmation' && d.status === 'created') ||
        s.scheduled.some((x) => x.kind === 'confirmation')) &&
      // A prep block is written PREP_AHEAD_MS before it starts (status gives its start): none
      // that close is still waiting.
      s.scheduled.filter(
        (x) => x.kind === 'prep' && Date.parse(x.dueAt) - PREP_AHEAD_MS <= app.now().getTime(),
      ).length === 0 &&
      s.scheduled.some((x) => x.kind === 'check_in') &&
      // The people board: the reply in Nadia's thread noticed, Rosa's introduction request drafted.
      s.people.some((p) => p.stage === 'replied') &&
      s.drafts.some((d) => d.kind === 'intro_request' && d.status === 'created');
    const deadline = Date.now() + opts.timeoutMs;
    let status = await getStatus(app.prisma, app.now());
    for (;;) {
      printProgress(status, seen);
      if (complete(status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 400));
      status = await getStatus(app.prisma, app.now());
    }
    const ok = complete(status);
    printSummary(status, sandbox, seeded.expectedIgnored, app.now());
    line(
      `\n${pc.bold('Review page')}  ${pc.cyan(web.url)}   ${pc.dim('(queues: ' + web.url.replace(/\/$/, '') + '/queues)')}`,
    );
    line(
      pc.dim(
        `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Nothing was sent: every email is a draft in the sandbox mailbox.`,
      ),
    );
    if (!ok)
      process.stderr.write(
        pc.red('demo: not everything expected happened before the time limit (see above)\n'),
      );
    if (opts.once) return ok ? 0 : 1;
    line(pc.dim('Running; Ctrl-C to stop.'));
    await new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
    return 0;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await app.close().catch(() => undefined);
    await sandbox.close().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
  }
}

function printProgress(s: StatusReport, seen: Set<string>) {
  const once = (key: string, text: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    line(text);
  };
  for (const a of s.accounts) {
    if (a.lastSyncAt) once(`sync-${a.email}`, `  ${pc.green('⟳')} synced ${a.email}`);
    if (a.status !== 'active')
      once(`acct-${a.email}-${a.status}`, `  ${pc.red('!')} ${a.email}: ${a.status} ${a.lastError ?? ''}`);
  }
  for (const c of s.chats) {
    once(
      `chat-${c.id}`,
      `  ${pc.green('☕')} chat detected: ${pc.bold(c.title)} with ${c.contactEmail} ${pc.dim(`(${c.reasons.join('; ')})`)}`,
    );
  }
  for (const i of s.ignored)
    once(
      `ign-${i.accountEmail}-${i.title}`,
      `  ${pc.dim(`·  ignored: ${i.title} — ${i.reasons.join('; ')}`)}`,
    );
  for (const d of s.drafts) {
    if (d.status === 'created')
      once(
        `draft-${d.kind}-${d.contactEmail}-${d.subject}`,
        `  ${pc.green('✉')} ${d.kind.replace('_', '-')} draft for ${d.contactEmail}: "${d.subject}"`,
      );
  }
}

function printSummary(
  s: StatusReport,
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  expectedIgnored: string[],
  now: Date,
) {
  line(`\n${pc.bold('3. Summary')}`);
  const t = new Table({
    head: ['chat', 'with', 'your time', 'their time', 'drafted / scheduled'],
    wordWrap: true,
    colWidths: [24, 26, 24, 24, 44],
    style: { head: ['cyan'] },
  });
  for (const c of s.chats) {
    const mine = `${localTime(c.start, c.userTimeZone)}\n${c.userTimeZone}`;
    const theirs = !c.contactTimeZone
      ? 'not known yet'
      : c.contactTimeZone === c.userTimeZone
        ? 'same zone'
        : `${localTime(c.start, c.contactTimeZone)}\n${c.contactTimeZone}`;
    const made = s.drafts.filter((d) => d.chatId === c.id).map((d) => `✉ ${d.kind}: ${d.subject ?? ''}`);
    const later = s.scheduled
      .filter((x) => x.chatId === c.id || (x.kind === 'check_in' && x.contactEmail === c.contactEmail))
      .map((x) => `⏱ ${x.kind} ${DateTime.fromISO(x.dueAt).toRelative({ base: DateTime.fromJSDate(now) })}`);
    t.push([
      `${c.title}\n(${c.accountEmail})`,
      c.contactEmail,
      mine,
      theirs,
      [...made, ...later].join('\n') || '—',
    ]);
  }
  line(t.toString());
  const people = new Table({
    head: ['person', 'stage', 'next step'],
    wordWrap: true,
    colWidths: [34, 12, 78],
    style: { head: ['cyan'] },
  });
  for (const p of s.people) people.push([p.name ?? p.email, STAGE_LABELS[p.stage], p.next]);
  line(people.toString());
  const ig = new Table({
    head: ['ignored', 'why'],
    wordWrap: true,
    colWidths: [34, 90],
    style: { head: ['cyan'] },
  });
  const byTitle = new Map<string, { reasons: string[]; n: number }>();
  for (const i of s.ignored.filter((x) => expectedIgnored.includes(x.title))) {
    const e = byTitle.get(i.title) ?? { reasons: i.reasons, n: 0 };
    e.n += 1;
    byTitle.set(i.title, e);
  }
  for (const [title, e] of byTitle)
    ig.push([
      e.n > 1 ? `${title} (×${e.n})` : title,
      e.reasons.map((r) => r.replace(/^ignored: /, '')).join('; '),
    ]);
  line(ig.toString());
  const prep =
    [...sandbox.google.events('maya.chen@example.com', 'primary', { createdViaApi: true })].length +
    sandbox.microsoft.createdEvents('sam.okafor@contoso.example').length;
  line(pc.dim(`Prep blocks written to the users' own calendars: ${prep}.`));
}

function localTime(iso: string, zone: string): string {
  return DateTime.fromISO(iso).setZone(zone).toFormat('ccc d LLL, h:mm a ZZZZ');
}
