// The migration runner's SqlRunner over the two drivers we hold before Prisma is up.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import type { SqlRunner } from './migrate.ts';

export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
  };
}

/** Over one `pg` client (not a pool: the advisory lock belongs to a session). */
export function pgRunner(client: pg.Client): SqlRunner {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(script: string) {
      // No parameters → simple query protocol: many statements, one implicit transaction,
      // which is how Prisma's engine runs a migration script.
      await client.query(script);
    },
  };
}

/** Over a Prisma client, for checks after open (one statement per call; no scripts). */
export function prismaRunner(prisma: {
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
}): SqlRunner {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return prisma.$queryRawUnsafe<T[]>(sql, ...params);
    },
    async exec() {
      throw new Error('prismaRunner cannot run scripts');
    },
  };
}
