// Migrations apply on both homes, record what `prisma migrate deploy` records, and a second
// apply is a no-op. Real databases: a temp PGlite dir, and a real PostgreSQL when one is found.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../../worker/db/client.ts';
import {
  applyPendingMigrations,
  MigrationError,
  migrationChecksum,
  readMigrations,
} from '../../worker/db/migrate.ts';
import { withSchemaEngine } from '../../worker/db/schema-engine.ts';
import { pgliteRunner } from '../../worker/db/sql-runners.ts';
import { missingSchemaTables } from '../../worker/db/verify.ts';
import { openTestDb, testDbKinds, type DbKind, type TestDb } from '../helpers/db.ts';
import { stopTestPostgres } from '../helpers/postgres.ts';

const kinds = await testDbKinds();
const allKinds: DbKind[] = ['embedded', 'postgres'];
const migrations = readMigrations();

interface Row {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
  applied_steps_count: number;
}

afterAll(async () => {
  await stopTestPostgres();
});

describe.each(allKinds)('migrations on %s', (kind) => {
  const run = kinds.includes(kind) ? it : it.skip;

  run(
    'apply to a fresh database, record _prisma_migrations rows, and a second apply does nothing',
    async () => {
      const db = await openTestDb(kind);
      try {
        await firstAndSecondOpen(kind, db);
      } finally {
        await db.dispose();
      }
    },
  );
});

async function firstAndSecondOpen(kind: DbKind, db: TestDb): Promise<void> {
  try {
    expect(db.kind).toBe(kind);
    expect(db.migrations).toEqual({ applied: migrations.map((m) => m.name), total: migrations.length });
    expect(await missingSchemaTables(db)).toEqual([]);

    const rows = await db.prisma.$queryRawUnsafe<Row[]>(
      'SELECT * FROM "_prisma_migrations" ORDER BY started_at',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, r] of rows.entries()) {
      expect(r.checksum).toBe(migrations[i]!.checksum);
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.rolled_back_at).toBeNull();
      expect(r.logs).toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }

    // The schema is usable: a row goes in and comes back.
    const user = await db.prisma.user.create({ data: { name: 'Ada' } });
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).name).toBe('Ada');
  } finally {
    await db.close();
  }

  const again = await openDatabase(
    kind === 'embedded' ? { databaseUrl: '', dataDir: db.dataDir! } : { databaseUrl: db.url! },
  );
  try {
    expect(again.migrations).toEqual({ applied: [], total: migrations.length });
    const count = await again.prisma.$queryRawUnsafe<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM "_prisma_migrations"',
    );
    expect(count[0]!.n).toBe(migrations.length);
    expect(await again.prisma.user.count()).toBe(1);
  } finally {
    await again.close();
  }
}

describe("Prisma's own engine agrees with our bookkeeping", () => {
  it('diagnoseMigrationHistory sees nothing edited, failed or pending, and applyMigrations has nothing to do', async () => {
    const pglite = new PGlite();
    try {
      const result = await applyPendingMigrations(pgliteRunner(pglite));
      expect(result.applied).toHaveLength(migrations.length);
      await withSchemaEngine(
        async ({ engine, migrations: list }) => {
          const diag = await engine.diagnoseMigrationHistory({
            migrationsList: list,
            optInToShadowDatabase: false,
            filters: { externalTables: [], externalEnums: [] },
          });
          expect(diag).toMatchObject({
            editedMigrationNames: [],
            failedMigrationNames: [],
            hasMigrationsTable: true,
            history: null,
          });
          const applied = await engine.applyMigrations({
            migrationsList: list,
            filters: { externalTables: [], externalEnums: [] },
          });
          expect(applied.appliedMigrationNames).toEqual([]);
        },
        { main: pglite },
      );
    } finally {
      await pglite.close();
    }
  });
});

describe('migration runner failure modes (in-memory PGlite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-chat-mig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, sql: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  };

  it('a failing migration leaves a failed row with its error, and later runs refuse until it is resolved', async () => {
    write('20260101000000_ok', 'CREATE TABLE "A" (id int);');
    write('20260102000000_bad', 'CREATE TABLE "B" (id int);\nCREATE TABLE "A" (id int);');
    const pglite = new PGlite();
    try {
      const runner = pgliteRunner(pglite);
      await expect(applyPendingMigrations(runner, { dir })).rejects.toThrow(
        /20260102000000_bad failed: .*already exists/,
      );
      const rows = (await pglite.query<Row>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name'))
        .rows;
      expect(rows.map((r) => [r.migration_name, r.finished_at !== null, r.applied_steps_count])).toEqual([
        ['20260101000000_ok', true, 1],
        ['20260102000000_bad', false, 0],
      ]);
      expect(rows[1]!.logs).toMatch(/already exists/);
      // The script ran as one implicit transaction: "B" was not left half-created.
      expect((await pglite.query(`SELECT to_regclass('"B"') AS t`)).rows[0]).toEqual({ t: null });
      await expect(applyPendingMigrations(runner, { dir })).rejects.toThrow(
        /failed earlier and needs attention/,
      );
    } finally {
      await pglite.close();
    }
  });

  it('a migration another process is still applying is reported as in progress, not as failed', async () => {
    write('20260101000000_ok', 'CREATE TABLE "A" (id int);');
    const pglite = new PGlite();
    try {
      const runner = pgliteRunner(pglite);
      await applyPendingMigrations(runner, { dir });
      // What a concurrent run has written at this point: its row, before the script has run.
      write('20260102000000_slow', 'CREATE TABLE "B" (id int);');
      await pglite.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ('x', 'c', '20260102000000_slow', now(), 0)`,
      );
      const err = await applyPendingMigrations(runner, { dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect(String(err)).toMatch(/20260102000000_slow has been applying since \d{4}-/);
      expect(String(err)).not.toMatch(/failed/);
    } finally {
      await pglite.close();
    }
  });

  it('refuses a migration edited after it was applied', async () => {
    write('20260101000000_ok', 'CREATE TABLE "A" (id int);');
    const pglite = new PGlite();
    try {
      const runner = pgliteRunner(pglite);
      expect((await applyPendingMigrations(runner, { dir })).applied).toEqual(['20260101000000_ok']);
      write('20260101000000_ok', 'CREATE TABLE "A" (id bigint);');
      await expect(applyPendingMigrations(runner, { dir })).rejects.toThrow(
        /was edited after it was applied/,
      );
    } finally {
      await pglite.close();
    }
  });

  it('an empty migrations folder is an error, not a silent success', async () => {
    const pglite = new PGlite();
    try {
      await expect(applyPendingMigrations(pgliteRunner(pglite), { dir })).rejects.toThrow(MigrationError);
    } finally {
      await pglite.close();
    }
  });

  it('checksums are SHA-256 hex of the file, as Prisma computes them', () => {
    expect(migrationChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
