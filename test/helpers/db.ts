// Databases for integration tests, in either home:
//   const kinds = await testDbKinds();            // ['embedded', 'postgres'] or ['embedded'] (+ a printed reason)
//   const db = await openTestDb('embedded');      // fresh temp DATA_DIR, migrated
//   ... db.prisma ...
//   await db.dispose();                           // closes and removes what it made
// For 'postgres' it needs getTestPostgres() to find a server (see test/helpers/postgres.ts); call
// stopTestPostgres() in afterAll so the throwaway cluster goes away with the test file.
// Trap: an embedded TestDb is served by THIS process (other processes reach it over a loopback
// socket). Never spawnSync/execSync a CLI command against its DATA_DIR: the blocked event loop
// cannot answer the child, and both wait until the child's connection times out. Use async spawn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db, type OpenOptions } from '../../worker/db/client.ts';
import { getTestPostgres, postgresSkipReason } from './postgres.ts';

export type DbKind = 'embedded' | 'postgres';

export interface TestDb extends Db {
  /** Embedded: the temp DATA_DIR. */
  dataDir?: string;
  /** Postgres: the fresh database's URL. */
  url?: string;
  /** Closes the database and deletes the temp DATA_DIR. */
  dispose(): Promise<void>;
}

export class PostgresUnavailable extends Error {}

/** The kinds this machine can test; prints once why Postgres is skipped. */
export async function testDbKinds(): Promise<DbKind[]> {
  if (await postgresAvailable()) return ['embedded', 'postgres'];
  return ['embedded'];
}

let probed: Promise<boolean> | undefined;
let warned = false;
/** True when a Postgres is available for tests (starts the throwaway cluster if needed). */
export function postgresAvailable(): Promise<boolean> {
  probed ??= getTestPostgres().then((url) => {
    if (!url && !warned) {
      warned = true;
      process.stderr.write(`[skip] Postgres tests: ${postgresSkipReason()}\n`);
    }
    return url !== null;
  });
  return probed;
}

/** A fresh, migrated database (pass migrate: false for an empty one). */
export async function openTestDb(
  kind: DbKind,
  opts: Pick<OpenOptions, 'migrate' | 'poolSize'> = {},
): Promise<TestDb> {
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffee-chat-data-'));
    const db = await openDatabase({ ...opts, databaseUrl: '', dataDir });
    return {
      ...db,
      dataDir,
      dispose: async () => {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const url = await getTestPostgres();
  if (!url) throw new PostgresUnavailable(`Postgres unavailable: ${postgresSkipReason()}`);
  const db = await openDatabase({ ...opts, databaseUrl: url });
  return { ...db, url, dispose: () => db.close() };
}
