// One account's Graph client: the real @microsoft/microsoft-graph-client with our middleware chain
//   auth (bearer, refresh before expiry, refresh once on 401)
//   -> SDK RetryHandler (only short, server-announced waits: 429/503 with Retry-After <= a cap)
//   -> call counter + per-attempt timeout
//   -> HTTP.
// Longer throttling surfaces as ProviderError rate_limited(retryAfterMs) so the job layer can park
// this account without holding a worker slot (https://learn.microsoft.com/en-us/graph/throttling).
import {
  Client,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import type { AccountCredentials, ProviderEndpoints } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import { toProviderError } from './errors.ts';
import { refreshAccessToken } from './oauth.ts';

export interface GraphClientOptions {
  /** Longest Retry-After the SDK may sleep inside one call (default 5 s); longer ones go to the caller. */
  maxInlineRetryAfterMs?: number;
  /** How many times the SDK retries 429/503 inside one call (default 2). */
  maxInlineRetries?: number;
  /** Per HTTP attempt (default 30 s). */
  requestTimeoutMs?: number;
  /** Refresh this long before the access token expires (default 5 min). */
  refreshSkewMs?: number;
  now?: () => number;
}

/** Access tokens for one account; rotated refresh tokens are handed to the caller every time. */
export class TokenManager {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private inflight: Promise<string> | null = null;
  private refreshToken: string;
  /** The `scope` of the last token response: the permissions the grant holds. */
  grantedScope: string | null = null;

  constructor(
    private creds: AccountCredentials,
    private endpoints: ProviderEndpoints,
    private opts: { refreshSkewMs: number; now: () => number },
  ) {
    this.refreshToken = creds.refreshToken;
    if (creds.accessToken) {
      this.accessToken = creds.accessToken.token;
      this.expiresAt = creds.accessToken.expiresAt;
    }
  }

  async get(): Promise<string> {
    if (this.accessToken && this.opts.now() < this.expiresAt - this.opts.refreshSkewMs)
      return this.accessToken;
    return this.refresh();
  }

  invalidate(token: string): void {
    if (this.accessToken === token) this.accessToken = null;
  }

  /** Single-flight: concurrent calls share one refresh. */
  refresh(): Promise<string> {
    this.inflight ??= (async () => {
      try {
        const t = await refreshWithRetries(this.refreshToken, this.endpoints, this.creds.onCall);
        if (t.refreshToken && t.refreshToken !== this.refreshToken) {
          this.refreshToken = t.refreshToken;
          try {
            await this.creds.onRefreshTokenRotated?.(t.refreshToken);
          } catch (e) {
            // The previous refresh token stays valid (rotation does not revoke it), so nothing is
            // lost: fail this call as transient and store the next rotation on the retry.
            throw new ProviderError(
              'microsoft',
              'transient',
              `could not store the rotated refresh token: ${(e as Error).message}`,
              { cause: e },
            );
          }
        }
        this.accessToken = t.accessToken;
        this.grantedScope = t.scope;
        this.expiresAt = this.opts.now() + t.expiresInSeconds * 1000;
        this.creds.onAccessToken?.(t.accessToken, this.expiresAt);
        return t.accessToken;
      } catch (e) {
        throw toProviderError(e, 'Microsoft token refresh');
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}

/**
 * The refresh grant, tried twice more (after about 0.5 and 1 s) when the token endpoint fails
 * transiently (5xx, or AADSTS "temporarily_unavailable": "A transient error has occurred. Please
 * try again."). Replaying a refresh is harmless: the refresh token stays valid until it expires
 * even once a rotated one was issued
 * (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens#token-lifetime).
 * Google's own auth library does the same for its token endpoint (google-auth-library
 * AuthClient.RETRY_CONFIG: POST included).
 */
async function refreshWithRetries(
  refreshToken: string,
  endpoints: ProviderEndpoints,
  onCall: AccountCredentials['onCall'],
): ReturnType<typeof refreshAccessToken> {
  for (let retry = 0; ; retry++) {
    try {
      return await refreshAccessToken(refreshToken, endpoints, onCall);
    } catch (e) {
      const mapped = toProviderError(e, 'Microsoft token refresh');
      const transient =
        mapped instanceof ProviderError &&
        mapped.kind === 'transient' &&
        ((mapped.status ?? 0) >= 500 || /temporarily_unavailable/.test(mapped.message));
      if (!transient || retry >= 2) throw mapped;
      await new Promise((r) => setTimeout(r, 500 * 2 ** retry + Math.floor(Math.random() * 250)));
    }
  }
}

function setHeader(ctx: Context, name: string, value: string): void {
  if (typeof ctx.request !== 'string' && ctx.request instanceof Request) {
    ctx.request.headers.set(name, value);
    return;
  }
  ctx.options ??= {};
  const h = ctx.options.headers;
  if (h instanceof Headers) h.set(name, value);
  else ctx.options.headers = { ...(h as Record<string, string> | undefined), [name]: value };
}

/** Where the SDK hides a thrown middleware error, we keep the original to rethrow it unchanged. */
export interface ClientState {
  /** A ProviderError, or our own programming error passed through unchanged. */
  lastMiddlewareError: unknown;
}

/** The origin (scheme, host, port) of a URL, or null when it is not absolute. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

class AuthMiddleware implements Middleware {
  private next!: Middleware;
  constructor(
    private tokens: TokenManager,
    private state: ClientState,
    private graphOrigin: string,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(ctx: Context): Promise<void> {
    // The bearer token goes to MICROSOFT_GRAPH_BASE_URL's origin only. nextLink/deltaLink URLs come
    // from responses and from the database (the sync cursor): one pointing elsewhere would hand
    // the access token to whoever wrote it.
    const url = typeof ctx.request === 'string' ? ctx.request : ctx.request.url;
    const origin = originOf(url);
    if (origin !== this.graphOrigin) {
      this.state.lastMiddlewareError = new ProviderError(
        'microsoft',
        'bad_request',
        `refusing to send the access token to ${origin ?? 'a relative URL'}: not the origin of MICROSOFT_GRAPH_BASE_URL (${this.graphOrigin})`,
      );
      throw this.state.lastMiddlewareError;
    }
    let token: string;
    try {
      token = await this.tokens.get();
    } catch (e) {
      this.state.lastMiddlewareError = toProviderError(e);
      throw this.state.lastMiddlewareError;
    }
    setHeader(ctx, 'Authorization', `Bearer ${token}`);
    await this.next.execute(ctx);
    if (ctx.response?.status !== 401) return;
    // Once: a fresh token; a second 401 is final (mapped to auth_revoked).
    this.tokens.invalidate(token);
    try {
      token = await this.tokens.refresh();
    } catch (e) {
      this.state.lastMiddlewareError = toProviderError(e);
      throw this.state.lastMiddlewareError;
    }
    setHeader(ctx, 'Authorization', `Bearer ${token}`);
    await this.next.execute(ctx);
  }
}

/** Counts each HTTP attempt and bounds it in time. */
class CountingMiddleware implements Middleware {
  private next!: Middleware;
  constructor(
    private onCall: ((endpoint: string) => void) | undefined,
    private timeoutMs: number,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(ctx: Context): Promise<void> {
    const url = typeof ctx.request === 'string' ? ctx.request : ctx.request.url;
    const method = (
      ctx.options?.method ?? (typeof ctx.request === 'string' ? 'GET' : ctx.request.method)
    ).toUpperCase();
    this.onCall?.(`${method} ${endpointOf(url)}`);
    ctx.options ??= {};
    ctx.options.signal = AbortSignal.timeout(this.timeoutMs);
    await this.next.execute(ctx);
  }
}

/** POST creates (and actions like /send) are not safe to replay without knowing whether they ran. */
function isNonIdempotent(req: string | Request, opts: { method?: string } | undefined): boolean {
  const method = (opts?.method ?? (typeof req === 'string' ? 'GET' : req.method)).toUpperCase();
  return method === 'POST';
}

/** "GET /me/calendars/{id}/calendarView/delta": the path without ids, for logs and counts. */
export function endpointOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0]!;
  }
  return path
    .replace(/^\/v1\.0|^\/beta/, '')
    .split('/')
    .map((seg, i, all) =>
      i > 0 &&
      ['events', 'messages', 'calendars', 'subscriptions', 'mailFolders'].includes(all[i - 1]!) &&
      !['delta'].includes(seg)
        ? '{id}'
        : seg,
    )
    .join('/');
}

export interface GraphHandle {
  client: Client;
  /** MICROSOFT_GRAPH_BASE_URL's origin: the only one that gets the access token. */
  origin: string;
  tokens: TokenManager;
  /** Runs one SDK call and maps any failure to ProviderError. */
  call<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T>;
}

export function createGraphHandle(
  creds: AccountCredentials,
  endpoints: ProviderEndpoints,
  opts: GraphClientOptions = {},
): GraphHandle {
  const now = opts.now ?? Date.now;
  const tokens = new TokenManager(creds, endpoints, { refreshSkewMs: opts.refreshSkewMs ?? 5 * 60_000, now });
  const state: ClientState = { lastMiddlewareError: null };
  const maxInlineMs = opts.maxInlineRetryAfterMs ?? 5_000;

  // MICROSOFT_GRAPH_BASE_URL is "https://host/v1.0": the SDK wants host and version apart.
  const base = new URL(endpoints.microsoftGraphBaseUrl);
  const auth = new AuthMiddleware(tokens, state, base.origin);
  const retry = new RetryHandler(
    new RetryHandlerOptions(1, opts.maxInlineRetries ?? 2, (_delay, _attempt, req, reqOpts, res) => {
      // 504 may mean "done but slow": never replay it blindly (a POST could run twice).
      if (res.status !== 429 && res.status !== 503) return false;
      const ra = res.headers.get('Retry-After');
      // The SDK's RetryHandler replays 429/503/504 for any buffered method, POST included, and
      // without Retry-After after its own back-off (RETRY_STATUS_CODES, isBuffered and getDelay in
      // @microsoft/microsoft-graph-client 3.0.7 lib/src/middleware/RetryHandler.js). A 503 without Retry-After is no
      // throttling answer (https://learn.microsoft.com/en-us/graph/throttling: throttled requests
      // carry Retry-After): the POST may have been carried out, so it surfaces as transient and the
      // marker lookup decides (drafts: createDraft; events: the transactionId and the marker).
      if (ra === null) return res.status === 503 && !isNonIdempotent(req, reqOpts);
      const secs = Number(ra);
      const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(ra) - Date.now();
      return ms <= maxInlineMs;
    }),
  );
  const counter = new CountingMiddleware(creds.onCall, opts.requestTimeoutMs ?? 30_000);
  auth.setNext(retry);
  retry.setNext(counter);
  counter.setNext(new HTTPMessageHandler());

  const version = base.pathname.replace(/^\/+|\/+$/g, '') || 'v1.0';
  const client = Client.initWithMiddleware({
    baseUrl: base.origin,
    defaultVersion: version,
    // The SDK only treats graph.microsoft.com-like hosts as Graph unless told (sandbox, sovereign clouds).
    customHosts: new Set([base.hostname]),
    middleware: auth,
  });

  return {
    client,
    origin: base.origin,
    tokens,
    async call<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
      state.lastMiddlewareError = null;
      try {
        return await fn(client);
      } catch (e) {
        const hidden = state.lastMiddlewareError;
        state.lastMiddlewareError = null;
        // The SDK wraps a middleware's error in a GraphError whose code is the error's name.
        if (hidden instanceof Error && (e as { code?: unknown }).code === hidden.name) throw hidden;
        throw toProviderError(e, `Microsoft ${what}`);
      }
    },
  };
}
