// Child process of bench.ts: the floor. Bare BullMQ workers on the same Redis, at the sync queue's
// concurrency, with none of the product around them:
//   queue `floor`: each job does the I/O of an idle sync — one GET to the sandbox (Google's
//     calendarList or Graph's /me/calendar, with an access token fetched before timing) and one
//     UPDATE of one row (the account's lastSyncAt) through the same Prisma client the worker uses;
//   queue `noop`: each job does nothing.
import { Worker } from 'bullmq';
import { queueConnection, queuePrefix } from '../../worker/queues/connection.ts';
import { parseConfig } from '../../worker/config.ts';
import { openDatabase } from '../../worker/db/client.ts';
import { serve } from './ipc.ts';

const config = parseConfig(process.env);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const db = await openDatabase({ migrate: false });
const { connection, disconnect } = queueConnection(config);
const prefix = queuePrefix(config);

interface Target {
  accountId: string;
  provider: 'google' | 'microsoft';
  url: string;
  token: string;
}
let targets: Target[] = [];

async function accessToken(provider: 'google' | 'microsoft', refreshToken: string): Promise<string> {
  const body =
    provider === 'google'
      ? {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: config.GOOGLE_CLIENT_ID ?? '',
          client_secret: config.GOOGLE_CLIENT_SECRET ?? '',
        }
      : {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: config.MICROSOFT_CLIENT_ID ?? '',
          client_secret: config.MICROSOFT_CLIENT_SECRET ?? '',
          scope: 'offline_access User.Read Calendars.ReadWrite',
        };
  const res = await fetch(provider === 'google' ? config.GOOGLE_TOKEN_URL : config.MICROSOFT_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body as Record<string, string>),
  });
  const json = (await res.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`no access token from the ${provider} sandbox (${res.status})`);
  return json.access_token;
}

const workers = [
  new Worker(
    'floor',
    async (job) => {
      const t = targets[(job.data as { i: number }).i % targets.length]!;
      const res = await fetch(t.url, { headers: { authorization: `Bearer ${t.token}` } });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`GET ${t.url}: ${res.status}`);
      await db.prisma.$executeRaw`UPDATE "Account" SET "lastSyncAt" = now() WHERE id = ${t.accountId}`;
    },
    { connection, prefix, concurrency },
  ),
  new Worker('noop', async () => undefined, { connection, prefix, concurrency }),
];
await Promise.all(workers.map((w) => w.waitUntilReady()));

serve({
  /** Access tokens for these accounts (not timed). */
  async targets(list: { accountId: string; provider: 'google' | 'microsoft'; refreshToken: string }[]) {
    targets = [];
    for (const a of list) {
      const url =
        a.provider === 'google'
          ? `${config.GOOGLE_API_ROOT_URL!.replace(/\/$/, '')}/calendar/v3/users/me/calendarList`
          : `${config.MICROSOFT_GRAPH_BASE_URL!.replace(/\/$/, '')}/me/calendar`;
      targets.push({
        accountId: a.accountId,
        provider: a.provider,
        url,
        token: await accessToken(a.provider, a.refreshToken),
      });
    }
    return { targets: targets.length };
  },
});

process.on('SIGTERM', () => {
  void Promise.all(workers.map((w) => w.close()))
    .then(() => disconnect())
    .then(() => db.close())
    .finally(() => process.exit(0));
});
