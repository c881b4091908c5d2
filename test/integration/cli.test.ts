// The command line as a user meets it: real processes, one clear line for every mistake.
import { spawn } from 'node:child_process';
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// Each test starts several CLI processes that open the embedded database: slow on a loaded machine.
jest.setTimeout(120_000);

function run(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += String(b)));
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const lines = (s: string) => s.trim().split('\n').filter(Boolean);

describe('coffee-chat CLI', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-cli-'));
    sandbox = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR });
    env = {
      DATA_DIR: dataDir,
      QUEUE_PREFIX: `cli-${randomBytes(3).toString('hex')}`,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...sandbox.env,
      GOOGLE_CLIENT_ID: 'cli.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'cli-secret',
      MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000000c1',
    };
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists every command in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of [
      'run',
      'doctor',
      'accounts',
      'worker',
      'sync',
      'status',
      'db',
      'sandbox',
      'chats',
      'contacts',
      'outreach',
      'schedule',
      'web',
      'demo',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    }
  });

  it('rejects an unknown flag with a short message and a non-zero exit', async () => {
    const r = await run(['status', '--bogus']);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)[0]).toMatch(/unknown option '--bogus'/);
    expect(lines(r.stderr).length).toBeLessThanOrEqual(2);
  });

  it('rejects a bad provider name before doing anything', async () => {
    const r = await run(['accounts', 'add', '--provider', 'yahoo', '--refresh-token', 'x'], env);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)[0]).toMatch(/provider.*yahoo.*(google|microsoft)/i);
  });

  it('names each bad environment variable on its own line', async () => {
    const r = await run(['status'], { ...env, THANK_YOU_DELAY: 'soon', REDIS_URL: 'localhost' });
    expect(r.code).not.toBe(0);
    const err = lines(r.stderr);
    expect(err).toHaveLength(2);
    expect(err.some((l) => l.includes('THANK_YOU_DELAY'))).toBe(true);
    expect(err.some((l) => l.includes('REDIS_URL'))).toBe(true);
  });

  it('refuses a bad refresh token with one clear line and stores nothing', async () => {
    for (const provider of ['google', 'microsoft']) {
      const r = await run(
        ['accounts', 'add', '--provider', provider, '--refresh-token', '-'],
        env,
        'not-a-real-token\n',
      );
      expect(r.code).not.toBe(0);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/refused|invalid_grant|AADSTS/i);
      expect(r.stderr).not.toContain('not-a-real-token');
    }
    const list = await run(['accounts', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('refuses a refresh token given on the command line, in one line that says how instead, and stores nothing', async () => {
    const { refreshToken } = sandbox.google.seedAccount({
      email: 'cli.argv@example.com',
      name: 'Cli Argv',
      timeZone: 'Europe/Berlin',
    });
    const r = await run(['accounts', 'add', '--provider', 'google', '--refresh-token', refreshToken], env);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(
        /command line shows in ps and shell history; pipe it in with --refresh-token - .*--refresh-token-file PATH \(mode 0600\)/,
      ),
    ]);
    expect(r.stderr + r.stdout).not.toContain(refreshToken);
    const missing = await run(['accounts', 'add', '--provider', 'google'], env);
    expect(missing.code).not.toBe(0);
    expect(lines(missing.stderr)).toEqual([
      expect.stringMatching(/refresh token is missing: pipe it in with --refresh-token -/),
    ]);
    expect(JSON.parse((await run(['accounts', 'list', '--json'], env)).stdout)).toEqual([]);
  });

  it('refuses a token file others can read (one line with the fix); a 0600 file works', async () => {
    const { refreshToken } = sandbox.microsoft.seedAccount({
      email: 'cli.file@example.com',
      name: 'Cli File',
      windowsTimeZone: 'Tokyo Standard Time',
    });
    const file = join(dataDir, 'token.txt');
    writeFileSync(file, `${refreshToken}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const open = await run(['accounts', 'add', '--provider', 'microsoft', '--refresh-token-file', file], env);
    expect(open.code).not.toBe(0);
    expect(lines(open.stderr)).toEqual([
      `coffee-chat: --refresh-token-file ${file} can be read by others (mode 0644); run: chmod 600 ${file}`,
    ]);
    expect(JSON.parse((await run(['accounts', 'list', '--json'], env)).stdout)).toEqual([]);
    chmodSync(file, 0o600);
    const ok = await run(
      ['accounts', 'add', '--provider', 'microsoft', '--refresh-token-file', file, '--json'],
      env,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ email: 'cli.file@example.com', provider: 'microsoft' });
    expect((await run(['accounts', 'remove', 'cli.file@example.com'], env)).code).toBe(0);
  });

  it('adds an account from a good token on standard input and shows it in status --json', async () => {
    const { refreshToken } = sandbox.google.seedAccount({
      email: 'cli.user@example.com',
      name: 'Cli User',
      timeZone: 'Europe/Berlin',
    });
    const add = await run(
      ['accounts', 'add', '--provider', 'google', '--refresh-token', '-', '--name', 'Cli User'],
      env,
      `${refreshToken}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/added google account cli\.user@example\.com \(time zone Europe\/Berlin/);
    const status = await run(['status', '--json'], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.accounts).toEqual([
      expect.objectContaining({ email: 'cli.user@example.com', provider: 'google', status: 'active' }),
    ]);
    expect(s.chats).toEqual([]);
    // The stored token is encrypted, never the plaintext.
    const { openDatabase } = await import('../../worker/db/client.ts');
    const db = await openDatabase({ databaseUrl: '', dataDir });
    try {
      const row = await db.prisma.account.findFirstOrThrow();
      expect(row.refreshTokenEnc).not.toContain(refreshToken);
      expect(row.tokenKeyId).toBe('k1');
    } finally {
      await db.close();
    }
  });

  it('says which contact is unknown and which zone is invalid', async () => {
    const bad = await run(['contacts', 'set', 'nobody@example.org', '--time-zone', 'Mars/Olympus'], env);
    expect(bad.code).not.toBe(0);
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/"Mars\/Olympus" is not an IANA time zone/)]);
    const unknown = await run(['contacts', 'set', 'nobody@example.org', '--time-zone', 'Asia/Tokyo'], env);
    expect(lines(unknown.stderr)).toEqual([expect.stringMatching(/no contact nobody@example.org/)]);
  });
});

describe('coffee-chat CLI without Redis', () => {
  it('says so in one line for commands that need it, and still answers read-only ones', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-cli-noredis-'));
    try {
      const env = { DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1' };
      const note = await run(['chats', 'note', 'some-chat', 'advice'], env);
      expect(note.code).not.toBe(0);
      expect(lines(note.stderr)).toEqual([
        expect.stringMatching(
          /^coffee-chat: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)/,
        ),
      ]);
      const status = await run(['status', '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout).accounts).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
