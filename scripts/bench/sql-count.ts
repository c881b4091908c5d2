// Counts the SQL statements sent to the database while `fn` runs: every Prisma query of the worker
// goes through node-postgres (the PrismaPg adapter, on PostgreSQL and on the embedded database's
// socket alike), so counting Client#query calls counts round trips.
import pg from 'pg';

export async function countStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let statements = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statements += 1;
    return original.apply(this, args);
  };
  try {
    return { result: await fn(), statements };
  } finally {
    proto.query = original;
  }
}
