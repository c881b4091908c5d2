// THE one mapping of Microsoft identity platform and Graph errors to the shared ProviderError kinds.
// - Identity platform: 400 invalid_grant (AADSTS50173 revoked, 70008/700082 expired, ...) means the
//   refresh token is dead: the account must reconnect.
//   https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
// - Graph throttling: 429 (and 503) with Retry-After seconds.
//   https://learn.microsoft.com/en-us/graph/throttling
// - Delta tokens the service can no longer use: 410 Gone / syncStateNotFound / resyncRequired.
//   https://learn.microsoft.com/en-us/graph/delta-query-overview#synchronization-reset
// - Everything else by status: https://learn.microsoft.com/en-us/graph/errors
import { ProviderError, isProviderError } from '../provider.ts';
import { isNetworkError, parseRetryAfter } from '../http-errors.ts';

export { parseRetryAfter } from '../http-errors.ts';

/** A failed call to the token endpoint (thrown by oauth.ts). */
export class MicrosoftTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${error}: ${description.split(/\r?\n| Trace ID:/)[0]}`);
    this.name = 'MicrosoftTokenError';
  }
}

/**
 * invalid_client says the app registration and the configuration disagree on client
 * authentication; the AADSTS code says which way
 * (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes):
 * - 700025: the app is a public client ("Mobile and desktop applications" platform) and a secret was
 *   sent anyway;
 * - 7000218: the app is a confidential client (only "Web" redirect URIs) and no secret was sent;
 * - 7000215 / 7000222: the secret is wrong or expired.
 */
function clientHint(e: MicrosoftTokenError): string {
  const d = e.description;
  if (/AADSTS700025\b/.test(d))
    return `${e.message} (the app registration is a public client, platform "Mobile and desktop applications": unset MICROSOFT_CLIENT_SECRET)`;
  if (/AADSTS7000218\b/.test(d))
    return `${e.message} (the app registration is a confidential client, platform "Web": set MICROSOFT_CLIENT_SECRET to one of its client secrets, or add the "Mobile and desktop applications" platform with redirect http://localhost and unset it)`;
  if (/AADSTS7000215\b|AADSTS7000222\b/.test(d))
    return `${e.message} (MICROSOFT_CLIENT_SECRET is wrong or expired: use the secret's Value, not its ID, from Certificates & secrets)`;
  return `${e.message} (check MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET against the app registration)`;
}

interface GraphErrorLike {
  statusCode: number;
  code: string | null;
  message: string;
  headers?: Headers;
  body?: unknown;
}

function isGraphErrorLike(e: unknown): e is GraphErrorLike {
  return (
    typeof e === 'object' &&
    e !== null &&
    'statusCode' in e &&
    typeof (e as { statusCode: unknown }).statusCode === 'number'
  );
}

const CURSOR_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);
/** Default wait when Graph throttles without saying how long (its guidance: back off exponentially). */
const DEFAULT_THROTTLE_MS = 30_000;

/**
 * Maps an error from the token endpoint, the Graph SDK or the network to a ProviderError. Errors
 * that are neither Microsoft's nor the network's (programming errors) come back unchanged, as on
 * Google, so they are not retried as outages.
 */
export function toProviderError(e: unknown, what = 'Microsoft Graph call'): unknown {
  if (isProviderError(e)) return e;
  const p = (
    kind: ConstructorParameters<typeof ProviderError>[1],
    msg: string,
    opts: { retryAfterMs?: number; status?: number } = {},
  ) => new ProviderError('microsoft', kind, `${what}: ${msg}`, { ...opts, cause: e });

  if (e instanceof MicrosoftTokenError) {
    if (e.error === 'invalid_grant' || e.error === 'interaction_required' || e.error === 'consent_required') {
      return p('auth_revoked', e.message, { status: e.status });
    }
    if (e.error === 'invalid_client') return p('bad_request', clientHint(e), { status: e.status });
    if (e.error === 'unauthorized_client' && /AADSTS700016/.test(e.description))
      return p(
        'bad_request',
        `${e.message} (MICROSOFT_CLIENT_ID must be the Application (client) ID of your app registration, and the app must allow accounts of this kind)`,
        { status: e.status },
      );
    if (e.status === 429)
      return p('rate_limited', e.message, {
        status: 429,
        retryAfterMs: e.retryAfterMs ?? DEFAULT_THROTTLE_MS,
      });
    if (e.status >= 500 || e.error === 'temporarily_unavailable') {
      return p('transient', e.message, {
        status: e.status,
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      });
    }
    if (e.status === 0) return p('transient', e.message);
    return p('bad_request', e.message, { status: e.status });
  }

  if (isGraphErrorLike(e)) {
    const status = e.statusCode;
    const code = (e.code ?? '').toString();
    const msg = `${status} ${code}${e.message ? `: ${e.message}` : ''}`;
    const retryAfterMs = parseRetryAfter(e.headers?.get?.('Retry-After'));
    if (status === 410 || CURSOR_CODES.has(code.toLowerCase())) return p('cursor_expired', msg, { status });
    if (status === 429)
      return p('rate_limited', msg, { status, retryAfterMs: retryAfterMs ?? DEFAULT_THROTTLE_MS });
    if (status === 503 && retryAfterMs !== undefined) return p('rate_limited', msg, { status, retryAfterMs });
    if (status === 401) return p('auth_revoked', msg, { status });
    if (status >= 500)
      return p('transient', msg, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    if (status === 404) return p('not_found', msg, { status });
    if (status >= 400) return p('bad_request', msg, { status });
    // statusCode -1: the SDK wrapped a thrown error (network failure, timeout, abort).
    return p('transient', `${code || 'network error'}: ${e.message}`);
  }

  // fetch() failures (DNS, refused, reset, TLS) and our per-request timeouts.
  if (isNetworkError(e)) return p('transient', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  return e;
}

/** The Graph error code behind an error (the SDK's GraphError, or the cause of a mapped one), lower-cased. */
export function graphErrorCode(e: unknown): string {
  const direct = isGraphErrorLike(e) ? e.code : null;
  const viaCause = isProviderError(e) ? (e.cause as { code?: unknown } | undefined)?.code : null;
  const code = direct ?? viaCause;
  return typeof code === 'string' ? code.toLowerCase() : '';
}

/**
 * A create refused because its transactionId was used before (by the same create retried, or by
 * an event since deleted): ErrorDuplicateTransactionId, seen as 400 and as 409
 * (https://github.com/alcionai/corso/issues/2490). Never the first event: the caller looks it up.
 */
export function isDuplicateTransactionId(e: unknown): boolean {
  return graphErrorCode(e) === 'errorduplicatetransactionid';
}

/**
 * A conditional write (If-Match) refused because the item changed: 412 Precondition Failed
 * (https://learn.microsoft.com/en-us/graph/errors), or Exchange's ErrorIrresolvableConflict at any
 * status: some tenants answer it 409 Conflict
 * (https://riposte.co/provider-errors/microsoft-errorirresolvableconflict).
 */
export function isEditConflict(e: unknown): boolean {
  const status = isProviderError(e) ? e.status : isGraphErrorLike(e) ? e.statusCode : undefined;
  return status === 412 || graphErrorCode(e) === 'errorirresolvableconflict';
}
