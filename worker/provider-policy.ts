// The ONE place where provider failures become worker behaviour. Integrations map their errors
// to ProviderError kinds; this applies the policy for every job that talks to a provider:
// - auth_revoked: the account becomes needs_reconnect and its jobs stop hitting the provider;
// - rate_limited: this job (only) waits Retry-After, bounded, and the account remembers the window
//   so its other jobs wait too, without blocking other accounts;
// - transient: thrown on, so BullMQ retries with exponential backoff and jitter (bounded attempts);
// - not_found / bad_request: the job fails at once, visibly (retrying cannot help).
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { App } from './app.ts';
import type { Account } from './db/generated/client.ts';
import { guardProviderCalls } from './lock-context.ts';
import { ProviderError, isProviderError, type ProviderClients } from '../integrations/provider.ts';

export const MAX_RATE_LIMIT_WAITS = 6;
const DEFAULT_RETRY_AFTER_MS = 30_000;

export class AccountUnavailable extends Error {
  constructor(readonly status: string) {
    super(`account is ${status}`);
  }
}

export async function withProvider<T>(
  app: App,
  job: Job | undefined,
  token: string | undefined,
  account: Account,
  fn: (clients: ProviderClients) => Promise<T>,
): Promise<T> {
  const now = app.now();
  if (account.status !== 'active') throw new AccountUnavailable(account.status);
  if (account.rateLimitedUntil && account.rateLimitedUntil > now && job && token) {
    await job.moveToDelayed(account.rateLimitedUntil.getTime() + jitter(), token);
    throw new DelayedError();
  }
  try {
    // Every provider call first checks that the locks this job holds are still its own.
    const clients = guardProviderCalls(await app.providers(account));
    const result = await fn(clients);
    if (account.lastError || account.rateLimitedUntil) {
      await app.prisma.account.update({
        where: { id: account.id },
        data: { lastError: null, lastErrorAt: null, rateLimitedUntil: null },
      });
    }
    return result;
  } catch (err) {
    if (!isProviderError(err)) throw err;
    const provider = account.provider;
    app.metrics.providerErrors.inc({ provider, kind: err.kind, status: String(err.status ?? '') });
    if (err.kind === 'auth_revoked') app.metrics.tokenRefreshes.inc({ provider, outcome: 'revoked' });
    if (err.kind === 'rate_limited')
      app.metrics.retryAfterSeconds.inc({ provider }, (err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) / 1000);
    const log = app.log.child({
      account: account.email,
      provider: account.provider,
      kind: err.kind,
      job: job?.name,
    });
    switch (err.kind) {
      case 'auth_revoked': {
        log.warn('provider refused the refresh token: account needs to be reconnected');
        await app.prisma.account.update({
          where: { id: account.id },
          data: {
            status: 'needs_reconnect',
            lastError: `reconnect needed: ${err.message}`,
            lastErrorAt: now,
          },
        });
        throw new UnrecoverableError(`account ${account.email} needs to be reconnected`);
      }
      case 'rate_limited': {
        const waitMs = err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
        const until = new Date(now.getTime() + waitMs);
        const waits = Number((job?.data as { rateLimitWaits?: number } | undefined)?.rateLimitWaits ?? 0);
        await app.prisma.account.update({
          where: { id: account.id },
          data: {
            rateLimitedUntil: until,
            ...(waits + 1 >= MAX_RATE_LIMIT_WAITS
              ? { lastError: `rate limited by ${account.provider} (${waits + 1} waits)`, lastErrorAt: now }
              : {}),
          },
        });
        if (job && token && waits + 1 < MAX_RATE_LIMIT_WAITS) {
          log.info({ waitMs }, 'rate limited: waiting as the provider asked');
          await job.updateData({ ...(job.data as object), rateLimitWaits: waits + 1 });
          await job.moveToDelayed(until.getTime(), token);
          throw new DelayedError();
        }
        throw new ProviderError(
          account.provider,
          'rate_limited',
          `rate limited by ${account.provider} too many times: ${err.message}`,
        );
      }
      case 'transient': {
        const last = job ? job.attemptsMade + 1 >= (job.opts.attempts ?? 1) : true;
        if (last) {
          await app.prisma.account.update({
            where: { id: account.id },
            data: { lastError: `${account.provider} unavailable: ${err.message}`, lastErrorAt: now },
          });
        }
        throw err;
      }
      case 'cursor_expired':
        throw err; // handled by the sync job itself
      case 'not_found':
      case 'bad_request': {
        await app.prisma.account.update({
          where: { id: account.id },
          data: { lastError: `${err.kind}: ${err.message}`, lastErrorAt: now },
        });
        throw new UnrecoverableError(`${err.kind}: ${err.message}`);
      }
    }
  }
}

/**
 * A failure another try may fix later: the provider was unavailable (5xx, network, timeout) or
 * kept rate-limiting. Refused grants, missing items, bad requests and our own bugs are not.
 */
export function isRetryableFailure(err: unknown): boolean {
  return isProviderError(err) && (err.kind === 'transient' || err.kind === 'rate_limited');
}

function jitter(): number {
  return Math.floor(Math.random() * 1_000);
}
