// Contract tests of the sandbox's OAuth client registrations (Google Cloud console clients, Entra
// app registrations): redirect URI checks, client authentication, granular consent and the Testing
// consent screen's 7-day refresh tokens. Plain HTTP, as a browser and a token client send it.
import { createHash } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

let now = new Date('2026-11-02T09:00:00Z');
let sb: Sandbox;
const MAYA = 'maya@example.com';
const SAM = 'sam@contoso.example';
const VERIFIER = 'v'.repeat(50);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

beforeAll(async () => {
  sb = await startSandbox({ tlsDir: process.env.SANDBOX_TLS_DIR, now: () => now });
});
afterAll(async () => sb?.close());
beforeEach(() => {
  sb.reset();
  now = new Date('2026-11-02T09:00:00Z');
  sb.google.seedAccount({ email: MAYA });
  sb.microsoft.seedAccount({ email: SAM });
});

async function authorize(url: string, params: Record<string, string>) {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { status: res.status, location, text: location ? '' : await res.text() };
}

async function token(url: string, form: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Google OAuth clients', () => {
  const GOOGLE_SCOPES =
    'https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/gmail.compose';
  const consent = (extra: Record<string, string> = {}) =>
    authorize(sb.env.GOOGLE_AUTH_URL, {
      client_id: 'desk.apps.googleusercontent.com',
      redirect_uri: 'http://127.0.0.1:5123/',
      response_type: 'code',
      scope: GOOGLE_SCOPES,
      login_hint: MAYA,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...extra,
    });
  const exchange = (code: string, extra: Record<string, string | undefined> = {}) =>
    token(
      sb.env.GOOGLE_TOKEN_URL,
      Object.fromEntries(
        Object.entries({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1:5123/',
          code_verifier: VERIFIER,
          client_id: 'desk.apps.googleusercontent.com',
          client_secret: 'desk-secret',
          ...extra,
        }).filter((e): e is [string, string] => e[1] !== undefined),
      ),
    );
  const codeOf = (location: string | null) => new URL(location!).searchParams.get('code')!;

  beforeEach(() =>
    sb.google.registerClient({
      clientId: 'desk.apps.googleusercontent.com',
      clientSecret: 'desk-secret',
      type: 'desktop',
      publishing: 'testing',
    }),
  );

  test('a Desktop client needs its secret at the token endpoint, PKCE or not', async () => {
    const missing = await exchange(codeOf((await consent()).location), { client_secret: undefined });
    expect(missing).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'client_secret is missing.' },
    });
    const wrong = await exchange(codeOf((await consent()).location), { client_secret: 'nope' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const ok = await exchange(codeOf((await consent()).location));
    expect(ok.status).toBe(200);
  });

  test('unknown client and a non-loopback redirect are refused at consent', async () => {
    expect(await consent({ client_id: 'other' })).toMatchObject({ status: 401 });
    expect(await consent({ redirect_uri: 'https://example.com/cb' })).toMatchObject({ status: 400 });
    expect((await consent({ redirect_uri: 'http://localhost:4000/' })).status).toBe(302);
  });

  test('granular consent: unticked scopes are missing from the token response', async () => {
    sb.google.withholdScopesAtConsent(MAYA, ['https://www.googleapis.com/auth/gmail.compose']);
    const back = await consent();
    expect(new URL(back.location!).searchParams.get('scope')).toBe(
      'https://www.googleapis.com/auth/calendar.events',
    );
    const r = await exchange(codeOf(back.location));
    expect(r.body.scope).toBe('https://www.googleapis.com/auth/calendar.events');
    const refreshed = await token(sb.env.GOOGLE_TOKEN_URL, {
      grant_type: 'refresh_token',
      refresh_token: String(r.body.refresh_token),
      client_id: 'desk.apps.googleusercontent.com',
      client_secret: 'desk-secret',
    });
    expect(refreshed.body.scope).toBe('https://www.googleapis.com/auth/calendar.events');
  });

  test('Testing consent screen: the refresh token dies after 7 days', async () => {
    const r = await exchange(codeOf((await consent()).location));
    const refresh = () =>
      token(sb.env.GOOGLE_TOKEN_URL, {
        grant_type: 'refresh_token',
        refresh_token: String(r.body.refresh_token),
        client_id: 'desk.apps.googleusercontent.com',
        client_secret: 'desk-secret',
      });
    now = new Date(now.getTime() + 6 * 86_400_000);
    expect((await refresh()).status).toBe(200);
    now = new Date(now.getTime() + 86_400_000);
    expect(await refresh()).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
  });
});

describe('Entra app registrations', () => {
  const ID = '11111111-2222-3333-4444-555555555555';
  const consent = (extra: Record<string, string> = {}) =>
    authorize(sb.env.MICROSOFT_AUTH_URL, {
      client_id: ID,
      redirect_uri: 'http://localhost:5123',
      response_type: 'code',
      scope: 'offline_access User.Read Mail.ReadWrite',
      login_hint: SAM,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...extra,
    });
  const exchange = (location: string | null, extra: Record<string, string> = {}) =>
    token(sb.env.MICROSOFT_TOKEN_URL, {
      grant_type: 'authorization_code',
      code: new URL(location!).searchParams.get('code')!,
      redirect_uri: 'http://localhost:5123',
      code_verifier: VERIFIER,
      client_id: ID,
      scope: 'offline_access User.Read Mail.ReadWrite',
      ...extra,
    });

  test('redirect: the port is ignored for loopback, the host and the path are not (AADSTS50011)', async () => {
    sb.microsoft.registerApp({ clientId: ID, kind: 'public', redirectUris: ['http://localhost'] });
    expect((await consent()).status).toBe(302);
    expect((await consent({ redirect_uri: 'http://localhost:61000' })).status).toBe(302);
    const ip = await consent({ redirect_uri: 'http://127.0.0.1:5123/' });
    expect(ip.status).toBe(400);
    expect(ip.text).toContain('AADSTS50011');
    expect((await consent({ redirect_uri: 'http://localhost:5123/cb' })).status).toBe(400);
    const unknown = await consent({ client_id: 'aaaaaaaa-0000-0000-0000-000000000000' });
    expect(unknown.text).toContain('AADSTS700016');
  });

  test('a public client must not send a secret (AADSTS700025), a confidential one must (AADSTS7000218)', async () => {
    sb.microsoft.registerApp({ clientId: ID, kind: 'public', redirectUris: ['http://localhost'] });
    const withSecret = await exchange((await consent()).location, { client_secret: 's3cret' });
    expect(withSecret.status).toBe(401);
    expect(withSecret.body.error).toBe('invalid_client');
    expect(String(withSecret.body.error_description)).toMatch(/^AADSTS700025: Client is public/);
    expect((await exchange((await consent()).location)).status).toBe(200);

    sb.microsoft.registerApp({
      clientId: ID,
      kind: 'confidential',
      clientSecret: 's3cret',
      redirectUris: ['http://localhost'],
    });
    const without = await exchange((await consent()).location);
    expect(without.status).toBe(401);
    expect(String(without.body.error_description)).toMatch(/^AADSTS7000218:/);
    expect((await exchange((await consent()).location, { client_secret: 's3cret' })).status).toBe(200);
  });

  test('consent may grant fewer permissions; scope lists what was granted, not offline_access', async () => {
    sb.microsoft.registerApp({ clientId: ID, kind: 'public', redirectUris: ['http://localhost'] });
    const all = await exchange((await consent()).location);
    expect(all.body.scope).toBe(
      'https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.ReadWrite',
    );
    sb.microsoft.withholdScopesAtConsent(SAM, ['Mail.ReadWrite']);
    const fewer = await exchange((await consent()).location);
    expect(fewer.body.scope).toBe('https://graph.microsoft.com/User.Read');
    const refreshed = await token(sb.env.MICROSOFT_TOKEN_URL, {
      grant_type: 'refresh_token',
      refresh_token: String(fewer.body.refresh_token),
      client_id: ID,
      scope: 'offline_access User.Read Mail.ReadWrite',
    });
    expect(refreshed.body.scope).toBe('https://graph.microsoft.com/User.Read');
  });
});
