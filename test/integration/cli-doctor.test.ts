// `coffee-chat doctor` as a person runs it before trusting the worker: one line per finding.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { seal } from '../../worker/crypto.ts';
import { openDatabase } from '../../worker/db/client.ts';
import { startLocalRedis, type LocalRedis } from '../../worker/services/local-redis.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function doctor(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), 'doctor'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += String(b)));
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('coffee-chat doctor', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let aofRedis: LocalRedis;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-doctor-'));
    sandbox = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR });
    aofRedis = await startLocalRedis({ dir: join(dataDir, 'redis') });
    env = {
      DATA_DIR: dataDir,
      QUEUE_PREFIX: `doctor-${randomBytes(3).toString('hex')}`,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...sandbox.env,
      GOOGLE_CLIENT_ID: 'doctor.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'doctor-secret',
      MICROSOFT_CLIENT_ID: '00000000-0000-0000-0000-0000000000d1',
    };
  });
  afterAll(async () => {
    await aofRedis?.stop();
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('all good on a Redis with AOF and noeviction, a migrated database and reachable providers', async () => {
    const r = await doctor({ ...env, REDIS_URL: aofRedis.url });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^✓ database: embedded at .+, migrations current$/m);
    expect(r.stdout).toMatch(/^✓ redis: reachable, appendonly yes, maxmemory-policy noeviction$/m);
    expect(r.stdout).toMatch(/^✓ clock: within \d+ s of google$/m);
    expect(r.stdout).toMatch(/^✓ clock: within \d+ s of microsoft$/m);
    expect(r.stdout).toMatch(/^✓ accounts: none connected yet/m);
    expect(r.stdout).not.toMatch(/^✗/m);
    expect(r.stdout).toMatch(/all good\n$/);
    expect(r.code).toBe(0);
  });

  it('names a Redis without AOF, a token sealed with another key and a grant missing a scope, each with its fix, and exits 1', async () => {
    const db = await openDatabase({ databaseUrl: '', dataDir });
    try {
      const user = await db.prisma.user.create({ data: { name: 'Maya' } });
      const other = { id: 'old', key: randomBytes(32) };
      const sealed = seal('1//refresh-token', other);
      await db.prisma.account.create({
        data: {
          userId: user.id,
          provider: 'google',
          email: 'maya@example.com',
          refreshTokenEnc: sealed.data,
          tokenKeyId: sealed.keyId,
          scopes: [],
        },
      });
      // A Microsoft grant recorded at connect without Mail.ReadWrite (the user unticked it).
      const msKey = { id: 'k1', key: Buffer.from(env.TOKEN_ENCRYPTION_KEY!, 'base64') };
      const ms = seal('ms-refresh-token', msKey);
      await db.prisma.account.create({
        data: {
          userId: user.id,
          provider: 'microsoft',
          email: 'maya@contoso.example',
          refreshTokenEnc: ms.data,
          tokenKeyId: ms.keyId,
          scopes: ['openid', 'User.Read', 'Calendars.ReadWrite', 'MailboxSettings.Read'],
        },
      });
    } finally {
      await db.close();
    }
    // The suite's own Redis runs without an append-only file.
    const r = await doctor({ ...env, REDIS_URL: process.env.REDIS_URL! });
    const problems = r.stdout.split('\n').filter((l) => l.startsWith('✗'));
    expect(problems).toEqual([
      expect.stringMatching(/^✗ redis: appendonly is off: .*set `appendonly yes`/),
      expect.stringMatching(
        /^✗ tokens: google maya@example\.com: its refresh token does not open \(key "old": .*\); add the key it was sealed with to TOKEN_ENCRYPTION_PREVIOUS_KEYS as old:<base64>, or reconnect the account$/,
      ),
      expect.stringMatching(
        /^✗ accounts: microsoft maya@contoso\.example: Microsoft granted only part of the access coffee-chat needs; missing: Mail\.ReadWrite\b/,
      ),
    ]);
    expect(r.stdout).toMatch(/3 problems found\n$/);
    expect(r.code).toBe(1);
  });
});
