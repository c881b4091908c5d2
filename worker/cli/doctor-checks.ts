// `coffee-chat doctor`: what a person checks before trusting the worker with their mail, each
// answered with one line: ✓ what is right, or ✗ what is wrong and the fix.
import type { App } from '../app.ts';
import { activeKey, openStoredToken } from '../token-keys.ts';
import { credentialsProblems, endpointsFrom, PROVIDER_KINDS, providerModule } from '../providers.ts';
import type { ProviderKind } from '../../integrations/provider.ts';

export interface Finding {
  ok: boolean;
  /** "redis", "database", ... */
  topic: string;
  line: string;
}

const ok = (topic: string, line: string): Finding => ({ ok: true, topic, line });
const bad = (topic: string, line: string): Finding => ({ ok: false, topic, line });

/** Largest clock difference tolerated: OAuth tokens and Graph's delta windows are minute-grained. */
export const MAX_CLOCK_SKEW_MS = 60_000;

export async function checkRedis(app: App): Promise<Finding[]> {
  try {
    if (app.redis.status === 'wait') await app.redis.connect();
    await withTimeout(app.redis.ping(), 5_000, 'no answer in 5 s');
  } catch (err) {
    return [bad('redis', `not reachable (${message(err)}): start it or fix REDIS_URL / REDIS_CLUSTER_NODES`)];
  }
  const out: Finding[] = [];
  const get = async (name: string) => {
    try {
      const r = (await app.redis.config('GET', name)) as unknown as string[];
      return r[1];
    } catch {
      return undefined; // managed services often refuse CONFIG
    }
  };
  const [aof, policy] = [await get('appendonly'), await get('maxmemory-policy')];
  if (aof === undefined || policy === undefined)
    out.push(
      ok(
        'redis',
        'reachable; CONFIG is not allowed here, so check by hand: appendonly yes, maxmemory-policy noeviction',
      ),
    );
  else {
    if (aof !== 'yes')
      out.push(
        bad(
          'redis',
          'appendonly is off: a Redis restart loses the queues until the reconciler rebuilds them; set `appendonly yes` (redis-server --appendonly yes)',
        ),
      );
    if (policy !== 'noeviction')
      out.push(
        bad(
          'redis',
          `maxmemory-policy is ${policy}: Redis may evict queued jobs; set \`maxmemory-policy noeviction\` (BullMQ requires it)`,
        ),
      );
    if (out.length === 0) out.push(ok('redis', 'reachable, appendonly yes, maxmemory-policy noeviction'));
  }
  return out;
}

/** Every stored refresh token opens with the configured key. */
export async function checkTokens(app: App): Promise<Finding[]> {
  const accounts = await app.prisma.account.findMany({
    select: {
      email: true,
      provider: true,
      tokenKeyId: true,
      refreshTokenEnc: true,
      status: true,
      lastError: true,
      scopes: true,
    },
  });
  if (accounts.length === 0)
    return [ok('accounts', 'none connected yet: `coffee-chat accounts connect google` (or microsoft)')];
  let key;
  try {
    key = activeKey(app.config);
  } catch (err) {
    return [bad('tokens', message(err))];
  }
  const out: Finding[] = [];
  for (const a of accounts) {
    try {
      // (A token sealed before tokens were bound to their account is re-sealed on first use.)
      if (openStoredToken(app.config, a).stale && a.tokenKeyId !== key.id)
        out.push(
          bad(
            'tokens',
            `${a.provider} ${a.email}: sealed with the previous key "${a.tokenKeyId}": run \`coffee-chat accounts reseal\`, then drop that key`,
          ),
        );
    } catch (err) {
      out.push(
        bad(
          'tokens',
          `${a.provider} ${a.email}: its refresh token does not open (key "${a.tokenKeyId}": ${message(err)}); add the key it was sealed with to TOKEN_ENCRYPTION_PREVIOUS_KEYS as ${a.tokenKeyId}:<base64>, or reconnect the account`,
        ),
      );
    }
    const grant = providerModule(a.provider).grantProblem(a.scopes);
    if (grant) out.push(bad('accounts', `${a.provider} ${a.email}: ${grant}`));
    if (a.status !== 'active')
      out.push(
        bad(
          'accounts',
          `${a.provider} ${a.email} is ${a.status}${a.lastError ? ` (${a.lastError})` : ''}: \`coffee-chat accounts connect ${a.provider}\``,
        ),
      );
  }
  if (out.length === 0)
    out.push(
      ok(
        'accounts',
        `${accounts.length} connected, every refresh token opens with key "${key.id}", every grant holds the scopes needed`,
      ),
    );
  return out;
}

export async function checkProviderSettings(app: App): Promise<Finding[]> {
  const kinds = await app.prisma.account.findMany({ distinct: ['provider'], select: { provider: true } });
  const used = kinds.map((k) => k.provider as ProviderKind);
  const problems = credentialsProblems(app.config, used);
  const out = problems.map((p) => bad('providers', p));
  if (app.config.MICROSOFT_CLIENT_SECRET)
    out.push(
      ok(
        'providers',
        'MICROSOFT_CLIENT_SECRET is set: right only for a Web-platform (confidential) app; with "Mobile and desktop applications" Entra refuses it (AADSTS700025): unset it',
      ),
    );
  if (problems.length === 0 && used.length > 0)
    out.push(ok('providers', `client settings present for ${used.join(' and ')}`));
  return out;
}

/** The machine's clock against each provider's `Date` header (OAuth and sync windows need it right). */
export async function checkClock(app: App, now: () => number = Date.now): Promise<Finding[]> {
  const e = endpointsFrom(app.config);
  const targets: Record<ProviderKind, string> = { google: e.googleTokenUrl, microsoft: e.microsoftTokenUrl };
  const out: Finding[] = [];
  for (const kind of PROVIDER_KINDS) {
    const url = targets[kind];
    try {
      const before = now();
      const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
      const after = now();
      const date = res.headers.get('date');
      if (!date) {
        out.push(ok('clock', `${kind}: ${new URL(url).host} sent no Date header; not checked`));
        continue;
      }
      // The header has one-second resolution: compare with the middle of the round trip.
      const skew = (before + after) / 2 - Date.parse(date);
      out.push(
        Math.abs(skew) > MAX_CLOCK_SKEW_MS
          ? bad(
              'clock',
              `${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} ${kind} (${new URL(url).host}): turn on time sync (timedatectl set-ntp true)`,
            )
          : ok('clock', `within ${Math.max(1, Math.round(Math.abs(skew) / 1000))} s of ${kind}`),
      );
    } catch (err) {
      out.push(
        bad(
          'network',
          `${kind}: cannot reach ${new URL(url).host} (${message(err)}): check the network, proxy or the base-URL variables`,
        ),
      );
    }
  }
  return out;
}

/** With push on: the public webhook URL answers from here (Google and Graph need HTTPS). */
export async function checkPush(app: App): Promise<Finding[]> {
  const base = app.config.PUBLIC_WEBHOOK_URL;
  if (!base) return [ok('push', 'off (PUBLIC_WEBHOOK_URL unset): calendars are polled every SYNC_INTERVAL')];
  const out: Finding[] = [];
  if (new URL(base).protocol !== 'https:')
    out.push(
      bad(
        'push',
        `PUBLIC_WEBHOOK_URL is not https: Google and Microsoft only deliver to HTTPS with a valid certificate`,
      ),
    );
  try {
    const hooks = new URL('hooks/google', base.endsWith('/') ? base : `${base}/`);
    const res = await fetch(hooks, { method: 'POST', signal: AbortSignal.timeout(5_000) });
    // Our listener refuses an unsigned notification with a 4xx; a proxy or tunnel whose upstream
    // is down answers 5xx itself.
    out.push(
      res.status >= 400 && res.status < 500
        ? ok('push', `${hooks.host} answers (${res.status} to an unsigned notification)`)
        : bad(
            'push',
            `${hooks.href} answered ${res.status}: the tunnel or proxy does not reach the webhook listener (WEBHOOK_PORT)`,
          ),
    );
  } catch (err) {
    out.push(
      bad(
        'push',
        `${base} is not reachable from here (${message(err)}): check the tunnel or proxy points at the webhook listener (WEBHOOK_PORT)`,
      ),
    );
  }
  return out;
}

function message(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string } } & Error;
  const m = e?.cause?.code ?? e?.cause?.message ?? (err instanceof Error ? err.message : String(err));
  return String(m).split('\n')[0]!;
}

function withTimeout<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(why)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
