// Child process of bench.ts (run with --expose-gc): the sandbox alone, seeded with N Google and N
// Microsoft accounts of ~5 events each (no sync), so its memory is measured without the worker,
// the database or the other benchmark phases in the same heap. Prints one JSON line.
import { startSandbox } from '../../sandbox/server.ts';
import { seedAccount, seedWeek, type Kind } from './seed.ts';

const n = Number(process.argv[2] ?? 10_000);
const tlsDir = process.argv[3];
const gc = (globalThis as { gc?: () => void }).gc;
const settle = () => {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage();
};

const sandbox = await startSandbox({ tlsDir });
const base = settle();
const out: Record<string, unknown> = {
  accounts: n,
  gcExposed: Boolean(gc),
  baseRssBytes: base.rss,
  baseHeapBytes: base.heapUsed,
};
let prev = base;
const now = new Date();
for (const kind of ['google', 'microsoft'] as Kind[]) {
  const t0 = performance.now();
  let last = '';
  let token = '';
  for (let i = 0; i < n; i++) {
    const a = seedAccount(sandbox, kind, `mem${i}@${kind === 'google' ? 'gmail' : 'contoso'}.example`);
    seedWeek(a, now, 5);
    last = a.email;
    token = a.refreshToken;
  }
  const seedMs = performance.now() - t0;
  const m = settle();
  // The last account answers like the first: a token refresh over HTTP.
  const t1 = performance.now();
  const res =
    kind === 'google'
      ? await fetch(sandbox.env.GOOGLE_TOKEN_URL, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: 'x',
            client_secret: 'y',
          }),
        })
      : await fetch(sandbox.env.MICROSOFT_TOKEN_URL, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: 'x',
            scope: 'offline_access User.Read',
          }),
        });
  out[kind] = {
    seedMs,
    heapDeltaBytes: m.heapUsed - prev.heapUsed,
    rssDeltaBytes: m.rss - prev.rss,
    lastAccount: last,
    lastAccountTokenStatus: res.status,
    lastAccountTokenMs: performance.now() - t1,
  };
  prev = m;
}
out.totalRssBytes = prev.rss;
out.totalHeapBytes = prev.heapUsed;
await sandbox.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
