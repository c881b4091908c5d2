// The whole system for end-to-end tests: the provider sandbox, a database (the test process owns
// the embedded one, or a fresh Postgres), real Redis with a queue prefix of its own, an App for
// the test to read and act through, and the real worker as a child process (`coffee-chat worker`)
// that the test can stop gracefully or kill -9.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig, type Config } from '../../worker/config.ts';
import { openDatabase } from '../../worker/db/client.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { getTestPostgres } from './postgres.ts';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

export interface Stack {
  sandbox: Sandbox;
  env: Record<string, string>;
  config: Config;
  app: App;
  /** Starts `coffee-chat worker` as a child process; output is kept in `workerOutput`. */
  startWorker(): Promise<ChildProcess>;
  /** A worker's /metrics URL (each listens on a free loopback port): the last started, or the i-th. */
  workerMetricsUrl(i?: number): string | undefined;
  stopWorker(signal?: NodeJS.Signals): Promise<number | null>;
  workerOutput(): string;
  close(): Promise<void>;
}

export async function startStack(
  opts: {
    env?: Record<string, string>;
    db?: 'embedded' | 'postgres';
    /**
     * One clock for the sandbox and the app in this process (a test moves it to days ahead):
     * mail sent and drafts made then carry the same time on both sides.
     */
    now?: () => Date;
  } = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-e2e-'));
  const sandbox = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR, now: opts.now });
  let databaseUrl = '';
  if (opts.db === 'postgres') {
    const url = await getTestPostgres();
    if (!url) throw new Error('Postgres unavailable');
    databaseUrl = url;
  }
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: `e2e-${randomBytes(4).toString('hex')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'e2e',
    ...sandbox.env,
    GOOGLE_CLIENT_ID: 'e2e.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'e2e-secret',
    MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000000e2',
    MICROSOFT_CLIENT_SECRET: 'e2e-secret',
    SYNC_INTERVAL: 'PT2S',
    THANK_YOU_DELAY: 'PT2S',
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  };
  const config = parseConfig(env);
  // The test process opens the database first: it owns the embedded store and the worker
  // process reaches it through the loopback socket (so kill -9 of the worker loses nothing here).
  const db = await openDatabase({ databaseUrl, dataDir });
  const app = await createApp({ config, db, log: pino({ level: 'silent' }), now: opts.now });
  // Worker processes started so far (the last one is "the" worker of stopWorker).
  const children: ChildProcess[] = [];
  const outputs: (() => string)[] = [];
  let output = '';

  const stack: Stack = {
    sandbox,
    env,
    config,
    app,
    async startWorker() {
      const c = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), 'worker', '--metrics-port', '0'], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let mine = '';
      const take = (b: Buffer) => {
        mine += String(b);
        output += String(b);
      };
      c.stdout!.on('data', take);
      c.stderr!.on('data', take);
      children.push(c);
      outputs.push(() => mine);
      const deadline = Date.now() + 30_000;
      while (!mine.includes('worker running')) {
        if (c.exitCode !== null) throw new Error(`worker exited (${c.exitCode}): ${mine}`);
        if (Date.now() > deadline) throw new Error(`worker did not start: ${mine}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return c;
    },
    async stopWorker(signal: NodeJS.Signals = 'SIGTERM') {
      const c = children.at(-1);
      if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
      const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill(signal);
      return exited;
    },
    workerOutput: () => output,
    workerMetricsUrl: (i?: number) => /metrics: (http:\S+)/.exec(outputs.at(i ?? -1)?.() ?? '')?.[1],
    async close() {
      await Promise.all(
        children
          .filter((c) => c.exitCode === null && c.signalCode === null)
          .map((c) => {
            const exited = new Promise((r) => c.once('exit', r));
            c.kill('SIGKILL');
            return exited;
          }),
      );
      await app.close();
      await db.close();
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Polls until `fn` returns a truthy value (returned), or fails with the last value after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T> | T,
  ms = 30_000,
  every = 200,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}
