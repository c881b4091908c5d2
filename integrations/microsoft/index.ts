// Microsoft 365 behind the provider-neutral contract (../provider.ts): the clients, the
// refresh-token check and the consent, as one ProviderModule for the worker's registry.
import {
  grantProblemOf,
  type AccountCredentials,
  type AccountProfile,
  type ProviderClients,
  type ProviderEndpoints,
  type ProviderModule,
} from '../provider.ts';
import { toProviderError } from './errors.ts';
import {
  MICROSOFT_SCOPES,
  checkGrantedScopes,
  microsoftCredentialsProblem,
  startLoopbackConsent,
} from './oauth.ts';
import { MicrosoftCalendar } from './calendar.ts';
import { createGraphHandle, type GraphClientOptions } from './graph-client.ts';
import { MicrosoftMailbox } from './mail.ts';

export {
  MICROSOFT_SCOPES,
  checkGrantedScopes,
  microsoftCredentialsProblem,
  connectWithLoopback,
  startLoopbackConsent,
  buildAuthorizeUrl,
  createPkce,
  exchangeCode,
  refreshAccessToken,
} from './oauth.ts';
export { toProviderError, MicrosoftTokenError } from './errors.ts';
export { windowsToIana, ianaToWindows, eventZone } from './time-zones.ts';
export { COFFEE_CHAT_MARKER_ID } from './markers.ts';
export type { GraphClientOptions } from './graph-client.ts';
export type { LoopbackConsent, TokenResponse } from './oauth.ts';

export function createMicrosoftClients(
  creds: AccountCredentials,
  endpoints: ProviderEndpoints,
  options: GraphClientOptions = {},
): ProviderClients {
  const graph = createGraphHandle(creds, endpoints, options);
  // The account's address (for "self"); filled from /me when the caller did not know it.
  let email = creds.email;
  const calendar = new MicrosoftCalendar(graph, () => email);
  const getProfile = calendar.getProfile.bind(calendar);
  calendar.getProfile = async () => {
    const p = await getProfile();
    if (!email) email = p.email;
    return p;
  };
  return { calendar, mailbox: new MicrosoftMailbox(graph) };
}

/**
 * For `accounts add --provider microsoft --refresh-token -`: proves the token works by refreshing
 * it and reading /me and /me/mailboxSettings. Returns the profile (Windows zone mapped to IANA), the
 * ROTATED refresh token, which is the one to store, and the granted scopes (the refresh's `scope`).
 * Throws ProviderError (auth_revoked for a bad token or one lacking a permission) with a one-line
 * message.
 */
export async function validateMicrosoftRefreshToken(
  token: string,
  endpoints: ProviderEndpoints,
): Promise<{ profile: AccountProfile; refreshToken: string; grantedScopes: string[] }> {
  let latest = token;
  const graph = createGraphHandle(
    {
      provider: 'microsoft',
      email: '',
      refreshToken: token,
      onRefreshTokenRotated: async (t) => {
        latest = t;
      },
    },
    endpoints,
  );
  try {
    await graph.tokens.get();
    const grantedScopes = checkGrantedScopes(graph.tokens.grantedScope ?? '');
    const profile = await new MicrosoftCalendar(graph, () => '').getProfile();
    return { profile, refreshToken: latest, grantedScopes };
  } catch (e) {
    throw toProviderError(e, 'Microsoft refresh token check');
  }
}

export const microsoftProvider: ProviderModule = {
  kind: 'microsoft',
  label: 'Microsoft 365',
  scopes: MICROSOFT_SCOPES,
  createClients: (creds, endpoints) => createMicrosoftClients(creds, endpoints),
  validateRefreshToken: validateMicrosoftRefreshToken,
  credentialsProblem: microsoftCredentialsProblem,
  grantProblem: (granted) => grantProblemOf(checkGrantedScopes, granted),
  consentProblem: microsoftCredentialsProblem,
  startConsent: startLoopbackConsent,
};
