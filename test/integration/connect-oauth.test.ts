// The consent flows of both providers in-process, against sandbox registrations set up the way the
// README tells a user to (and the ways users get it wrong): what is granted, what a refused client
// says, and what a Google Testing-mode token says when it dies after 7 days.
import { googleProvider } from '../../integrations/google/index.ts';
import { microsoftProvider } from '../../integrations/microsoft/index.ts';
import type { ProviderEndpoints, ProviderModule } from '../../integrations/provider.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { rejection, sandboxEndpoints } from '../helpers/sandbox-endpoints.ts';

const MAYA = 'maya@example.com';
const SAM = 'sam@contoso.example';
const MS_ID = '00000000-0000-0000-0000-00000000a11c';

let now = new Date('2026-11-02T09:00:00Z');
let sb: Sandbox;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  sb = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR, now: () => now });
  endpoints = { ...sandboxEndpoints(sb), microsoftClientId: MS_ID };
});
afterAll(async () => sb?.close());
beforeEach(() => {
  sb.reset();
  now = new Date('2026-11-02T09:00:00Z');
  sb.google.seedAccount({ email: MAYA, timeZone: 'America/Los_Angeles' });
  sb.microsoft.seedAccount({ email: SAM });
  sb.google.registerClient({
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    type: 'desktop',
    publishing: 'testing',
  });
  sb.microsoft.registerApp({ clientId: MS_ID, kind: 'public', redirectUris: ['http://localhost'] });
});

/** The browser: open the URL; the sandbox consents and redirects to the loopback listener. */
async function consent(provider: ProviderModule, ep: ProviderEndpoints, loginHint: string) {
  const c = await provider.startConsent({ endpoints: ep, loginHint, timeoutMs: 20_000 });
  try {
    const page = await fetch(c.url);
    await page.text();
    return await c.result;
  } finally {
    c.close();
  }
}

describe('Google', () => {
  test('the granted scopes come back with the token', async () => {
    const r = await consent(googleProvider, endpoints, MAYA);
    expect([...r.grantedScopes].sort()).toEqual([...googleProvider.scopes].sort());
  });

  test('a Testing-mode refresh token dies after 7 days: the error says why', async () => {
    const { refreshToken } = await consent(googleProvider, endpoints, MAYA);
    now = new Date(now.getTime() + 7 * 86_400_000 + 60_000);
    const e = await rejection(googleProvider.validateRefreshToken(refreshToken, endpoints));
    expect(e.kind).toBe('auth_revoked');
    expect(e.message).toMatch(/invalid_grant/);
    expect(e.message).toMatch(/Testing[^]*7 days/);

    // The same words reach the account's needs_reconnect message through any API call.
    const clients = googleProvider.createClients(
      { provider: 'google', email: MAYA, refreshToken },
      endpoints,
    );
    const e2 = await rejection(clients.calendar.listCalendars());
    expect(e2.kind).toBe('auth_revoked');
    expect(e2.message).toMatch(/Testing[^]*7 days/);
  });

  test('a refresh token that lacks a scope is refused by accounts add too', async () => {
    sb.google.withholdScopesAtConsent(MAYA, ['https://www.googleapis.com/auth/gmail.readonly']);
    const c = await googleProvider.startConsent({ endpoints, loginHint: MAYA, timeoutMs: 20_000 });
    await (await fetch(c.url)).text();
    const e = await rejection(c.result);
    c.close();
    expect(e.message).toMatch(/gmail\.readonly/);
  });
});

describe('Microsoft', () => {
  test('the redirect is http://localhost:PORT and the granted scopes come back', async () => {
    const c = await microsoftProvider.startConsent({ endpoints, loginHint: SAM, timeoutMs: 20_000 });
    expect(c.redirectUri).toMatch(/^http:\/\/localhost:\d+$/);
    await (await fetch(c.url)).text();
    const r = await c.result;
    c.close();
    expect(r.grantedScopes.map((s) => s.toLowerCase()).sort()).toEqual(
      ['calendars.readwrite', 'mail.readwrite', 'mailboxsettings.read', 'user.read'].map(
        (s) => `https://graph.microsoft.com/${s}`,
      ),
    );
  });

  test('a Web-platform (confidential) app without MICROSOFT_CLIENT_SECRET: the error says which', async () => {
    sb.microsoft.registerApp({
      clientId: MS_ID,
      kind: 'confidential',
      clientSecret: 'web-secret',
      redirectUris: ['http://localhost'],
    });
    const e = await rejection(consent(microsoftProvider, endpoints, SAM));
    expect(e.message).toMatch(/AADSTS7000218/);
    expect(e.message).toMatch(/confidential[^]*set MICROSOFT_CLIENT_SECRET/);
    // With the secret it connects.
    const ok = await consent(microsoftProvider, { ...endpoints, microsoftClientSecret: 'web-secret' }, SAM);
    expect(ok.refreshToken).toBeTruthy();
  });

  test('a public client that sends a secret: the error says to unset it', async () => {
    const e = await rejection(consent(microsoftProvider, { ...endpoints, microsoftClientSecret: 'x' }, SAM));
    expect(e.message).toMatch(/AADSTS700025/);
    expect(e.message).toMatch(/public client[^]*unset MICROSOFT_CLIENT_SECRET/);
  });

  test('without a client id, the real endpoints are refused before any request', () => {
    const real: ProviderEndpoints = {
      ...endpoints,
      microsoftClientId: undefined,
      microsoftAuthUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      microsoftTokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    };
    expect(microsoftProvider.credentialsProblem(real)).toMatch(/^MICROSOFT_CLIENT_ID is not set/);
    expect(microsoftProvider.credentialsProblem(endpoints)).toBeNull();
    expect(
      googleProvider.credentialsProblem({
        ...endpoints,
        googleClientSecret: undefined,
        googleTokenUrl: 'https://oauth2.googleapis.com/token',
      }),
    ).toMatch(/^GOOGLE_CLIENT_SECRET is not set/);
  });
});
