// One Google account's authenticated session: an OAuth2 client (refresh token → access tokens),
// the Calendar and Gmail SDK clients, call counting and the error mapping around every call.
//
// Token policy: google-auth-library refreshes before expiry (eagerRefreshThresholdMillis) by
// itself. For a 401 we drop the access token and retry once ourselves instead of setting
// `forceRefreshOnFailure`, because the library treats 403 like 401 and would spend a token refresh
// and a replay on every 403 rateLimitExceeded (shown in test/sandbox/google-calendar.test.ts).
//
// Retries: gaxios' own retries are off (`retry: false`): they would replay writes, wait out long
// Retry-After inside the call and hide 403 rateLimitExceeded from the worker's ONE provider policy
// (worker/provider-policy.ts), which owns backoff. A read that fails with a 5xx or a short rate
// limit is tried twice more inside the call (`inlineRetryWait`), as Google asks; the rest goes on.
import { AsyncLocalStorage } from 'node:async_hooks';
import { auth, calendar, type calendar_v3 } from '@googleapis/calendar';
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import type { AccountCredentials, ProviderEndpoints } from '../provider.ts';
import { factsOf, parseRetryAfter, statusOf, toProviderError, type MapOptions } from './errors.ts';
import { ProviderError } from '../provider.ts';

export type OAuth2Client = InstanceType<typeof auth.OAuth2>;

/**
 * Counts the HTTP calls of one sync. ONE storage for every session: on Node 20 each
 * AsyncLocalStorage that has run stays enabled and every promise in the process then pays for
 * it, so a storage per client made syncing slow down with each account (measured by the
 * benchmark: 200,000 awaits took 37 ms with 1 storage, 19 s with 1,000).
 */
const CALL_COUNTER = new AsyncLocalStorage<{ calls: number }>();

/** "GET /calendar/v3/calendars/:calendarId/events" — stable names for counting calls. */
export function endpointName(method: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  path = path
    .replace(/^.*?(?=\/(calendar\/v3|gmail\/v1)\/)/, '')
    .replace(/\/calendars\/[^/]+/, '/calendars/:calendarId')
    .replace(/\/events\/(?!watch$|import$|quickAdd$)[^/]+/, '/events/:eventId')
    .replace(/\/gmail\/v1\/users\/[^/]+/, '/gmail/v1/users/:userId')
    .replace(/\/drafts\/(?!send$)[^/]+/, '/drafts/:id')
    .replace(/\/messages\/(?!send$|import$|batch\w*$)[^/]+/, '/messages/:id')
    .replace(/\/threads\/[^/]+/, '/threads/:id');
  return `${method.toUpperCase()} ${path}`;
}

export interface OAuthClientOptions {
  clientId?: string;
  clientSecret?: string;
  tokenUrl: string;
  redirectUri?: string;
  fetchImplementation?: typeof fetch;
}

export function newOAuthClient(o: OAuthClientOptions): OAuth2Client {
  return new auth.OAuth2({
    clientId: o.clientId ?? 'coffee-chat',
    clientSecret: o.clientSecret,
    redirectUri: o.redirectUri,
    endpoints: { oauth2TokenUrl: o.tokenUrl },
    eagerRefreshThresholdMillis: 5 * 60_000,
    forceRefreshOnFailure: false,
    ...(o.fetchImplementation ? { transporterOptions: { fetchImplementation: o.fetchImplementation } } : {}),
  });
}

export interface GoogleSessionOptions {
  /**
   * Per HTTP request, token refreshes included (default 30 s). A hung call would otherwise hold a
   * worker slot and the account's lock for minutes; given up, it is a network error (transient).
   */
  requestTimeoutMs?: number;
}

export const DEFAULT_GOOGLE_TIMEOUT_MS = 30_000;

export class GoogleSession {
  readonly oauth: OAuth2Client;
  readonly calendar: calendar_v3.Calendar;
  readonly gmail: gmail_v1.Gmail;
  private readonly counter = CALL_COUNTER;

  constructor(
    private readonly creds: Pick<
      AccountCredentials,
      'refreshToken' | 'onCall' | 'email' | 'accessToken' | 'onAccessToken'
    >,
    endpoints: Pick<
      ProviderEndpoints,
      'googleApiRootUrl' | 'googleTokenUrl' | 'googleClientId' | 'googleClientSecret'
    >,
    opts: GoogleSessionOptions = {},
  ) {
    const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_GOOGLE_TIMEOUT_MS;
    const countingFetch: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
      const store = this.counter.getStore();
      if (store) store.calls += 1;
      const name = url.startsWith(endpoints.googleTokenUrl) ? 'POST /token' : endpointName(method, url);
      this.creds.onCall?.(name);
      // Bounded here rather than with gaxios' `timeout`: every request passes through this fetch,
      // the OAuth client's token refreshes as well as the Calendar and Gmail calls.
      const limit = AbortSignal.timeout(timeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, limit]) : limit;
      return fetch(input, { ...init, signal });
    };
    this.oauth = newOAuthClient({
      clientId: endpoints.googleClientId,
      clientSecret: endpoints.googleClientSecret,
      tokenUrl: endpoints.googleTokenUrl,
      fetchImplementation: countingFetch,
    });
    this.oauth.setCredentials({
      refresh_token: creds.refreshToken,
      // A token kept from an earlier session: the library refreshes only when it nears expiry.
      ...(creds.accessToken
        ? { access_token: creds.accessToken.token, expiry_date: creds.accessToken.expiresAt }
        : {}),
    });
    // google-auth-library emits 'tokens' with each refreshed token (OAuth2Client#on('tokens')).
    this.oauth.on('tokens', (t) => {
      if (t.access_token && t.expiry_date) creds.onAccessToken?.(t.access_token, t.expiry_date);
    });
    const root = endpoints.googleApiRootUrl.endsWith('/')
      ? endpoints.googleApiRootUrl
      : `${endpoints.googleApiRootUrl}/`;
    this.calendar = calendar({ version: 'v3', auth: this.oauth, rootUrl: root, retry: false });
    // In production Gmail lives on its own host (the SDK's default); a sandbox serves both on one root.
    const gmailRoot = root === 'https://www.googleapis.com/' ? 'https://gmail.googleapis.com/' : root;
    this.gmail = gmail({ version: 'v1', auth: this.oauth, rootUrl: gmailRoot, retry: false });
  }

  /** The account's address, as the caller gave it. */
  get email(): string {
    return this.creds.email;
  }

  /** Runs an operation and reports how many HTTP calls it made (token refreshes included). */
  async counted<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
    const store = { calls: 0 };
    const result = await this.counter.run(store, fn);
    return { result, calls: store.calls };
  }

  /**
   * One API call: on a 401 the access token is dropped and the call retried once (the library
   * then refreshes); every failure leaves as a ProviderError (see errors.ts).
   */
  async call<T>(fn: () => Promise<{ data: T }>, opts: MapOptions = {}): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.callOnce(fn, opts);
      } catch (e) {
        const wait = inlineRetryWait(e, retry);
        if (wait === null) throw e;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async callOnce<T>(fn: () => Promise<{ data: T }>, opts: MapOptions): Promise<T> {
    try {
      return (await fn()).data;
    } catch (e) {
      if (statusOf(e) === 401 && !isTokenEndpointError(e)) {
        this.oauth.setCredentials({ refresh_token: this.creds.refreshToken });
        try {
          return (await fn()).data;
        } catch (e2) {
          throw toProviderError(e2, opts);
        }
      }
      throw toProviderError(e, opts);
    }
  }
}

/** Retries of one read inside the call, before the worker's provider policy sees the failure. */
export const INLINE_RETRIES = 2;
const INLINE_MAX_WAIT_MS = 5_000;

/**
 * How long to wait before trying a failed call again at once, or null to let it fail. Only reads
 * (GET, HEAD: replaying them cannot do anything twice) that failed with a 5xx or a short
 * rate limit ("rateLimitExceeded" / 429 without a long Retry-After), at most INLINE_RETRIES times,
 * with exponential backoff and jitter: what Google asks for these answers ("retry using exponential
 * backoff": https://developers.google.com/calendar/api/guides/errors#backend_error and
 * https://developers.google.com/gmail/api/guides/handle-errors#exponential-backoff), and what
 * Google's own client does with `retry: true` (gaxios retries GET on 429 and 5xx). Writes,
 * timeouts (they already took the request timeout), daily quotas and long waits go to the worker's
 * provider policy, which waits without holding a worker slot and counts attempts.
 */
export function inlineRetryWait(e: unknown, retry: number): number | null {
  if (retry >= INLINE_RETRIES || !(e instanceof ProviderError)) return null;
  const method = String((e.cause as { config?: { method?: unknown } } | undefined)?.config?.method ?? '');
  if (!['GET', 'HEAD'].includes(method.toUpperCase())) return null;
  const backoff = 500 * 2 ** retry + Math.floor(Math.random() * 250);
  const facts = factsOf(e.cause);
  if (e.kind === 'transient') {
    if ((e.status ?? 0) < 500) return null;
  } else if (e.kind !== 'rate_limited') return null;
  // A daily quota does not come back in a second.
  else if (facts.reason === 'quotaExceeded' || facts.reason === 'dailyLimitExceeded') return null;
  // A longer wait asked for (Retry-After) is the provider policy's, which parks the job.
  const asked = parseRetryAfter(facts.retryAfterHeader) ?? 0;
  return asked <= INLINE_MAX_WAIT_MS ? Math.max(backoff, asked) : null;
}

function isTokenEndpointError(e: unknown): boolean {
  const data = (e as { response?: { data?: unknown } }).response?.data as { error?: unknown } | undefined;
  return typeof data?.error === 'string';
}
