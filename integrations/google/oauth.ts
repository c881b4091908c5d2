// Connecting a Google account: the consent flow for installed apps (loopback redirect + PKCE),
// the code exchange, and validation of a refresh token for `accounts add`.
// https://developers.google.com/identity/protocols/oauth2/native-app
import { createHash, randomBytes } from 'node:crypto';
import type { ProviderEndpoints } from '../provider.ts';
import { startLoopback, type Loopback } from '../oauth-loopback.ts';
import { ProviderError } from '../provider.ts';
import { toProviderError } from './errors.ts';
import { newOAuthClient } from './session.ts';

/**
 * Minimal scopes: create/patch our events, read calendars (calendarList, settings/timezone),
 * write drafts, read mail (send detection, "mail exchanged").
 * https://developers.google.com/calendar/api/auth , https://developers.google.com/gmail/api/auth/scopes
 */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.readonly',
] as const;

/** What each scope is for, to name a missing one in words. */
const SCOPE_PURPOSE: Record<string, string> = {
  'https://www.googleapis.com/auth/calendar.events': 'create and move your prep events',
  'https://www.googleapis.com/auth/calendar.readonly': 'read your calendars',
  'https://www.googleapis.com/auth/gmail.compose': 'leave drafts in your mailbox',
  'https://www.googleapis.com/auth/gmail.readonly': 'see whether a draft was sent',
};

/**
 * Granular consent: the user may untick any of the scopes, and the token response's `scope` lists
 * only what was granted; the app must check it.
 * https://developers.google.com/identity/protocols/oauth2/resources/granular-permissions
 * Returns the granted scopes; throws ProviderError (auth_revoked) naming what is missing. A response
 * without `scope` (Google always sends it) is taken as granting what was asked.
 */
export function checkGrantedScopes(scope: string | undefined | null): string[] {
  if (!scope) return [...GOOGLE_SCOPES];
  const granted = scope.split(/\s+/).filter(Boolean);
  const have = new Set(granted);
  const missing = GOOGLE_SCOPES.filter((s) => !have.has(s));
  if (missing.length > 0) {
    const names = missing.map(
      (s) => `${s.replace('https://www.googleapis.com/auth/', '')} (${SCOPE_PURPOSE[s]})`,
    );
    throw new ProviderError(
      'google',
      'auth_revoked',
      `Google granted only part of the access coffee-chat needs; missing: ${names.join(', ')}. Connect again and leave every box ticked on the consent screen (if the boxes were not offered, a Workspace admin may have restricted this app)`,
    );
  }
  return granted;
}

export interface PkcePair {
  verifier: string;
  challenge: string;
}

/** RFC 7636: a 43–128 char verifier, S256 challenge. */
export function createPkcePair(): PkcePair {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface ConsentUrlInput {
  endpoints: Pick<ProviderEndpoints, 'googleAuthUrl' | 'googleClientId'>;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  loginHint?: string;
  scopes?: readonly string[];
}

export function buildConsentUrl(i: ConsentUrlInput): string {
  if (!i.endpoints.googleClientId) throw new Error('GOOGLE_CLIENT_ID is not set');
  const url = new URL(i.endpoints.googleAuthUrl);
  const p = url.searchParams;
  p.set('client_id', i.endpoints.googleClientId);
  p.set('redirect_uri', i.redirectUri);
  p.set('response_type', 'code');
  p.set('scope', (i.scopes ?? GOOGLE_SCOPES).join(' '));
  // offline + consent: Google returns a refresh token (again) on this grant
  p.set('access_type', 'offline');
  p.set('prompt', 'consent');
  p.set('include_granted_scopes', 'true');
  p.set('code_challenge', i.codeChallenge);
  p.set('code_challenge_method', 'S256');
  p.set('state', i.state);
  if (i.loginHint) p.set('login_hint', i.loginHint);
  return url.toString();
}

export async function exchangeCode(input: {
  endpoints: Pick<ProviderEndpoints, 'googleTokenUrl' | 'googleClientId' | 'googleClientSecret'>;
  code: string;
  codeVerifier: string;
  redirectUri: string;
}): Promise<{ refreshToken: string; scope?: string }> {
  const client = newOAuthClient({
    clientId: input.endpoints.googleClientId,
    clientSecret: input.endpoints.googleClientSecret,
    tokenUrl: input.endpoints.googleTokenUrl,
    redirectUri: input.redirectUri,
  });
  try {
    const { tokens } = await client.getToken({
      code: input.code,
      codeVerifier: input.codeVerifier,
      redirect_uri: input.redirectUri,
    });
    if (!tokens.refresh_token)
      throw new ProviderError(
        'google',
        'bad_request',
        'Google returned no refresh token (was access_type=offline&prompt=consent sent?)',
      );
    return { refreshToken: tokens.refresh_token, ...(tokens.scope ? { scope: tokens.scope } : {}) };
  } catch (e) {
    throw toProviderError(e);
  }
}

export type LoopbackConsent = Loopback<{ refreshToken: string; grantedScopes: string[] }>;

/**
 * Starts a one-shot loopback listener (integrations/oauth-loopback.ts), builds the consent URL
 * and exchanges the returned code with the PKCE verifier.
 */
export async function startLoopbackConsent(opts: {
  endpoints: Pick<
    ProviderEndpoints,
    'googleAuthUrl' | 'googleTokenUrl' | 'googleClientId' | 'googleClientSecret'
  >;
  loginHint?: string;
  port?: number;
  timeoutMs?: number;
}): Promise<LoopbackConsent> {
  const pkce = createPkcePair();
  return startLoopback({
    provider: 'google',
    label: 'Google',
    port: opts.port,
    timeoutMs: opts.timeoutMs,
    buildUrl: (redirectUri, state) =>
      buildConsentUrl({
        endpoints: opts.endpoints,
        redirectUri,
        state,
        codeChallenge: pkce.challenge,
        loginHint: opts.loginHint,
      }),
    exchange: async (code, redirectUri) => {
      const r = await exchangeCode({
        endpoints: opts.endpoints,
        code,
        codeVerifier: pkce.verifier,
        redirectUri,
      });
      return { refreshToken: r.refreshToken, grantedScopes: checkGrantedScopes(r.scope) };
    },
  });
}
