// Google's OAuth 2.0 endpoints as the sandbox serves them:
// - POST /token: refresh_token and authorization_code (+PKCE) grants.
//   https://developers.google.com/identity/protocols/oauth2/web-server#offline
//   https://developers.google.com/identity/protocols/oauth2/native-app#exchange-authorization-code
//   Errors are RFC 6749 §5.2 JSON: 400 {"error":"invalid_grant","error_description":"Token has been expired or revoked."}
// - GET /o/oauth2/v2/auth: an auto-approving consent screen (login_hint picks the account) that
//   redirects to the loopback redirect_uri with ?code=&state=, so the consent flow can be tested.
//   https://developers.google.com/identity/protocols/oauth2/native-app#step-2:-send-a-request-to-googles-oauth-2.0-server
// - POST /revoke?token=: https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
// - Registered OAuth clients (state.clients; none registered = any client id accepted unchecked):
//   * the token endpoint requires the client secret, also for "Desktop app" clients with PKCE:
//     400 {"error":"invalid_request","error_description":"client_secret is missing."}. The native-app
//     guide lists client_secret for the exchange and the refresh
//     (https://developers.google.com/identity/protocols/oauth2/native-app#exchange-authorization-code);
//     the exact answer is from threads: https://github.com/googleapis/google-api-dotnet-client/issues/1827 ,
//     https://github.com/openid/AppAuth-JS/issues/91 , https://github.com/taylorwilsdon/google_workspace_mcp/issues/1008 .
//     A wrong secret: 401 {"error":"invalid_client","error_description":"Unauthorized"}; an unknown
//     client: 401 invalid_client "The OAuth client was not found." (RFC 6749 §5.2: invalid_client).
//     The secret is read from the body or HTTP Basic (RFC 6749 §2.3.1).
//   * consent: a Desktop client takes loopback IP redirects on any port
//     (https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback); a Web
//     client only its registered URIs; otherwise "Error 400: redirect_uri_mismatch".
//   * a consent screen in Testing (External): "a refresh token expiring in 7 days" unless only
//     name/email/profile were asked (https://developers.google.com/identity/protocols/oauth2#expiration);
//     after that the refresh answers invalid_grant "Token has been expired or revoked.".
// - Granular consent: the user may untick scopes; the token response's `scope` lists only the granted
//   ones and the app must check it
//   (https://developers.google.com/identity/protocols/oauth2/resources/granular-permissions). The sandbox's
//   user unticks what `withholdScopesAtConsent` (admin API) names.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { applyFault, revokeAccount } from './auth.ts';
import { GoogleApiError } from './errors.ts';
import { newToken, type Account, type GoogleState } from './state.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 3599;
/** https://developers.google.com/identity/protocols/oauth2#expiration (Testing publishing status). */
export const TESTING_REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** Scopes whose grants do not expire in Testing (the sign-in scopes). */
const SIGN_IN_SCOPES = new Set([
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
]);
export const DEFAULT_SCOPES =
  'https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/gmail.compose https://www.googleapis.com/auth/gmail.readonly';

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description });
}

export function issueAccessToken(state: GoogleState, ctx: SandboxContext, account: Account): string {
  const access = newToken('ya29.sandbox-');
  const now = ctx.now().getTime();
  state.addAccessToken(account, access, now + ACCESS_TOKEN_TTL_SECONDS * 1000, now);
  return access;
}

/** client_id/client_secret from the form body or an HTTP Basic header (RFC 6749 §2.3.1). */
function clientCredentials(
  body: Record<string, string | undefined>,
  authorization: string | undefined,
): { clientId?: string; clientSecret?: string } {
  if (authorization?.startsWith('Basic ')) {
    const raw = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const i = raw.indexOf(':');
    if (i > 0)
      return {
        clientId: decodeURIComponent(raw.slice(0, i)),
        clientSecret: decodeURIComponent(raw.slice(i + 1)),
      };
  }
  return { clientId: body.client_id, clientSecret: body.client_secret };
}

/** A Desktop client's redirect: http on a loopback host, any port. */
function isLoopbackRedirect(uri: string): boolean {
  if (!URL.canParse(uri)) return false;
  const u = new URL(uri);
  return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
}

export function registerOAuth(app: FastifyInstance, state: GoogleState, ctx: SandboxContext): void {
  app.post('/token', async (req, reply) => {
    const body = (typeof req.body === 'object' && req.body ? req.body : {}) as Record<
      string,
      string | undefined
    >;
    const grant = body.grant_type;
    const { clientId, clientSecret } = clientCredentials(body, req.headers.authorization);
    if (state.clients.size > 0) {
      const client = clientId ? state.clients.get(clientId) : undefined;
      if (!client) return oauthError(reply, 401, 'invalid_client', 'The OAuth client was not found.');
      if (!clientSecret) return oauthError(reply, 400, 'invalid_request', 'client_secret is missing.');
      if (clientSecret !== client.clientSecret)
        return oauthError(reply, 401, 'invalid_client', 'Unauthorized');
    }
    if (grant === 'refresh_token') {
      const email = body.refresh_token ? state.refreshTokens.get(body.refresh_token) : undefined;
      const account = email ? state.account(email) : undefined;
      if (account) req.sandboxAccount = account.email;
      try {
        await applyFault(state, ctx, req, account, { tokenEndpoint: true });
      } catch (e) {
        if (e instanceof GoogleApiError && e.code === 400)
          return oauthError(reply, 400, 'invalid_grant', e.message);
        if (e instanceof GoogleApiError) {
          if (e.opts.retryAfterSeconds !== undefined)
            reply.header('retry-after', String(e.opts.retryAfterSeconds));
          return oauthError(
            reply,
            e.code >= 500 ? e.code : 429,
            e.code >= 500 ? 'server_error' : 'rate_limit_exceeded',
            e.message,
          );
        }
        throw e;
      }
      if (!account || account.revoked || !state.refreshTokens.has(body.refresh_token!)) {
        return oauthError(reply, 400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      const granted = state.grants.get(body.refresh_token!);
      const client = granted ? state.clients.get(granted.clientId) : undefined;
      if (
        granted &&
        client?.publishing === 'testing' &&
        granted.scope.split(' ').some((s) => !SIGN_IN_SCOPES.has(s)) &&
        ctx.now().getTime() - granted.issuedAtMs >= TESTING_REFRESH_TOKEN_LIFETIME_MS
      ) {
        return oauthError(reply, 400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      return {
        access_token: issueAccessToken(state, ctx, account),
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
        scope: granted?.scope ?? DEFAULT_SCOPES,
        token_type: 'Bearer',
      };
    }
    if (grant === 'authorization_code') {
      const code = body.code ? state.authCodes.get(body.code) : undefined;
      if (!code) return oauthError(reply, 400, 'invalid_grant', 'Malformed auth code.');
      state.authCodes.delete(body.code!);
      if (code.redirectUri && body.redirect_uri !== code.redirectUri) {
        return oauthError(reply, 400, 'redirect_uri_mismatch', 'Bad Request');
      }
      if (code.codeChallenge) {
        const verifier = body.code_verifier ?? '';
        const computed = createHash('sha256').update(verifier).digest('base64url');
        if (computed !== code.codeChallenge)
          return oauthError(reply, 400, 'invalid_grant', 'Invalid code verifier.');
      }
      const account = state.account(code.email);
      if (!account) return oauthError(reply, 400, 'invalid_grant', 'Account not found.');
      req.sandboxAccount = account.email;
      account.revoked = false;
      const refresh = newToken('1//sandbox-');
      state.addRefreshToken(account, refresh);
      state.grants.set(refresh, {
        clientId: code.clientId,
        issuedAtMs: ctx.now().getTime(),
        scope: code.scope,
      });
      return {
        access_token: issueAccessToken(state, ctx, account),
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
        refresh_token: refresh,
        scope: code.scope,
        token_type: 'Bearer',
      };
    }
    return oauthError(reply, 400, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
  });

  app.get('/o/oauth2/v2/auth', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.response_type !== 'code' || !q.redirect_uri || !q.client_id) {
      return reply
        .code(400)
        .type('text/plain')
        .send('Error 400: invalid_request (response_type=code, client_id and redirect_uri are required)');
    }
    const account = (q.login_hint && state.account(q.login_hint)) || state.accounts.values().next().value;
    if (!account)
      return reply
        .code(400)
        .type('text/plain')
        .send('Error 400: no sandbox account to sign in as (seed one first)');
    if (q.code_challenge && q.code_challenge_method && q.code_challenge_method !== 'S256') {
      return reply
        .code(400)
        .type('text/plain')
        .send('Error 400: invalid_request (code_challenge_method must be S256)');
    }
    if (state.clients.size > 0) {
      const client = state.clients.get(q.client_id);
      if (!client)
        return reply
          .code(401)
          .type('text/plain')
          .send('Error 401: invalid_client (The OAuth client was not found.)');
      const allowed =
        client.type === 'desktop'
          ? isLoopbackRedirect(q.redirect_uri)
          : (client.redirectUris ?? []).includes(q.redirect_uri);
      if (!allowed)
        return reply
          .code(400)
          .type('text/plain')
          .send(`Error 400: redirect_uri_mismatch (${q.redirect_uri} is not registered for this client)`);
    }
    // Granular consent: the user unticks the scopes the admin API said they would.
    const withheld = new Set(state.withheldScopes.get(account.email) ?? []);
    const scope = (q.scope ?? DEFAULT_SCOPES)
      .split(/\s+/)
      .filter((s) => s && !withheld.has(s))
      .join(' ');
    const code = newToken('4/sandbox-');
    state.authCodes.set(code, {
      email: account.email,
      clientId: q.client_id,
      codeChallenge: q.code_challenge,
      redirectUri: q.redirect_uri,
      scope,
    });
    const target = new URL(q.redirect_uri);
    target.searchParams.set('code', code);
    if (q.state) target.searchParams.set('state', q.state);
    target.searchParams.set('scope', scope);
    return reply.redirect(target.toString(), 302);
  });

  app.post('/revoke', async (req, reply) => {
    const q = { ...(req.query as Record<string, string>), ...((req.body as Record<string, string>) ?? {}) };
    const email = q.token
      ? (state.refreshTokens.get(q.token) ?? state.accessTokens.get(q.token)?.email)
      : undefined;
    const account = email ? state.account(email) : undefined;
    if (!account) return oauthError(reply, 400, 'invalid_token', 'Token expired or revoked');
    revokeAccount(state, account);
    return reply.code(200).send({});
  });
}
