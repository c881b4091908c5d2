// `npm run build`: compiles worker/, integrations/ and sandbox/ to dist/ (and the bench's worker
// child, scripts/bench/worker-proc.ts, so it runs compiled like production; tsc rewrites the `.ts`
// import specifiers to `.js`), then copies what the code reads from disk beside it at the same
// relative places: templates/ and prisma/ (schema and migrations). Production then runs
// `node dist/worker/cli/main.js …` with no TypeScript loader.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(join(root, 'templates'), join(out, 'templates'), { recursive: true });
cpSync(join(root, 'prisma', 'schema.prisma'), join(out, 'prisma', 'schema.prisma'));
cpSync(join(root, 'prisma', 'migrations'), join(out, 'prisma', 'migrations'), { recursive: true });
process.stdout.write(`built ${out} (run: node dist/worker/cli/main.js --help)\n`);
