// A Redis with a password (requirepass / ACL user): REDIS_URL carries the credentials, the queues
// and the locks use them, and a wrong or missing password is one clear line that names the
// problem without printing the password.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { freePort } from '../../worker/services/local-redis.ts';
import { queueConnection, lockClient } from '../../worker/queues/connection.ts';
import { parseConfig } from '../../worker/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = randomBytes(18).toString('base64url');

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    child.stdin.end('');
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.on('exit', (code) => done({ code, stderr }));
  });
}

describe('a password-protected Redis', () => {
  let port: number;
  let server: ChildProcess;
  let dataDir: string;
  beforeAll(async () => {
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--requirepass',
        PASSWORD,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const probe = new Redis({ port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      const ok = await probe.connect().then(
        () => true,
        () => false,
      );
      probe.disconnect();
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-redis-auth-'));
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the queues and the locks work with the credentials from REDIS_URL', async () => {
    const config = parseConfig({
      REDIS_URL: `redis://default:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/0`,
      QUEUE_PREFIX: 'auth',
    });
    const { connection, disconnect } = queueConnection(config);
    const queue = new Queue('probe', { connection, prefix: 'auth' });
    try {
      await queue.add('x', { n: 1 });
      expect(await queue.getJobCountByTypes('waiting')).toBe(1);
    } finally {
      await queue.close();
      disconnect();
    }
    const locks = lockClient(config);
    try {
      expect(await locks.ping()).toBe('PONG');
    } finally {
      locks.disconnect();
    }
  });

  it('a wrong password is one line naming REDIS_URL, without the password', async () => {
    const env = {
      DATA_DIR: dataDir,
      REDIS_URL: `redis://:not-the-password@127.0.0.1:${port}`,
    };
    const r = await run(['chats', 'note', 'some-chat', 'advice'], env);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^coffee-chat: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the credentials in REDIS_URL \(WRONGPASS/,
      ),
    ]);
    expect(r.stderr).not.toContain('not-the-password');
  });

  it('no password is one line saying Redis wants one', async () => {
    const r = await run(['chats', 'note', 'some-chat', 'advice'], {
      DATA_DIR: dataDir,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^coffee-chat: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the credentials in REDIS_URL \(NOAUTH/,
      ),
    ]);
  });
});
