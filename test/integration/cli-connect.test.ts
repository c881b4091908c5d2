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
const children: ChildProcess[] = [];

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
  children.push(child);
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
  // The registrations the README tells the user to make: a Google "Desktop app" client, and an
  // Entra app with the "Mobile and desktop applications" platform and redirect http://localhost.
  sandbox.google.registerClient({
    clientId: 'connect-test.apps.googleusercontent.com',
    clientSecret: 'connect-secret',
    type: 'desktop',
    publishing: 'production',
  });
  sandbox.microsoft.registerApp({
    clientId: '00000000-0000-0000-0000-0000000c0111',
    kind: 'public',
    redirectUris: ['http://localhost'],
  });
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
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
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
  scopes: string[];
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
    // What Google granted (the token response's scope), stored on the account.
    expect([...listed[0]!.scopes].sort()).toEqual([
      'https://www.googleapis.com/auth/calendar.events',
      'https://www.googleapis.com/auth/calendar.readonly',
      'https://www.googleapis.com/auth/gmail.compose',
      'https://www.googleapis.com/auth/gmail.readonly',
    ]);
    mayaUserId = listed[0]!.userId;
  });

  test('microsoft: attached to the same user with --user, JSON output', async () => {
    const run = cli(['accounts', 'connect', 'microsoft', '--email', SAM, '--user', mayaUserId, '--json']);
    const url = new URL(await run.waitForUrl());
    expect(url.origin + url.pathname).toBe(`${sandbox.httpsUrl}/common/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('login_hint')).toBe(SAM);
    // Entra ignores only the port of a loopback redirect: the host must be the registered localhost.
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+$/);
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

    // The Google token endpoint needs the Desktop client's secret: say so before the browser opens.
    const noSecret = await cli(['accounts', 'connect', 'google'], { GOOGLE_CLIENT_SECRET: undefined }).done;
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/^coffee-chat: GOOGLE_CLIENT_SECRET is not set: [^\n]+\n$/);
    expect(noSecret.stdout).toBe('');

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

  test('a secret sent for a public client (Mobile and desktop platform): one line saying which', async () => {
    const run = cli(['accounts', 'connect', 'microsoft', '--email', SAM], {
      MICROSOFT_CLIENT_SECRET: 'sekrit',
    });
    await approve(await run.waitForUrl());
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^coffee-chat: Microsoft 365 sign-in failed: [^\n]*AADSTS700025[^\n]*\n$/);
    expect(r.stderr).toMatch(/public client[^\n]*unset MICROSOFT_CLIENT_SECRET/);
  });

  test('consent that leaves a scope out is refused, naming it', async () => {
    sandbox.google.withholdScopesAtConsent(MAYA, ['https://www.googleapis.com/auth/gmail.compose']);
    try {
      const run = cli(['accounts', 'connect', 'google', '--email', MAYA]);
      await approve(await run.waitForUrl());
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^coffee-chat: Google sign-in failed: [^\n]*gmail\.compose[^\n]*\n$/);
      expect(r.stderr).not.toMatch(/calendar\.events/);
    } finally {
      sandbox.google.withholdScopesAtConsent(MAYA, []);
    }

    sandbox.microsoft.withholdScopesAtConsent(SAM, ['Mail.ReadWrite']);
    try {
      const run = cli(['accounts', 'connect', 'microsoft', '--email', SAM]);
      await approve(await run.waitForUrl());
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^coffee-chat: Microsoft 365 sign-in failed: [^\n]*Mail\.ReadWrite[^\n]*\n$/);
    } finally {
      sandbox.microsoft.withholdScopesAtConsent(SAM, []);
    }
  });

  test('the worker refuses to start against the real endpoints without the client credentials', async () => {
    // Accounts of both providers exist (connected above). Pointed at the real Microsoft endpoints
    // with no MICROSOFT_CLIENT_ID, every token refresh would be refused (bad_request) forever.
    const real = {
      MICROSOFT_TOKEN_URL: undefined,
      MICROSOFT_AUTH_URL: undefined,
      MICROSOFT_GRAPH_BASE_URL: undefined,
    };
    // Refusing means exiting at once; a worker that started is stopped after 20 s (and fails here).
    const exits = (run: Run) => {
      const t = setTimeout(() => run.child.kill('SIGTERM'), 20_000);
      return run.done.finally(() => clearTimeout(t));
    };
    const ms = await exits(cli(['worker'], { ...real, MICROSOFT_CLIENT_ID: undefined }));
    expect(ms.code).toBe(1);
    expect(ms.stderr).toMatch(/^coffee-chat: MICROSOFT_CLIENT_ID is not set: [^\n]+\n$/);

    const google = await exits(
      cli(['worker'], {
        GOOGLE_TOKEN_URL: undefined,
        GOOGLE_AUTH_URL: undefined,
        GOOGLE_API_ROOT_URL: undefined,
        GOOGLE_CLIENT_SECRET: undefined,
      }),
    );
    expect(google.code).toBe(1);
    expect(google.stderr).toMatch(/^coffee-chat: GOOGLE_CLIENT_SECRET is not set: [^\n]+\n$/);
  });
});
