// Starts a throwaway redis-server on a free loopback port in a temporary directory (tests and the
// demo, when REDIS_URL is not set). Fails with one clear line when the binary is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class MissingRedisError extends Error {
  constructor() {
    super(
      'redis-server was not found on PATH: set REDIS_URL to a running Redis, or install one ' +
        '(docker compose up -d redis | sudo apt-get install redis-server | brew install redis)',
    );
    this.name = 'MissingRedisError';
  }
}

export interface LocalRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.connect(port, '127.0.0.1');
  });
}

/**
 * Without `dir`: a throwaway server (no persistence; its temporary directory is removed on stop).
 * With `dir` (`coffee-chat run`): the queues survive a restart: append-only file in `dir`, fsync
 * every second, kept after stop.
 */
export async function startLocalRedis(opts: { dir?: string } = {}): Promise<LocalRedis> {
  if (spawnSync('redis-server', ['--version']).error) throw new MissingRedisError();
  const keep = opts.dir !== undefined;
  if (keep) mkdirSync(opts.dir!, { recursive: true });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'coffee-chat-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      keep ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop Redis last,
    // after the queues are drained and closed (in the same group it would die first, and closing
    // the worker would wait forever on a Redis that is gone).
    { stdio: 'ignore', detached: true },
  );
  // Whatever way this process ends, the server does not outlive it.
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
