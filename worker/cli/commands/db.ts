// `coffee-chat db migrate`: applies pending migrations (prisma/migrations) to the configured
// database (DATABASE_URL, else the embedded store in DATA_DIR) and proves the tables exist.
import { relative, sep } from 'node:path';
import type { Command } from 'commander';
import { openDatabase, type Db } from '../../db/client.ts';
import { missingSchemaTables } from '../../db/verify.ts';

function describe(db: Db): string {
  if (db.kind === 'postgres') return `database at ${db.location}`;
  const rel = relative(process.cwd(), db.location);
  const shown = rel && !rel.startsWith('..') ? `.${sep}${rel}` : db.location;
  return `embedded database at ${shown}${db.role === 'client' ? ' (through the running owner process)' : ''}`;
}

const plural = (n: number) => `${n} migration${n === 1 ? '' : 's'}`;

export function registerDb(program: Command): void {
  const dbCmd = program.command('db').description('Database maintenance');
  dbCmd
    .command('migrate')
    .description(
      'Apply pending migrations from prisma/migrations (DATABASE_URL, else the embedded store in DATA_DIR)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const db = await openDatabase({ migrate: true });
      try {
        const missing = await missingSchemaTables(db);
        if (missing.length > 0)
          throw new Error(`migrations ran but tables are missing: ${missing.join(', ')}`);
        const m = db.migrations!;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ kind: db.kind, location: db.location, applied: m.applied, total: m.total })}\n`,
          );
        } else if (m.applied.length > 0) {
          process.stdout.write(
            `applied ${plural(m.applied.length)} (${m.applied.join(', ')}) to ${describe(db)}\n`,
          );
        } else {
          process.stdout.write(`database is up to date (${plural(m.total)}): ${describe(db)}\n`);
        }
      } finally {
        await db.close();
      }
    });
}
