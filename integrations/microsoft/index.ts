// Microsoft 365 behind the provider-neutral contract (../provider.ts).
import type { AccountCredentials, ProviderClients, ProviderEndpoints } from '../provider.ts';
import { MicrosoftCalendar } from './calendar.ts';
import { createGraphHandle, type GraphClientOptions } from './graph-client.ts';
import { MicrosoftMailbox } from './mail.ts';

export { MICROSOFT_SCOPES, validateMicrosoftRefreshToken, connectWithLoopback, startLoopbackConsent, buildAuthorizeUrl, createPkce, exchangeCode, refreshAccessToken } from './oauth.ts';
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
