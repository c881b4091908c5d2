// Google's OAuth 2.0 endpoints as the sandbox serves them:
// - POST /token: refresh_token and authorization_code (+PKCE) grants.
//   https://developers.google.com/identity/protocols/oauth2/web-server#offline
//   https://developers.google.com/identity/protocols/oauth2/native-app#exchange-authorization-code
//   Errors are RFC 6749 §5.2 JSON: 400 {"error":"invalid_grant","error_description":"Token has been expired or revoked."}
// - GET /o/oauth2/v2/auth: an auto-approving consent screen (login_hint picks the account) that
//   redirects to the loopback redirect_uri with ?code=&state=, so the consent flow can be tested.
//   https://developers.google.com/identity/protocols/oauth2/native-app#step-2:-send-a-request-to-googles-oauth-2.0-server
// - POST /revoke?token=: https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { applyFault, revokeAccount } from './auth.ts';
import { GoogleApiError } from './errors.ts';
import { newToken, type Account, type GoogleState } from './state.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 3599;
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

export function registerOAuth(app: FastifyInstance, state: GoogleState, ctx: SandboxContext): void {
  app.post('/token', async (req, reply) => {
    const body = (typeof req.body === 'object' && req.body ? req.body : {}) as Record<
      string,
      string | undefined
    >;
    const grant = body.grant_type;
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
      return {
        access_token: issueAccessToken(state, ctx, account),
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
        scope: DEFAULT_SCOPES,
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
    const code = newToken('4/sandbox-');
    state.authCodes.set(code, {
      email: account.email,
      codeChallenge: q.code_challenge,
      redirectUri: q.redirect_uri,
      scope: q.scope ?? DEFAULT_SCOPES,
    });
    const target = new URL(q.redirect_uri);
    target.searchParams.set('code', code);
    if (q.state) target.searchParams.set('state', q.state);
    target.searchParams.set('scope', q.scope ?? DEFAULT_SCOPES);
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
