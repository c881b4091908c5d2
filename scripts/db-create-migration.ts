// `npm run db:migration -- <name>`: diffs prisma/schema.prisma against prisma/migrations with
// Prisma's Wasm schema engine and writes the next migration folder, like
// `prisma migrate dev --create-only --name <name>` (which cannot run here: the CLI wants to
// download a native engine). Apply it with `npx coffee-chat db migrate`.
import { relative } from 'node:path';
import { createMigration } from '../worker/db/schema-engine.ts';

const name = process.argv[2];
if (!name || !/^[A-Za-z0-9_]+$/.test(name)) {
  process.stderr.write(
    'usage: npm run db:migration -- <name>   (letters, digits and _ only, e.g. add_contact_notes)\n',
  );
  process.exit(2);
}
try {
  const created = await createMigration(name);
  if (!created) {
    process.stdout.write('schema.prisma and prisma/migrations already agree: no migration written\n');
  } else {
    process.stdout.write(
      `wrote ${relative(process.cwd(), created.path)}/migration.sql (${created.sql.split('\n').length} lines); apply it with: npx coffee-chat db migrate\n`,
    );
  }
} catch (err) {
  process.stderr.write(`db:migration: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
}
