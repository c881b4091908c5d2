// `dist/` as production runs it, built first when it is missing or older than any source file, so
// a stale build is never soaked or benchmarked (scripts/soak.ts, scripts/bench.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What `npm run build` compiles or copies (tsconfig.build.json, scripts/build.ts). */
const SOURCES = ['worker', 'integrations', 'sandbox', 'templates', 'prisma', 'scripts/bench'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'generated' && e.name !== 'node_modules') newest = Math.max(newest, newestSource(p));
    } else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `dist/` unless it is newer than every source; exits the process if the build fails. */
export function ensureBuilt(why: string): void {
  const entry = join(ROOT, 'dist', 'worker', 'cli', 'main.js');
  const sources = Math.max(...SOURCES.map((d) => newestSource(join(ROOT, d))));
  if (existsSync(entry) && statSync(entry).mtimeMs >= sources) return;
  process.stdout.write(`building dist/ (${why})\n`);
  const built = spawnSync(process.execPath, [...process.execArgv, join(ROOT, 'scripts', 'build.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
