// The ONE mapping of Google's errors (OAuth token endpoint, Calendar v3, Gmail v1, network) to the
// shared ProviderError kinds. The worker's provider policy decides what each kind means.
// Error shapes: https://developers.google.com/calendar/api/guides/errors ,
// https://developers.google.com/gmail/api/guides/handle-errors ,
// token endpoint: https://developers.google.com/identity/protocols/oauth2/web-server#offline (invalid_grant)
import { ProviderError, isProviderError } from '../provider.ts';
import { isNetworkError, parseRetryAfter } from '../http-errors.ts';

export { parseRetryAfter } from '../http-errors.ts';

/** Wait used when Google rate-limits without a Retry-After header (it usually sends none). */
export const DEFAULT_RETRY_AFTER_MS = 30_000;

const RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);
const SCOPE_REASONS = new Set([
  'insufficientPermissions',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  'authError',
  'unauthorized',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string | number;
  status?: number;
  cause?: unknown;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

const TESTING_HINT =
  '(if the OAuth consent screen of your Google Cloud project is in Testing, Google expires refresh tokens after 7 days: publish the app (In production) or make it Internal, then run: coffee-chat accounts connect google)';

export interface GoogleErrorFacts {
  status?: number;
  /** errors[0].reason (API) or error (OAuth token endpoint) */
  reason?: string;
  message: string;
  retryAfterHeader?: string;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? rec[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function factsOf(e: unknown): GoogleErrorFacts {
  const err = (e ?? {}) as ErrorLike;
  const status =
    err.response?.status ??
    (typeof err.status === 'number' ? err.status : undefined) ??
    (typeof err.code === 'number' ? err.code : undefined);
  const data = err.response?.data as
    | {
        error?:
          | string
          | {
              message?: string;
              status?: string;
              errors?: { reason?: string; message?: string }[];
              details?: { reason?: string }[];
            };
        error_description?: string;
      }
    | string
    | undefined;
  let reason: string | undefined;
  let message = err.message ?? String(e);
  if (data && typeof data === 'object') {
    if (typeof data.error === 'string') {
      reason = data.error;
      message = data.error_description ?? data.error;
    } else if (data.error) {
      reason = data.error.errors?.[0]?.reason ?? data.error.details?.[0]?.reason ?? data.error.status;
      message = data.error.message ?? message;
    }
  }
  return { status, reason, message, retryAfterHeader: headerValue(err.response?.headers, 'retry-after') };
}

export interface MapOptions {
  /** The call was a delete: a 404 or 410 means "already gone" (not_found). */
  deleting?: boolean;
}

/**
 * Maps an error thrown by google-auth-library / googleapis (gaxios) to a ProviderError. Errors
 * that are not Google's or the network's (programming errors) come back unchanged.
 */
export function toProviderError(e: unknown, opts: MapOptions = {}): unknown {
  if (isProviderError(e)) return e;
  const f = factsOf(e);
  const mk = (kind: ProviderError['kind'], extra: { retryAfterMs?: number } = {}) =>
    new ProviderError('google', kind, f.reason ? `${f.reason}: ${f.message}` : f.message, {
      ...extra,
      status: f.status,
      cause: e,
    });

  // OAuth token endpoint: "invalid_grant" = refresh token expired, revoked or unknown. Google gives
  // the same words when a consent screen left in Testing lets the token die after 7 days
  // (https://developers.google.com/identity/protocols/oauth2#expiration), the usual cause for a
  // self-hosted install, so the message says so (it becomes the account's needs_reconnect reason).
  if (f.reason === 'invalid_grant')
    return new ProviderError('google', 'auth_revoked', `invalid_grant: ${f.message} ${TESTING_HINT}`, {
      status: f.status,
      cause: e,
    });
  if (f.reason === 'invalid_client' || (f.reason === 'invalid_request' && /client_secret/.test(f.message)))
    return new ProviderError(
      'google',
      'bad_request',
      `${f.reason}: ${f.message} (check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET: the id and secret of one OAuth client of type "Desktop app")`,
      { status: f.status, cause: e },
    );
  if (f.status === undefined) return isNetworkError(e) ? mk('transient') : e;
  const retryAfterMs = parseRetryAfter(f.retryAfterHeader);
  const s = f.status;
  if (s === 429 || (s === 403 && f.reason && RATE_LIMIT_REASONS.has(f.reason))) {
    // https://developers.google.com/calendar/api/guides/errors#403_rate_limit_exceeded and #429_too_many_requests
    return mk('rate_limited', { retryAfterMs: retryAfterMs ?? DEFAULT_RETRY_AFTER_MS });
  }
  if (s === 401) return mk('auth_revoked'); // after one refresh-and-retry (see session.ts)
  if (s === 403) return f.reason && SCOPE_REASONS.has(f.reason) ? mk('auth_revoked') : mk('bad_request');
  if (s === 410) {
    // events.delete of a deleted event answers 410 "deleted"; events.list answers 410 fullSyncRequired
    // https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server
    return opts.deleting || f.reason === 'deleted' ? mk('not_found') : mk('cursor_expired');
  }
  if (s === 404) return mk('not_found');
  if (s === 408 || s >= 500) return mk('transient', retryAfterMs !== undefined ? { retryAfterMs } : {});
  if (s === 400 && f.reason && ['unauthorized_client', 'invalid_client'].includes(f.reason))
    return mk('bad_request');
  return mk('bad_request');
}

/**
 * events.insert with a client-supplied id that the calendar already holds (even a deleted event's):
 * 409 "The requested identifier already exists"
 * (https://developers.google.com/calendar/api/guides/errors#409_the_requested_identifier_already_exists).
 */
export function isDuplicateId(e: unknown): boolean {
  return isProviderError(e) && e.provider === 'google' && e.status === 409;
}

/**
 * A conditional write (If-Match with the etag we stored) refused because the event changed:
 * 412 Precondition Failed (https://developers.google.com/calendar/api/guides/version-resources).
 */
export function isPreconditionFailed(e: unknown): boolean {
  return isProviderError(e) && e.provider === 'google' && e.status === 412;
}

export function statusOf(e: unknown): number | undefined {
  return factsOf(e).status;
}
