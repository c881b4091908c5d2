// Who owns an embedded (PGlite) data directory. PGlite is a single-process database: two
// processes opening the same files would corrupt them. The first process takes
// DATA_DIR/pglite.lock (its pid, then the loopback port of the socket server it hosts); any other
// process that finds a live owner talks to it through that port instead of opening the files.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export interface LockInfo {
  pid: number;
  /** Null while the owner is still opening the database. */
  port: number | null;
  /** 127.0.0.1 (owners before the unix socket), or the directory of the owner's unix socket. */
  host: string;
  startedAt: string;
}

export type LockOutcome =
  | { role: 'owner'; lockPath: string }
  | { role: 'client'; lockPath: string; info: LockInfo & { port: number } };

export function lockPath(dataDir: string): string {
  return join(dataDir, 'pglite.lock');
}

export function readLock(path: string): LockInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    // A host starting with / is the directory of a unix socket (pg's convention).
    const s = host.startsWith('/')
      ? connect({ path: join(host, `.s.PGSQL.${port}`) })
      : connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes the lock atomically (no reader ever sees half a file). */
export function writeLock(path: string, info: LockInfo): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * Moves a stale lock aside. Renaming is atomic, and we check that what we moved is still the lock
 * we judged stale: if another process replaced it meanwhile, we put theirs back.
 */
function removeStale(path: string, stale: LockInfo | null): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else removed it first
  }
  const moved = readLock(aside);
  if (stale && moved && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt)) {
    renameSync(aside, path);
    return;
  }
  rmSync(aside, { force: true });
}

export class EmbeddedBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedBusyError';
  }
}

/**
 * Becomes the owner of dataDir, or finds the live owner to connect to. Waits (up to timeoutMs) for
 * an owner that is still starting; takes over a lock whose process is gone.
 */
export async function acquireOrFindOwner(dataDir: string, timeoutMs = 60_000): Promise<LockOutcome> {
  const path = lockPath(dataDir);
  const deadline = Date.now() + timeoutMs;
  let refusedSince: number | null = null;
  for (;;) {
    const mine: LockInfo = {
      pid: process.pid,
      port: null,
      host: '127.0.0.1',
      startedAt: new Date().toISOString(),
    };
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: 'wx' });
      return { role: 'owner', lockPath: path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const info = readLock(path);
    if (!info) {
      // Being written right now, or garbage: garbage older than a few seconds is stale.
      const age = existsSync(path) ? Date.now() - statSync(path).mtimeMs : 0;
      if (age > 5_000) removeStale(path, null);
    } else if (!pidAlive(info.pid)) {
      removeStale(path, info);
      continue;
    } else if (info.port != null) {
      if (await portOpen(info.host, info.port))
        return { role: 'client', lockPath: path, info: { ...info, port: info.port } };
      // A live pid whose port stays closed is a recycled pid after a crash (or an owner that is
      // closing): give it a few seconds, then take over.
      refusedSince ??= Date.now();
      if (Date.now() - refusedSince > 5_000) {
        removeStale(path, info);
        refusedSince = null;
        continue;
      }
    }
    if (Date.now() > deadline) {
      throw new EmbeddedBusyError(
        `the embedded database in ${dataDir} is held by process ${info?.pid ?? '?'}, which did not open it within ${Math.round(timeoutMs / 1000)} s; stop that process or remove ${path} if it is gone`,
      );
    }
    await sleep(100);
  }
}

/** Removes the lock if it is still ours. */
export function releaseLock(path: string): void {
  const info = readLock(path);
  if (info && info.pid === process.pid) rmSync(path, { force: true });
}
