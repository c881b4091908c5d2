// prisma/schema.prisma and prisma/migrations must describe the same database: Prisma's own
// engine (Wasm) replays the migrations on a scratch PGlite and diffs the result against the schema.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { MIGRATIONS_DIR } from '../../worker/db/migrate.ts';
import { createMigration, SCHEMA_PATH, schemaDrift } from '../../worker/db/schema-engine.ts';

// Each step replays every migration through the Wasm engine: ~20 s alone on 2 cores, over a minute
// when the machine is busy (two suites at once); the default 60 s made it fail by load, not by drift.
jest.setTimeout(180_000);

describe('schema drift', () => {
  it('schema.prisma and the migrations agree (empty diff)', async () => {
    const drift = await schemaDrift();
    if (drift) {
      throw new Error(
        `schema.prisma changed without a migration; run \`npm run db:migration -- <name>\`. Missing SQL:\n${drift}`,
      );
    }
    expect(drift).toBeNull();
  });

  describe('with a changed schema (a scratch copy)', () => {
    let dir: string;
    let schemaPath: string;
    let migrationsDir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'coffee-chat-drift-'));
      schemaPath = join(dir, 'schema.prisma');
      migrationsDir = join(dir, 'migrations');
      cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
      writeFileSync(
        schemaPath,
        readFileSync(SCHEMA_PATH, 'utf8').replace('model User {\n', 'model User {\n  nickname  String?\n'),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the drift check notices it', async () => {
      expect(await schemaDrift({ schemaPath, migrationsDir })).toMatch(
        /ALTER TABLE "User" ADD COLUMN\s+"nickname" TEXT/,
      );
    });

    it('db:migration writes the next migration folder, after which there is no drift', async () => {
      const created = await createMigration('add_nickname', { schemaPath, migrationsDir });
      expect(created?.name).toMatch(/^\d{14}_add_nickname$/);
      expect(readdirSync(migrationsDir).sort().at(-2)).toBe(created!.name);
      expect(readFileSync(join(created!.path, 'migration.sql'), 'utf8')).toMatch(
        /ADD COLUMN\s+"nickname" TEXT/,
      );
      expect(await schemaDrift({ schemaPath, migrationsDir })).toBeNull();
      expect(await createMigration('nothing', { schemaPath, migrationsDir })).toBeNull();
    });
  });
});
