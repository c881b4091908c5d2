// OAuth 2.0 with the Microsoft identity platform (v2.0 endpoints), without MSAL: MSAL Node hides the
// rotated refresh token in its cache and insists on https authorities with cloud discovery, while a
// plain POST of the refresh_token grant returns the new refresh token directly.
// - Authorization code flow with PKCE (S256) and a loopback redirect:
//   https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
//   https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
// - Refresh tokens rotate on every use; store the new one each time:
//   https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
import { createHash, randomBytes } from 'node:crypto';
import { startLoopback, type Loopback } from '../oauth-loopback.ts';
import { ProviderError, isLoopbackUrl, type ProviderEndpoints } from '../provider.ts';
import { MicrosoftTokenError, parseRetryAfter, toProviderError } from './errors.ts';

/** Minimal delegated scopes: profile, calendars (read/write own events), drafts, mailbox time zone. */
export const MICROSOFT_SCOPES = [
  'offline_access',
  'User.Read',
  'Calendars.ReadWrite',
  'Mail.ReadWrite',
  'MailboxSettings.Read',
] as const;

/**
 * The client id used when none is configured, against a local emulator only (loopback endpoints):
 * real Entra refuses it (AADSTS700016), so there a missing MICROSOFT_CLIENT_ID is an error
 * (`microsoftCredentialsProblem`, checked before the browser opens and when the worker starts).
 */
export const DEFAULT_CLIENT_ID = 'coffee-chat-local';

export const MISSING_CLIENT_ID =
  'MICROSOFT_CLIENT_ID is not set: register an app in Microsoft Entra (platform "Mobile and desktop applications", redirect URI http://localhost) and set MICROSOFT_CLIENT_ID to its Application (client) ID';

/** Null, or the one line saying which variable the identity platform will miss. */
export function microsoftCredentialsProblem(endpoints: ProviderEndpoints): string | null {
  if (endpoints.microsoftClientId) return null;
  return isLoopbackUrl(endpoints.microsoftTokenUrl) && isLoopbackUrl(endpoints.microsoftAuthUrl)
    ? null
    : MISSING_CLIENT_ID;
}

function clientId(endpoints: ProviderEndpoints): string {
  if (endpoints.microsoftClientId) return endpoints.microsoftClientId;
  if (microsoftCredentialsProblem(endpoints))
    throw new ProviderError('microsoft', 'bad_request', MISSING_CLIENT_ID);
  return DEFAULT_CLIENT_ID;
}

/** Permissions a consent may leave out that the worker cannot do without (all but offline_access, which the refresh token itself proves). */
const NEEDED = MICROSOFT_SCOPES.filter((s) => s !== 'offline_access');
const shortScope = (s: string) => s.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();

/**
 * The token response's `scope` lists the permissions granted, which can be fewer than asked (user or
 * admin consent settings); Graph short names or full URIs, any case. Returns the granted scopes;
 * throws ProviderError (auth_revoked) naming what is missing. An empty `scope` (not documented) is
 * taken as granting what was asked.
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response-2
 * https://learn.microsoft.com/en-us/entra/identity-platform/permissions-consent-overview
 */
export function checkGrantedScopes(scope: string): string[] {
  const granted = scope.split(/\s+/).filter(Boolean);
  if (granted.length === 0) return [...NEEDED];
  const have = new Set(granted.map(shortScope));
  const missing = NEEDED.filter((s) => !have.has(s.toLowerCase()));
  if (missing.length > 0)
    throw new ProviderError(
      'microsoft',
      'auth_revoked',
      `Microsoft granted only part of the access coffee-chat needs; missing: ${missing.join(', ')}. Connect again and accept every permission; if your organization requires admin consent, ask an admin to grant these delegated Microsoft Graph permissions to the app`,
    );
  return granted;
}

export interface TokenResponse {
  accessToken: string;
  /** The rotated refresh token (the old one should be replaced). */
  refreshToken: string;
  expiresInSeconds: number;
  scope: string;
}

function clientFields(endpoints: ProviderEndpoints): Record<string, string> {
  const out: Record<string, string> = { client_id: clientId(endpoints) };
  if (endpoints.microsoftClientSecret) out.client_secret = endpoints.microsoftClientSecret;
  return out;
}

async function postToken(
  endpoints: ProviderEndpoints,
  form: Record<string, string>,
  onCall?: (e: string) => void,
): Promise<TokenResponse> {
  onCall?.('POST /oauth2/v2.0/token');
  let res: Response;
  try {
    res = await fetch(endpoints.microsoftTokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ ...clientFields(endpoints), ...form }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new MicrosoftTokenError(0, 'network_error', (e as Error).message);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (a proxy page): keep the status
  }
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new MicrosoftTokenError(
      res.status,
      typeof body.error === 'string' ? body.error : `http_${res.status}`,
      typeof body.error_description === 'string' ? body.error_description : text.slice(0, 200),
      parseRetryAfter(res.headers.get('retry-after')),
    );
  }
  return {
    accessToken: body.access_token,
    // Rotation is the norm; keep the old one if a response ever omits it.
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : (form.refresh_token ?? ''),
    expiresInSeconds: Number(body.expires_in ?? 3600),
    scope: String(body.scope ?? ''),
  };
}

/** POST grant_type=refresh_token. Throws MicrosoftTokenError (map with toProviderError). */
export function refreshAccessToken(
  refreshToken: string,
  endpoints: ProviderEndpoints,
  onCall?: (e: string) => void,
): Promise<TokenResponse> {
  return postToken(
    endpoints,
    { grant_type: 'refresh_token', refresh_token: refreshToken, scope: MICROSOFT_SCOPES.join(' ') },
    onCall,
  );
}

export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function createPkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), method: 'S256' };
}

/** The consent URL. `authUrl` is ProviderEndpoints.microsoftAuthUrl (…/{tenant}/oauth2/v2.0/authorize). */
export function buildAuthorizeUrl(opts: {
  endpoints: ProviderEndpoints;
  redirectUri: string;
  state: string;
  pkce: Pkce;
  loginHint?: string;
}): string {
  const u = new URL(opts.endpoints.microsoftAuthUrl);
  u.searchParams.set('client_id', clientId(opts.endpoints));
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('redirect_uri', opts.redirectUri);
  u.searchParams.set('response_mode', 'query');
  u.searchParams.set('scope', MICROSOFT_SCOPES.join(' '));
  u.searchParams.set('state', opts.state);
  u.searchParams.set('code_challenge', opts.pkce.challenge);
  u.searchParams.set('code_challenge_method', opts.pkce.method);
  u.searchParams.set('prompt', 'select_account');
  if (opts.loginHint) u.searchParams.set('login_hint', opts.loginHint);
  return u.toString();
}

export function exchangeCode(opts: {
  endpoints: ProviderEndpoints;
  code: string;
  redirectUri: string;
  verifier: string;
}): Promise<TokenResponse> {
  return postToken(opts.endpoints, {
    grant_type: 'authorization_code',
    code: opts.code,
    redirect_uri: opts.redirectUri,
    code_verifier: opts.verifier,
    scope: MICROSOFT_SCOPES.join(' '),
  });
}

export type LoopbackConsent = Loopback<TokenResponse & { grantedScopes: string[] }>;

/**
 * Starts a one-shot loopback listener (integrations/oauth-loopback.ts), builds the consent URL,
 * and exchanges the returned code with the PKCE verifier. Same shape as Google's.
 */
export async function startLoopbackConsent(opts: {
  endpoints: ProviderEndpoints;
  loginHint?: string;
  port?: number;
  timeoutMs?: number;
}): Promise<LoopbackConsent> {
  const pkce = createPkce();
  return startLoopback({
    provider: 'microsoft',
    label: 'Microsoft 365',
    port: opts.port,
    // http://localhost:PORT: the registered http://localhost with its port ignored (reply-url doc).
    host: 'localhost',
    timeoutMs: opts.timeoutMs,
    buildUrl: (redirectUri, state) =>
      buildAuthorizeUrl({ endpoints: opts.endpoints, redirectUri, state, pkce, loginHint: opts.loginHint }),
    exchange: async (code, redirectUri) => {
      let t: TokenResponse;
      try {
        t = await exchangeCode({ endpoints: opts.endpoints, code, redirectUri, verifier: pkce.verifier });
      } catch (e) {
        throw toProviderError(e, 'Microsoft code exchange');
      }
      if (!t.refreshToken)
        throw new ProviderError(
          'microsoft',
          'auth_revoked',
          'Microsoft returned no refresh token (offline_access was not granted): connect again and accept every permission',
        );
      return { ...t, grantedScopes: checkGrantedScopes(t.scope) };
    },
  });
}

export async function connectWithLoopback(opts: {
  endpoints: ProviderEndpoints;
  open: (url: string) => void | Promise<void>;
  loginHint?: string;
  timeoutMs?: number;
}): Promise<TokenResponse & { grantedScopes: string[] }> {
  const consent = await startLoopbackConsent(opts);
  try {
    await opts.open(consent.url);
    return await consent.result;
  } finally {
    consent.close();
  }
}
