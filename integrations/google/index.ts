// Google behind the provider-neutral contract (integrations/provider.ts): the clients, the
// refresh-token check and the consent, as one ProviderModule for the worker's registry.
import {
  ProviderError,
  grantProblemOf,
  isLoopbackUrl,
  type AccountCredentials,
  type AccountProfile,
  type ProviderClients,
  type ProviderEndpoints,
  type ProviderModule,
} from '../provider.ts';
import { GoogleCalendarProvider } from './calendar.ts';
import { toProviderError } from './errors.ts';
import { GmailMailbox } from './gmail.ts';
import { GOOGLE_SCOPES, checkGrantedScopes, startLoopbackConsent } from './oauth.ts';
import { GoogleSession, type GoogleSessionOptions } from './session.ts';

export {
  GOOGLE_SCOPES,
  checkGrantedScopes,
  buildConsentUrl,
  createPkcePair,
  exchangeCode,
  startLoopbackConsent,
} from './oauth.ts';
export { toProviderError, DEFAULT_RETRY_AFTER_MS } from './errors.ts';
export { MARKER_PROPERTY } from './calendar.ts';
export { MARKER_HEADER, messageIdFor } from './gmail.ts';

/**
 * One account's clients. Both share one OAuth session (one access token); every HTTP call
 * (token refreshes included) is reported to creds.onCall as "METHOD /path/:pattern".
 */
export function createGoogleClients(
  creds: AccountCredentials,
  endpoints: ProviderEndpoints,
  options: GoogleSessionOptions = {},
): ProviderClients {
  const session = new GoogleSession(creds, endpoints, options);
  return {
    calendar: new GoogleCalendarProvider(session, creds.email),
    mailbox: new GmailMailbox(session),
  };
}

/**
 * Checks a refresh token by using it: refresh, read the Gmail profile and the calendar time zone
 * (3 calls). Google does not rotate refresh tokens, so the same token comes back.
 * Throws ProviderError: auth_revoked for invalid_grant (one clear line for the CLI).
 */
export async function validateGoogleRefreshToken(
  refreshToken: string,
  endpoints: ProviderEndpoints,
): Promise<{ profile: AccountProfile; refreshToken: string; grantedScopes: string[] }> {
  const session = new GoogleSession({ refreshToken, email: '' }, endpoints);
  try {
    await session.oauth.getAccessToken();
  } catch (e) {
    const pe = toProviderError(e);
    if (pe instanceof ProviderError && pe.kind === 'auth_revoked') {
      throw new ProviderError('google', 'auth_revoked', `Google refused the refresh token (${pe.message})`, {
        status: pe.status,
        cause: e,
      });
    }
    throw pe;
  }
  // The refresh answers with the scopes the grant holds (granular consent may have left some out).
  const grantedScopes = checkGrantedScopes(session.oauth.credentials.scope);
  const profile = await new GoogleCalendarProvider(session, '').getProfile();
  return { profile, refreshToken, grantedScopes };
}

/** The token endpoint needs the client id and, for a "Desktop app" client too, its secret. */
function googleCredentialsProblem(endpoints: ProviderEndpoints): string | null {
  if (isLoopbackUrl(endpoints.googleTokenUrl)) return null;
  if (!endpoints.googleClientId) return `GOOGLE_CLIENT_ID is not set: ${CREATE_CLIENT}`;
  if (!endpoints.googleClientSecret)
    return `GOOGLE_CLIENT_SECRET is not set: Google's token endpoint requires the secret of the "Desktop app" client too (Google Cloud console → Credentials → your client → Client secret)`;
  return null;
}

const CREATE_CLIENT =
  'create an OAuth client of type "Desktop app" in the Google Cloud console and set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET';

export const googleProvider: ProviderModule = {
  kind: 'google',
  label: 'Google',
  scopes: GOOGLE_SCOPES,
  createClients: createGoogleClients,
  validateRefreshToken: validateGoogleRefreshToken,
  credentialsProblem: googleCredentialsProblem,
  // The consent URL needs the client id even against a local emulator; the code exchange needs the
  // secret wherever the emulator checks it as Google does.
  grantProblem: (granted) => grantProblemOf(checkGrantedScopes, granted),
  consentProblem: (endpoints) =>
    !endpoints.googleClientId
      ? `GOOGLE_CLIENT_ID is not set: ${CREATE_CLIENT}`
      : !endpoints.googleClientSecret
        ? `GOOGLE_CLIENT_SECRET is not set: Google's token endpoint requires the secret of the "Desktop app" client too (Google Cloud console → Credentials → your client → Client secret)`
        : null,
  startConsent: startLoopbackConsent,
};
