// A real PostgreSQL for tests. getTestPostgres() returns the URL of a fresh, empty database:
// - TEST_DATABASE_URL set → a uniquely named database created on that server;
// - else, if `initdb` is installed (PATH or /usr/lib/postgresql/*/bin), a throwaway cluster on a
//   free loopback port in a temp dir (run as the `postgres` user when we are root), one per test
//   process, stopped by stopTestPostgres() or at exit;
// - else null, and postgresSkipReason() says why (tests then describe.skip and print it).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../worker/services/local-redis.ts';

interface Cluster {
  baseUrl: string;
  /** Databases we created (dropped on stop when the server is not ours). */
  created: string[];
  stop(): void;
}

let cluster: Promise<Cluster | null> | undefined;
let skipReason: string | null = null;

export function postgresSkipReason(): string | null {
  return skipReason;
}

function findBinDir(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) {
    // pg_ctl and postgres live beside the real binary (PATH may hold a symlink).
    const real = execFileSync('readlink', ['-f', onPath.stdout.trim()], { encoding: 'utf8' }).trim();
    return real.replace(/\/initdb$/, '');
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function startCluster(): Promise<Cluster | null> {
  const bin = findBinDir();
  if (!bin) {
    skipReason =
      'no PostgreSQL: set TEST_DATABASE_URL or install it (apt-get install -y postgresql) to run the Postgres tests';
    return null;
  }
  const asRoot = userInfo().uid === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) {
      skipReason =
        'running as root and there is no `postgres` user to run initdb as; set TEST_DATABASE_URL to run the Postgres tests';
      return null;
    }
    uid = Number(id.stdout.trim());
    gid = Number(g.stdout.trim());
  }
  const dir = mkdtempSync(join(tmpdir(), 'coffee-chat-pg-'));
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const)
      : ([join(bin, cmd), args] as const);
    const r = spawnSync(full[0], [...full[1]], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0)
      throw new Error(
        `${cmd} failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`,
      );
  };
  const port = await freePort();
  try {
    run('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    skipReason = `could not start a throwaway PostgreSQL (${(err as Error).message}); set TEST_DATABASE_URL to use an existing server`;
    return null;
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return { baseUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`, created: [], stop };
}

function externalServer(url: string): Cluster {
  const c: Cluster = {
    baseUrl: url,
    created: [],
    stop: () => undefined,
  };
  return c;
}

/** URL of a fresh empty database, or null (see postgresSkipReason()). */
export async function getTestPostgres(): Promise<string | null> {
  const external = process.env.TEST_DATABASE_URL;
  cluster ??= external ? Promise.resolve(externalServer(external)) : startCluster();
  const c = await cluster;
  if (!c) return null;
  const name = `coffee_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: c.baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  c.created.push(name);
  const u = new URL(c.baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops what we created on an external server, or stops our throwaway cluster. */
export async function stopTestPostgres(): Promise<void> {
  const c = await cluster;
  cluster = undefined;
  if (!c) return;
  if (process.env.TEST_DATABASE_URL) {
    const admin = new pg.Client({ connectionString: c.baseUrl });
    await admin.connect();
    try {
      for (const name of c.created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  c.stop();
}
