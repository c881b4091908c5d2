// Google behind the provider-neutral contract (integrations/provider.ts).
import type { AccountCredentials, ProviderClients, ProviderEndpoints } from '../provider.ts';
import { GoogleCalendarProvider } from './calendar.ts';
import { GmailMailbox } from './gmail.ts';
import { GoogleSession } from './session.ts';

export { GOOGLE_SCOPES, buildConsentUrl, createPkcePair, exchangeCode, startLoopbackConsent, validateGoogleRefreshToken } from './oauth.ts';
export { toProviderError, DEFAULT_RETRY_AFTER_MS } from './errors.ts';
export { MARKER_PROPERTY } from './calendar.ts';
export { MARKER_HEADER, messageIdFor } from './gmail.ts';

/**
 * One account's clients. Both share one OAuth session (one access token); every HTTP call
 * (token refreshes included) is reported to creds.onCall as "METHOD /path/:pattern".
 */
export function createGoogleClients(creds: AccountCredentials, endpoints: ProviderEndpoints): ProviderClients {
  const session = new GoogleSession(creds, endpoints);
  return {
    calendar: new GoogleCalendarProvider(session, creds.email),
    mailbox: new GmailMailbox(session),
  };
}
