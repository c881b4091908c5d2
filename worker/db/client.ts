// Opens the database in one of its two homes and hands back a ready Prisma client:
// - DATABASE_URL set → a real PostgreSQL through @prisma/adapter-pg;
// - unset → the embedded PGlite in DATA_DIR/pglite. Its first opener owns the files and serves
//   them on a loopback Postgres socket (pglite-socket); later openers, in this or another process
//   (`coffee-chat status` beside a running worker), connect to that socket.
// Every open applies pending migrations first (migrate.ts) unless told not to.
//
// Why the owner's own Prisma client also goes through the socket rather than
// pglite-prisma-adapter in process: PGlite is ONE Postgres session. The socket server keeps each
// connection's transaction to itself (it queues other connections' queries until COMMIT), but an
// in-process client bypasses that queue, so its queries would land inside a socket client's open
// transaction (and vanish with its ROLLBACK), and vice versa. One door keeps transactions apart;
// loopback costs a fraction of a millisecond per query.
//
// Who may connect: pglite-socket 0.2 has no authentication (it hands the startup message to
// PGlite, which answers AuthenticationOk to any user and password), so on a TCP port any local
// user could read every event or rewrite a stored sync cursor. The socket is therefore a unix
// socket inside a 0700 directory (DATA_DIR itself is made 0700): the kernel lets only this user
// (and root) reach it. A password in a file would not help: nothing on the server side checks it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { serializeExchanges } from './socket-queue.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { config } from '../config.ts';
import { acquireOrFindOwner, releaseLock, writeLock } from './embedded-lock.ts';
import { PrismaClient } from './generated/client.ts';
import { applyPendingMigrations, pendingMigrations, type MigrateResult, type SqlRunner } from './migrate.ts';
import { pgliteRunner, pgRunner } from './sql-runners.ts';

export { PrismaClient };

export interface Db {
  prisma: PrismaClient;
  kind: 'embedded' | 'postgres';
  /** Embedded only: 'owner' holds the PGlite files and serves them; 'client' reaches the owner's socket. */
  role: 'owner' | 'client' | 'server';
  /** For messages: the PGlite directory, or the Postgres URL without its password. */
  location: string;
  /** What this open applied (null when opened with migrate: false). */
  migrations: MigrateResult | null;
  /** Disconnects Prisma; the owner also stops its socket server, closes PGlite and drops the lock. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Defaults to config().DATABASE_URL; an empty string forces the embedded store. */
  databaseUrl?: string;
  /** Defaults to config().DATA_DIR; the embedded files live in <dataDir>/pglite. */
  dataDir?: string;
  /**
   * Apply pending migrations before returning (true, the default), skip them (false), or only
   * check (`'check'`, PostgreSQL only): refuse with one line when the database is behind, so
   * processes sharing a server never migrate it from under each other (`db migrate` does that).
   */
  migrate?: boolean | 'check';
  /** Prisma's connection pool size (default 8 for an owner or Postgres, 4 for an embedded client). */
  poolSize?: number;
}

/** A database that cannot be reached or opened; its message is one line, safe to print. */
export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

// pglite-socket serves one query at a time; each open pool connection counts against this.
const SOCKET_MAX_CONNECTIONS = 100;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reason(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return err.message || code || err.name;
  }
  return String(err);
}

export async function openDatabase(opts: OpenOptions = {}): Promise<Db> {
  const databaseUrl = opts.databaseUrl ?? config().DATABASE_URL;
  if (databaseUrl) return openPostgres(databaseUrl, opts);
  return openEmbedded(resolve(opts.dataDir ?? config().DATA_DIR), opts);
}

async function migrateWith(runner: SqlRunner, lock: boolean, where: string): Promise<MigrateResult> {
  try {
    return await applyPendingMigrations(runner, { lock });
  } catch (err) {
    throw new DatabaseError(`migrating ${where} failed: ${reason(err).split('\n')[0]}`, { cause: err });
  }
}

/** Runs `fn` on one short-lived pg client (migrations need one session). */
async function withPgClient<T>(
  config: pg.ClientConfig,
  where: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionTimeoutMillis: 10_000, ...config });
  // A dropped connection emits 'error'; without a listener Node would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new DatabaseError(`cannot connect to ${where}: ${reason(err)}`, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Db> {
  const location = redactUrl(url);
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new DatabaseError(`DATABASE_URL must be a postgres:// URL, got ${location}`);
  const where = `the database at ${location}`;
  let migrations: MigrateResult | null = null;
  if (opts.migrate === 'check') {
    await withPgClient({ connectionString: url }, where, async (c) => {
      const behind = await pendingMigrations(pgRunner(c)).catch((err: unknown) => {
        throw new DatabaseError(`${where}: ${reason(err).split('\n')[0]}`, { cause: err });
      });
      if (behind.length > 0)
        throw new DatabaseError(
          `${where} is ${behind.length} migration${behind.length === 1 ? '' : 's'} behind (next: ${behind[0]!.name}); run \`coffee-chat db migrate\` once, then start this again`,
        );
    });
  } else if (opts.migrate !== false) {
    migrations = await withPgClient({ connectionString: url }, where, (c) =>
      migrateWith(pgRunner(c), true, where),
    );
  } else {
    await withPgClient({ connectionString: url }, where, async (c) => void (await c.query('SELECT 1')));
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: opts.poolSize ?? 8 }),
  });
  return {
    prisma,
    kind: 'postgres',
    role: 'server',
    location,
    migrations,
    close: once(() => prisma.$disconnect()),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** pg's name for a unix socket: <dir>/.s.PGSQL.<port>; a host starting with / is such a dir. */
const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;

/**
 * The directory of the owner's unix socket: DATA_DIR/socket, or a fresh 0700 temp directory when
 * that path is too long for a socket name.
 */
function socketDir(dataDir: string): string {
  const inData = join(dataDir, 'socket');
  if (Buffer.byteLength(join(inData, `.s.PGSQL.${SOCKET_PORT}`)) <= MAX_SOCKET_PATH) {
    // The owner holds the lock: a socket file left here is a crashed owner's.
    rmSync(inData, { recursive: true, force: true });
    mkdirSync(inData, { mode: 0o700 });
    return inData;
  }
  return mkdtempSync(join(tmpdir(), 'coffee-chat-db-'));
}

function socketPrisma(host: string, port: number, max: number): PrismaClient {
  // pglite-socket accepts any user and password; the socket's directory is what keeps others out.
  return new PrismaClient({
    adapter: new PrismaPg({
      host,
      port,
      user: 'postgres',
      password: 'postgres',
      database: 'postgres',
      max,
    }),
  });
}

async function openEmbedded(dataDir: string, opts: OpenOptions): Promise<Db> {
  // Events, contacts, sync cursors and the socket live here: this user's only.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const pgliteDir = resolve(dataDir, 'pglite');
  const outcome = await acquireOrFindOwner(dataDir);

  if (outcome.role === 'client') {
    const { port, host, pid } = outcome.info;
    const where = `the embedded database served by process ${pid} on ${host}:${port}`;
    const clientCfg = { host, port, user: 'postgres', password: 'postgres', database: 'postgres' };
    let migrations: MigrateResult | null = null;
    if (opts.migrate !== false) {
      migrations = await withPgClient(clientCfg, where, (c) =>
        migrateWith(pgRunner(c), false, `the embedded database at ${pgliteDir}`),
      );
    }
    const prisma = socketPrisma(host, port, opts.poolSize ?? 4);
    return {
      prisma,
      kind: 'embedded',
      role: 'client',
      location: pgliteDir,
      migrations,
      close: once(() => prisma.$disconnect()),
    };
  }

  // Owner: open the files, migrate in process, then serve.
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let sockDir: string | undefined;
  try {
    db = await PGlite.create(pgliteDir);
    const migrations =
      opts.migrate !== false
        ? await migrateWith(pgliteRunner(db), false, `the embedded database at ${pgliteDir}`)
        : null;
    sockDir = socketDir(dataDir);
    server = new PGLiteSocketServer({
      db,
      path: join(sockDir, `.s.PGSQL.${SOCKET_PORT}`),
      maxConnections: SOCKET_MAX_CONNECTIONS,
    });
    serializeExchanges(server);
    await server.start();
    writeLock(outcome.lockPath, {
      pid: process.pid,
      port: SOCKET_PORT,
      host: sockDir,
      startedAt: new Date().toISOString(),
    });
    const prisma = socketPrisma(sockDir, SOCKET_PORT, opts.poolSize ?? 8);
    const pglite = db;
    const srv = server;
    const dir = sockDir;
    return {
      prisma,
      kind: 'embedded',
      role: 'owner',
      location: pgliteDir,
      migrations,
      close: once(async () => {
        try {
          await prisma.$disconnect();
          await srv.stop();
          await pglite.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
          releaseLock(outcome.lockPath);
        }
      }),
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    if (sockDir) rmSync(sockDir, { recursive: true, force: true });
    releaseLock(outcome.lockPath);
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(
      `cannot open the embedded database at ${pgliteDir}: ${reason(err).split('\n')[0]}`,
      { cause: err },
    );
  }
}
