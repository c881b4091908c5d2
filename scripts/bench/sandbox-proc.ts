// Child process of bench.ts: the provider sandbox in a process of its own, so that the worker's
// memory and CPU are measured without it. The parent seeds and changes mailboxes over IPC
// (ipc.ts); the worker reaches the sandbox over HTTP(S) as it would reach Google and Microsoft.
import { startSandbox } from '../../sandbox/server.ts';
import { serve } from './ipc.ts';
import { seedAccount, seedChat, seedWeek, type Kind, type SeededAccount } from './seed.ts';

const tlsDir = process.argv[2];
const sandbox = await startSandbox({ tlsDir });
const mailboxes = new Map<string, SeededAccount>();

serve(
  {
    /** `count` accounts `${prefix}${i}@…` with `events` ordinary meetings each; returns their tokens. */
    seed(a: { kind: Kind; prefix: string; from: number; count: number; events: number }) {
      const now = new Date();
      const out: { email: string; refreshToken: string }[] = [];
      for (let i = a.from; i < a.from + a.count; i++) {
        const email = `${a.prefix}${i}@${a.kind === 'google' ? 'gmail.example' : 'contoso.example'}`;
        const m = seedAccount(sandbox, a.kind, email);
        seedWeek(m, now, a.events);
        mailboxes.set(email, m);
        out.push({ email, refreshToken: m.refreshToken });
      }
      return out;
    },
    /** A new one-to-one coffee chat, as if made in the provider's UI; `at` is just before it exists. */
    addChat(a: { email: string; start: string; contact: { email: string; name: string } }) {
      const m = mailboxes.get(a.email);
      if (!m) throw new Error(`no mailbox ${a.email}`);
      const at = Date.now();
      const eventId = seedChat(m, new Date(a.start), a.contact, 30);
      return { at, eventId };
    },
    /** API requests served so far (token calls included), and how many were not 2xx. */
    requests() {
      let errors = 0;
      for (const r of sandbox.requests) if (r.status >= 400) errors++;
      return { total: sandbox.requests.length, errors, counts: sandbox.counts() };
    },
    /** The request log grows with every call; a long sweep drops it between phases. */
    dropLog() {
      sandbox.requests.length = 0;
      return {};
    },
    memory: () => process.memoryUsage(),
  },
  { env: sandbox.env, url: sandbox.url },
);
process.on('SIGTERM', () => void sandbox.close().finally(() => process.exit(0)));
