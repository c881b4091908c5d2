// Bearer-token authentication for Calendar/Gmail routes, and the fault hook every Google route runs.
import type { FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import type { Fault } from '../faults.ts';
import { GoogleApiError, invalidCredentials } from './errors.ts';
import type { Account, GoogleState } from './state.ts';

export function authenticate(state: GoogleState, ctx: SandboxContext, req: FastifyRequest): Account {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) {
    // https://developers.google.com/calendar/api/guides/errors#401_invalid_credentials
    throw new GoogleApiError(401, 'required', 'Request is missing required authentication credential.', {
      location: 'Authorization',
      locationType: 'header',
    });
  }
  const tok = state.accessTokens.get(m[1]!);
  if (!tok) throw invalidCredentials();
  if (tok.expiresAt <= ctx.now().getTime()) {
    state.accessTokens.delete(m[1]!);
    throw invalidCredentials();
  }
  const account = state.account(tok.email);
  if (!account || account.revoked) throw invalidCredentials();
  req.sandboxAccount = account.email;
  return account;
}

function matches(f: Fault, method: string, path: string, account?: string): boolean {
  return (
    f.provider === 'google' &&
    (!f.method || f.method === method) &&
    path.includes(f.pathIncludes) &&
    (!f.account || f.account.toLowerCase() === account?.toLowerCase())
  );
}

/** Revokes every credential of an account: refresh tokens answer invalid_grant, access tokens 401. */
export function revokeAccount(state: GoogleState, account: Account): void {
  account.revoked = true;
  state.dropRefreshTokens(account);
  state.dropAccessTokens(account);
}

/**
 * Applies the first matching injected fault. `syncTokenRequest` says whether this request is an
 * incremental events.list (the only place a sync_token_expired fault applies; elsewhere it waits).
 * Error bodies follow https://developers.google.com/calendar/api/guides/errors (403 rateLimitExceeded,
 * 429 rateLimitExceeded, 500 backendError, 503, 410 fullSyncRequired).
 */
export async function applyFault(
  state: GoogleState,
  ctx: SandboxContext,
  req: FastifyRequest,
  account: Account | undefined,
  opts: { syncTokenRequest?: boolean; tokenEndpoint?: boolean } = {},
): Promise<void> {
  const path = req.url.split('?')[0] ?? req.url;
  const first = ctx.faults.list().find((f) => matches(f, req.method, path, account?.email));
  if (!first) return;
  if (first.kind === 'sync_token_expired' && !opts.syncTokenRequest) return;
  const f = ctx.faults.take({ provider: 'google', method: req.method, path, account: account?.email });
  if (!f) return;
  const retry = f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {};
  switch (f.kind) {
    case 'slow':
      await new Promise((r) => setTimeout(r, f.delayMs ?? 1000));
      return;
    case 'rate_limit':
      if (f.status === 429) {
        throw new GoogleApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', {
          domain: 'usageLimits',
          ...retry,
        });
      }
      // https://developers.google.com/calendar/api/guides/errors#403_rate_limit_exceeded
      throw new GoogleApiError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', {
        domain: 'usageLimits',
        ...retry,
      });
    case 'server_error':
      // https://developers.google.com/calendar/api/guides/errors#500_backend_error
      if (f.status === 503)
        throw new GoogleApiError(503, 'backendError', 'The service is currently unavailable.', retry);
      throw new GoogleApiError(f.status ?? 500, 'backendError', 'Backend Error', retry);
    case 'revoked':
      if (account) revokeAccount(state, account);
      if (opts.tokenEndpoint)
        throw new GoogleApiError(400, 'invalid_grant', 'Token has been expired or revoked.');
      throw invalidCredentials();
    case 'sync_token_expired':
      // https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server
      throw new GoogleApiError(
        410,
        'fullSyncRequired',
        'Sync token is no longer valid, a full sync is required.',
        {
          domain: 'calendar',
        },
      );
  }
}
