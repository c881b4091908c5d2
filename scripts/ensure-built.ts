// `dist/` as production runs it, built first when it is missing or older than any source file, so
// a stale build is never soaked or benchmarked (scripts/soak.ts, scripts/bench.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What `npm run build` compiles or copies, and how (tsconfig.build.json, scripts/build.ts). */
const SOURCES = [
  'worker',
  'integrations',
  'sandbox',
  'templates',
  'prisma',
  'scripts/bench/worker-proc.ts',
  'scripts/bench/ipc.ts',
  'scripts/build.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];
/** What the soak and the bench start from dist/. */
const ENTRIES = ['dist/worker/cli/main.js', 'dist/scripts/bench/worker-proc.js'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true }))
    if (e.name !== 'node_modules') n = Math.max(n, newest(join(path, e.name)));
  return n;
}

/** Builds `dist/` unless each entry is newer than every source; exits the process if the build fails. */
export function ensureBuilt(why: string): void {
  const sources = Math.max(...SOURCES.map((p) => newest(join(ROOT, p))));
  const fresh = ENTRIES.every((e) => existsSync(join(ROOT, e)) && statSync(join(ROOT, e)).mtimeMs >= sources);
  if (fresh) return;
  process.stdout.write(`building dist/ (${why})\n`);
  const built = spawnSync(process.execPath, [...process.execArgv, join(ROOT, 'scripts', 'build.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
