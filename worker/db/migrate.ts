// Applies prisma/migrations/* to either home (embedded PGlite or a real PostgreSQL) without the
// Prisma CLI, which cannot run here (it insists on downloading a native engine). It keeps the
// `_prisma_migrations` table exactly as `prisma migrate deploy` does, so operators can switch to
// Prisma's own workflow at any time: same table DDL, one row per migration, `checksum` = SHA-256
// hex of migration.sql, `started_at` before the script runs, `finished_at` and
// `applied_steps_count = 1` after it succeeded, `logs` holding the error when it failed.
// Table and semantics: https://github.com/prisma/prisma-engines/blob/main/schema-engine/ARCHITECTURE.md
// (section "The _prisma_migrations table"); the DDL below is the engine's Postgres one. A test
// (test/integration/db-migrate-*.test.ts) has Prisma's Wasm engine read back what we wrote.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's prisma/migrations folder (independent of the working directory). */
export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

/** The smallest SQL surface the runner needs; implemented over PGlite and over `pg`. */
export interface SqlRunner {
  /** One statement with $1.. parameters (extended protocol). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A whole script, possibly many statements (simple protocol: one implicit transaction). */
  exec(script: string): Promise<void>;
}

export interface MigrationFile {
  /** Folder name, e.g. 20261125194500_init. */
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Names applied by this call, oldest first. */
  applied: string[];
  /** How many migrations the folder holds (all now applied). */
  total: number;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Prisma's checksum: SHA-256 of the migration.sql bytes, lowercase hex. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** The migration folders in name (= timestamp) order, as Prisma reads them. */
export function readMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError(`no migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    });
}

// prisma-engines, schema-engine/connectors/sql-schema-connector (Postgres flavour).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// The same advisory lock key prisma migrate uses, so our runner and theirs never overlap.
const ADVISORY_LOCK_KEY = 72707369;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  started_at: Date | string;
  logs: string | null;
}

async function tableExists(db: SqlRunner, name: string): Promise<boolean> {
  const rows = await db.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`"${name}"`]);
  return rows[0]?.t != null;
}

/** Rows of `_prisma_migrations` that count (not rolled back). Empty when the table is missing. */
export async function appliedMigrations(db: SqlRunner): Promise<AppliedRow[]> {
  if (!(await tableExists(db, '_prisma_migrations'))) return [];
  return db.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
  );
}

/** Names of folder migrations not yet applied (throws on a failed or edited migration). */
export async function pendingMigrations(
  db: SqlRunner,
  dir: string = MIGRATIONS_DIR,
): Promise<MigrationFile[]> {
  return plan(readMigrations(dir), await appliedMigrations(db));
}

function plan(files: MigrationFile[], rows: AppliedRow[]): MigrationFile[] {
  const failed = rows.find((r) => r.finished_at == null);
  // No error recorded: another process is applying it right now (its row is written before the
  // script runs), or that run was killed half-way. Saying "failed" would send an operator to
  // repair a database that is only busy.
  if (failed && failed.logs == null) {
    const since = new Date(failed.started_at).toISOString();
    throw new MigrationError(
      `migration ${failed.migration_name} has been applying since ${since}: wait for it; if nothing is migrating any more, its run was interrupted — mark it with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` and migrate again`,
    );
  }
  if (failed) {
    throw new MigrationError(
      `migration ${failed.migration_name} failed earlier and needs attention` +
        (failed.logs ? ` (${failed.logs.split('\n')[0]})` : '') +
        `; fix the database, then mark it with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` or delete its row from _prisma_migrations`,
    );
  }
  const byName = new Map(rows.map((r) => [r.migration_name, r]));
  for (const f of files) {
    const row = byName.get(f.name);
    // Prisma only warns about edited migrations in deploy; refusing is safer for a tool that
    // migrates on every start.
    if (row && row.checksum !== f.checksum) {
      throw new MigrationError(
        `migration ${f.name} was edited after it was applied (checksum ${f.checksum.slice(0, 12)}… ≠ recorded ${row.checksum.slice(0, 12)}…); restore the original migration.sql and add a new migration instead`,
      );
    }
  }
  return files.filter((f) => !byName.has(f.name));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { code?: string; detail?: string; position?: string };
    return [e.code ? `${e.code}: ${e.message}` : e.message, e.detail].filter(Boolean).join('\n');
  }
  return String(err);
}

/**
 * Applies every pending migration, oldest first, the way `prisma migrate deploy` does, then checks
 * that each one left a finished row behind. `lock` takes Prisma's advisory lock (real Postgres,
 * where several processes may migrate at once; PGlite has one session, so there is nothing to lock).
 */
export async function applyPendingMigrations(
  db: SqlRunner,
  opts: { dir?: string; lock?: boolean } = {},
): Promise<MigrateResult> {
  const files = readMigrations(opts.dir);
  if (files.length === 0) throw new MigrationError(`no migrations found in ${opts.dir ?? MIGRATIONS_DIR}`);
  if (opts.lock) await db.query(`SELECT pg_advisory_lock(${ADVISORY_LOCK_KEY})`);
  try {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const pending = plan(files, await appliedMigrations(db));
    for (const m of pending) {
      const id = randomUUID();
      await db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
        [id, m.checksum, m.name],
      );
      try {
        await db.exec(m.sql);
      } catch (err) {
        const logs = errorText(err);
        await db.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, logs]);
        throw new MigrationError(`migration ${m.name} failed: ${logs.split('\n')[0]}`);
      }
      await db.query(
        `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1`,
        [id],
      );
    }
    // No success without proof: every folder migration has a finished row now.
    const after = plan(files, await appliedMigrations(db));
    if (after.length > 0) {
      throw new MigrationError(
        `migrations still pending after apply: ${after.map((m) => m.name).join(', ')}`,
      );
    }
    return { applied: pending.map((m) => m.name), total: files.length };
  } finally {
    if (opts.lock) await db.query(`SELECT pg_advisory_unlock(${ADVISORY_LOCK_KEY})`).catch(() => undefined);
  }
}

/** Tables the current schema must have after migrating (checked by `db migrate` and the tests). */
export async function missingTables(db: SqlRunner, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const n of names) if (!(await tableExists(db, n))) missing.push(n);
  return missing;
}
