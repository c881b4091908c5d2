// `coffee-chat accounts connect google|microsoft` as a user runs it: the CLI is a child process
// pointed at the provider sandbox, whose consent pages approve at once. The test plays the
// browser: it reads the printed URL and fetches it, following the redirect to the CLI's loopback
// listener. The CLI owns the embedded DATA_DIR (this process never opens it), and every child is
// spawned asynchronously (see test/helpers/db.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const MAYA = 'maya.connect@example.com';
const SAM = 'sam.connect@contoso.example';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let dataDir: string;
let env: Record<string, string>;

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitForUrl(): Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Run {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env, ...extraEnv };
  for (const [k, v] of Object.entries(extraEnv)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', (b) => (err += String(b)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stdout: out, stderr: err })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    async waitForUrl() {
      const deadline = Date.now() + 30_000;
      let exited = false;
      void done.then(() => (exited = true));
      for (;;) {
        const m = /^\s+(https?:\/\/\S+)$/m.exec(out + err);
        if (m) return m[1]!;
        if (exited || Date.now() > deadline) throw new Error(`no consent URL printed:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR });
  sandbox.google.seedAccount({ email: MAYA, name: 'Maya Chen', timeZone: 'America/Los_Angeles' });
  sandbox.microsoft.seedAccount({ email: SAM, name: 'Sam Okafor', windowsTimeZone: 'Tokyo Standard Time' });
  // A second account on each side: the login hint must pick the right one.
  sandbox.google.seedAccount({ email: 'someone.else@example.com', timeZone: 'UTC' });
  sandbox.microsoft.seedAccount({ email: 'someone.else@contoso.example' });
  dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-connect-'));
  env = {
    ...sandbox.env,
    GOOGLE_AUTH_URL: `${sandbox.url}/o/oauth2/v2/auth`,
    MICROSOFT_AUTH_URL: `${sandbox.httpsUrl}/common/oauth2/v2.0/authorize`,
    GOOGLE_CLIENT_ID: 'connect-test.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'connect-secret',
    MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000c0111',
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'connect',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    QUEUE_PREFIX: `connect-${randomBytes(4).toString('hex')}`,
    REDIS_URL: process.env.REDIS_URL!,
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await sandbox?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The browser: open the consent URL; the sandbox approves and redirects to the loopback listener. */
async function approve(url: string): Promise<{ status: number; text: string; finalUrl: string }> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { status: res.status, text: await res.text(), finalUrl: res.url };
}

interface Listed {
  id: string;
  userId: string;
  email: string;
  provider: string;
  status: string;
}

async function listAccounts(): Promise<Listed[]> {
  const r = await cli(['accounts', 'list', '--json']).done;
  expect(r).toMatchObject({ code: 0 });
  return JSON.parse(r.stdout) as Listed[];
}

describe('coffee-chat accounts connect', () => {
  let mayaUserId = '';

  test('google: loopback redirect + PKCE, account stored and listed', async () => {
    const run = cli(['accounts', 'connect', 'google', '--email', MAYA, '--timeout', '60']);
    const url = new URL(await run.waitForUrl());
    expect(url.origin + url.pathname).toBe(`${sandbox.url}/o/oauth2/v2/auth`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(url.searchParams.get('login_hint')).toBe(MAYA);
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(run.stdout()).toContain('open this URL in a browser');

    const page = await approve(url.toString());
    expect(page.finalUrl.startsWith(url.searchParams.get('redirect_uri')!)).toBe(true);
    expect(page).toMatchObject({ status: 200 });
    expect(page.text).toContain('connected to Google');

    const r = await run.done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(
      new RegExp(
        `connected google account ${MAYA.replace(/\./g, '\\.')} \\(time zone America/Los_Angeles, user \\S+\\); first sync queued`,
      ),
    );

    const listed = await listAccounts();
    expect(listed).toEqual([expect.objectContaining({ email: MAYA, provider: 'google', status: 'active' })]);
    mayaUserId = listed[0]!.userId;
  });

  test('microsoft: attached to the same user with --user, JSON output', async () => {
    const run = cli(['accounts', 'connect', 'microsoft', '--email', SAM, '--user', mayaUserId, '--json']);
    const url = new URL(await run.waitForUrl());
    expect(url.origin + url.pathname).toBe(`${sandbox.httpsUrl}/common/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('login_hint')).toBe(SAM);
    expect(run.stdout()).toBe(''); // with --json the instructions go to stderr

    const page = await approve(url.toString());
    expect(page).toMatchObject({ status: 200 });
    expect(page.text).toContain('connected to Microsoft 365');

    const r = await run.done;
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      email: SAM,
      provider: 'microsoft',
      userId: mayaUserId,
      timeZone: 'Asia/Tokyo',
      reconnected: false,
    });

    const listed = await listAccounts();
    expect(listed.map((a) => [a.email, a.provider, a.status, a.userId])).toEqual([
      [MAYA, 'google', 'active', mayaUserId],
      [SAM, 'microsoft', 'active', mayaUserId],
    ]);
  });

  test('connecting again reconnects the same account (a revoked token is replaced)', async () => {
    sandbox.google.revoke(MAYA);
    const run = cli(['accounts', 'connect', 'google', '--email', MAYA]);
    await approve(await run.waitForUrl());
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reconnected google account maya\.connect@example\.com/m);
    const listed = await listAccounts();
    expect(listed.filter((a) => a.email === MAYA)).toHaveLength(1);
  });

  test('refused consent, timeout and missing configuration: one clear line each', async () => {
    // The user clicks "Cancel": the provider redirects back with error=access_denied.
    const refused = cli(['accounts', 'connect', 'google', '--email', MAYA]);
    const url = new URL(await refused.waitForUrl());
    const back = new URL(url.searchParams.get('redirect_uri')!);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('state', url.searchParams.get('state')!);
    const page = await approve(back.toString());
    expect(page.status).toBe(400);
    const r1 = await refused.done;
    expect(r1.code).toBe(1);
    expect(r1.stderr).toBe('coffee-chat: Google sign-in failed: consent refused: access_denied\n');

    const slow = await cli(['accounts', 'connect', 'microsoft', '--email', SAM, '--timeout', '1']).done;
    expect(slow.code).toBe(1);
    expect(slow.stderr).toBe(
      'coffee-chat: Microsoft 365 sign-in failed: timed out after 1 s waiting for the browser (--timeout)\n',
    );

    const noClient = await cli(['accounts', 'connect', 'google'], { GOOGLE_CLIENT_ID: undefined }).done;
    expect(noClient.code).toBe(1);
    expect(noClient.stderr).toMatch(/^coffee-chat: GOOGLE_CLIENT_ID is not set: [^\n]+\n$/);
    expect(noClient.stdout).toBe('');

    const noMsClient = await cli(['accounts', 'connect', 'microsoft'], {
      MICROSOFT_CLIENT_ID: undefined,
      MICROSOFT_AUTH_URL: undefined,
    }).done;
    expect(noMsClient.code).toBe(1);
    expect(noMsClient.stderr).toMatch(/^coffee-chat: MICROSOFT_CLIENT_ID is not set: [^\n]+\n$/);

    const noKey = await cli(['accounts', 'connect', 'google'], { TOKEN_ENCRYPTION_KEY: undefined }).done;
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^coffee-chat: TOKEN_ENCRYPTION_KEY is required [^\n]+\n$/);

    const badUser = await cli(['accounts', 'connect', 'google', '--user', 'no-such-user']).done;
    expect(badUser.code).toBe(1);
    expect(badUser.stderr).toBe(
      'coffee-chat: no user with id no-such-user (see: coffee-chat accounts list)\n',
    );
    expect(badUser.stdout).toBe(''); // refused before any URL was printed

    const badProvider = await cli(['accounts', 'connect', 'yahoo']).done;
    expect(badProvider.code).not.toBe(0);
    expect(badProvider.stderr).toMatch(
      /'yahoo' is invalid for argument 'provider'. Allowed choices are google, microsoft/,
    );
  });
});
