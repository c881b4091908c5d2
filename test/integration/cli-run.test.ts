// `coffee-chat run` as a person starts it: one process, no REDIS_URL, an empty data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function canConnect(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((done) => {
    const s = new Socket();
    s.once('connect', () => (s.destroy(), done(true)));
    s.once('error', () => done(false));
    s.connect(Number(u.port), u.hostname);
  });
}

describe('coffee-chat run', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-run-'));
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts its own Redis, serves the review page with how to connect, and stops cleanly on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      QUEUE_PREFIX: `run-${randomBytes(3).toString('hex')}`,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    // Its own process group, as a terminal gives it: Ctrl-C reaches the whole group.
    child = spawn(process.execPath, [join(ROOT, 'bin/coffee-chat.js'), 'run', '--port', '0'], {
      cwd: ROOT,
      env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b) => (stdout += String(b)));
    child.stderr!.on('data', (b) => (stderr += String(b)));
    const exited = new Promise<number | null>((done) => child!.on('exit', (code) => done(code)));

    const deadline = Date.now() + 90_000;
    while (!/Ctrl-C to stop/.test(stdout) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    const url = /review page (http:\S+)/.exec(stdout)?.[1];
    expect([url, stderr]).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/), '']);
    expect(stdout).toMatch(
      /No accounts yet: in another terminal run `npx coffee-chat accounts connect google`/,
    );

    const page = await (await fetch(url!)).text();
    expect(page).toContain('No accounts yet');
    expect((await fetch(new URL('healthz', url))).status).toBe(200);
    // The queues are kept on disk (append-only file) in the data folder, not in a temp dir.
    expect(existsSync(join(dataDir, 'redis'))).toBe(true);
    expect(readdirSync(join(dataDir, 'redis')).join(' ')).toMatch(/appendonly/);

    process.kill(-child.pid!, 'SIGINT'); // Ctrl-C in the terminal
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/coffee-chat stopped\n$/);
    expect(await canConnect(url!)).toBe(false);
  }, 120_000);
});
