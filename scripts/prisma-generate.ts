// Generates the Prisma client (worker/db/generated, not committed) after `npm ci`.
// Every Prisma CLI command first tries to download the native schema engine, which these
// machines cannot reach; `generate` does not use it, so any existing file satisfies the check.
// (Migrations never go through the CLI here: see worker/db/migrate.ts.)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const cli = require.resolve('prisma/build/index.js');
const r = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
