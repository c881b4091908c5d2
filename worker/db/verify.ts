// Proof that a migrated database holds the schema: every model's table and Prisma's history table.
import { Prisma } from './generated/client.ts';
import type { Db } from './client.ts';
import { missingTables } from './migrate.ts';
import { prismaRunner } from './sql-runners.ts';

export const MODEL_TABLES: string[] = Object.values(Prisma.ModelName);

/** Tables that should exist and do not (empty when the database is complete). */
export async function missingSchemaTables(db: Pick<Db, 'prisma'>): Promise<string[]> {
  return missingTables(prismaRunner(db.prisma), ['_prisma_migrations', ...MODEL_TABLES]);
}
