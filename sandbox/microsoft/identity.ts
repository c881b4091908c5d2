// Microsoft identity platform v2.0 endpoints of the sandbox.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
// - /{tenant}/oauth2/v2.0/authorize: the sandbox consents at once (login_hint or the only account)
//   and redirects with ?code=&state=.
// - /{tenant}/oauth2/v2.0/token: authorization_code (with PKCE S256) and refresh_token grants.
//   Every refresh returns a NEW refresh token; the old one is not revoked
//   (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens: "Refresh tokens replace
//   themselves with a fresh token upon every use ... doesn't revoke old refresh tokens").
//   Errors are 400 {error, error_description "AADSTS...", error_codes, timestamp, trace_id,
//   correlation_id, error_uri}.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { identityError } from './graph-errors.ts';
import type { MicrosoftStore } from './store.ts';

const DEFAULT_SCOPE = 'openid profile email offline_access https://graph.microsoft.com/User.Read';

function grantScope(requested: string | undefined): string {
  if (!requested) return DEFAULT_SCOPE;
  return requested
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => (/^[A-Z][\w.]+$/.test(s) ? `https://graph.microsoft.com/${s}` : s))
    .join(' ');
}

export function registerIdentity(app: FastifyInstance, ctx: SandboxContext, store: MicrosoftStore) {
  const fail = (reply: FastifyReply, status: number, error: string, code: number, text: string) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .send(identityError(error, code, text));

  app.get<{ Params: { tenant: string }; Querystring: Record<string, string | undefined> }>(
    '/:tenant/oauth2/v2.0/authorize',
    async (req, reply) => {
      const q = req.query;
      if (!q.client_id)
        return fail(
          reply,
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'client_id'.",
        );
      if (q.response_type !== 'code')
        return fail(
          reply,
          400,
          'unsupported_response_type',
          70005,
          "The provided value for the input parameter 'response_type' is not allowed for this request.",
        );
      if (!q.redirect_uri)
        return fail(
          reply,
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'redirect_uri'.",
        );
      const hint = q.login_hint?.toLowerCase();
      const acc = hint
        ? store.account(hint)
        : store.accounts.size === 1
          ? [...store.accounts.values()][0]
          : undefined;
      if (!acc)
        return fail(
          reply,
          400,
          'invalid_request',
          50034,
          'The user account does not exist in this directory (pass login_hint to pick a seeded sandbox account).',
        );
      const code = `0.A${randomBytes(24).toString('base64url')}`;
      store.authCodes.set(code, {
        email: acc.email,
        challenge: q.code_challenge,
        method: q.code_challenge_method,
        redirectUri: q.redirect_uri,
        scope: grantScope(q.scope),
      });
      const u = new URL(q.redirect_uri);
      u.searchParams.set('code', code);
      if (q.state) u.searchParams.set('state', q.state);
      return reply.redirect(u.toString(), 302);
    },
  );

  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const grant = body.grant_type;
    if (!grant)
      return fail(
        reply,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );

    let email: string | undefined;
    let scope = grantScope(body.scope);
    if (grant === 'refresh_token') {
      if (!body.refresh_token)
        return fail(
          reply,
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'refresh_token'.",
        );
      email = store.refreshTokens.get(body.refresh_token);
      if (!email)
        return fail(
          reply,
          400,
          'invalid_grant',
          9002313,
          'Invalid request. Request is malformed or invalid.',
        );
    } else if (grant === 'authorization_code') {
      const code = body.code ? store.authCodes.get(body.code) : undefined;
      if (!code || !body.code)
        return fail(
          reply,
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      store.authCodes.delete(body.code);
      if (code.redirectUri && body.redirect_uri !== code.redirectUri) {
        return fail(
          reply,
          400,
          'invalid_grant',
          50148,
          'The redirect_uri specified in the token request does not match the one used in the authorization request.',
        );
      }
      if (code.challenge) {
        const verifier = body.code_verifier ?? '';
        const computed =
          code.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (computed !== code.challenge) {
          return fail(
            reply,
            400,
            'invalid_grant',
            501481,
            'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          );
        }
      }
      email = code.email;
      scope = code.scope;
    } else {
      return fail(
        reply,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
      );
    }

    req.sandboxAccount = email;
    const fault = ctx.faults.take({
      provider: 'microsoft',
      method: 'POST',
      path: req.url.split('?')[0]!,
      account: email,
    });
    if (fault) {
      if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
      else if (fault.kind === 'revoked') store.revoke(email);
      else if (fault.kind === 'rate_limit') {
        reply.header('Retry-After', String(fault.retryAfterSeconds ?? 1));
        return fail(
          reply,
          fault.status ?? 429,
          'temporarily_unavailable',
          50196,
          'The server terminated an operation because it encountered a client request loop.',
        );
      } else if (fault.kind === 'server_error') {
        if (fault.retryAfterSeconds !== undefined)
          reply.header('Retry-After', String(fault.retryAfterSeconds));
        return fail(
          reply,
          fault.status ?? 503,
          'temporarily_unavailable',
          90033,
          'A transient error has occurred. Please try again.',
        );
      }
    }
    const acc = store.account(email);
    if (!acc || acc.revoked) {
      return fail(
        reply,
        400,
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
      );
    }
    const { token, expiresIn } = store.issueAccessToken(acc.email, ctx.now().getTime());
    return reply.header('cache-control', 'no-store').send({
      token_type: 'Bearer',
      scope,
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
      refresh_token: store.rotateRefreshToken(acc.email),
    });
  });
}
