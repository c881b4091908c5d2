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
// - App registrations (store.apps; none registered = any client id accepted unchecked):
//   * authorize checks redirect_uri against the app's registered list: scheme and host compared
//     case-insensitively, path exactly, and the port ignored ONLY for loopback hosts; localhost and
//     127.0.0.1 are different hosts. Mismatch: AADSTS50011.
//     https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
//     https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes (50011, 700016)
//   * token: a public client ("Mobile and desktop applications" platform) that presents a secret gets
//     401 invalid_client AADSTS700025; a confidential one ("Web" platform) that presents none gets
//     401 invalid_client AADSTS7000218, a wrong one AADSTS7000215. The codes are in the error-code
//     reference; which platform makes an app public rests on threads:
//     https://github.com/Azure/azure-sdk-for-go/issues/22386 (a Web-only app is confidential),
//     https://github.com/harishkrupo/oauth2ms/issues/19 , https://github.com/MicrosoftDocs/azure-docs/issues/96567
//     (700025 body), https://github.com/Azure-Samples/active-directory-dotnet-native-aspnetcore/issues/22 (401).
// - The token response's `scope` lists the Graph permissions granted, not offline_access/openid (the
//   documented example answers "https://graph.microsoft.com/mail.read" to a request that also asked
//   for offline_access): https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response-2
//   Consent may grant fewer permissions than asked (user or admin consent settings:
//   https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/configure-user-consent); the
//   sandbox's consent leaves out what `withholdScopesAtConsent` (admin API) names. A refresh gets at
//   most what was consented.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { identityError } from './graph-errors.ts';
import type { EntraApp, MicrosoftStore } from './store.ts';

const DEFAULT_SCOPE = 'openid profile email offline_access https://graph.microsoft.com/User.Read';
/** OIDC scopes: never listed in the token response's `scope`. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

function grantScope(requested: string | undefined): string {
  if (!requested) return DEFAULT_SCOPE;
  return requested
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => (/^[A-Z][\w.]+$/.test(s) ? `https://graph.microsoft.com/${s}` : s))
    .join(' ');
}

const shortName = (s: string) => s.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();

/** The granted Graph permissions as the token response lists them (no OIDC scopes). */
function responseScope(granted: string): string {
  return granted
    .split(' ')
    .filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()))
    .join(' ');
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function splitUri(uri: string) {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^/?#:]+)(?::(\d+))?([^#]*)$/i.exec(uri);
  return m ? { scheme: m[1]!.toLowerCase(), host: m[2]!.toLowerCase(), port: m[3], path: m[4]! } : undefined;
}

/** Entra's redirect URI match: the port is ignored for loopback hosts only; host and path are not. */
export function redirectMatches(registered: string, requested: string): boolean {
  const a = splitUri(registered);
  const b = splitUri(requested);
  if (!a || !b || a.scheme !== b.scheme || a.host !== b.host || a.path !== b.path) return false;
  return LOOPBACK_HOSTS.has(a.host) || a.port === b.port;
}

function withhold(scope: string, withheld: string[] | undefined): string {
  if (!withheld?.length) return scope;
  const out = new Set(withheld.map(shortName));
  return scope
    .split(' ')
    .filter((s) => !out.has(shortName(s)))
    .join(' ');
}

/** Client authentication at the token endpoint for a registered app, or null when it passes. */
function clientProblem(
  entra: EntraApp,
  body: Record<string, string | undefined>,
): { error: string; code: number; text: string } | null {
  const presented = body.client_secret ?? body.client_assertion;
  if (entra.kind === 'public' && presented !== undefined)
    return {
      error: 'invalid_client',
      code: 700025,
      text: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    };
  if (entra.kind === 'confidential' && presented === undefined)
    return {
      error: 'invalid_client',
      code: 7000218,
      text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    };
  if (entra.kind === 'confidential' && body.client_secret !== entra.clientSecret)
    return {
      error: 'invalid_client',
      code: 7000215,
      text: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${entra.clientId}'.`,
    };
  return null;
}

export function registerIdentity(app: FastifyInstance, ctx: SandboxContext, store: MicrosoftStore) {
  const fail = (reply: FastifyReply, status: number, error: string, code: number, text: string) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .send(identityError(error, code, text));
  // AADSTS900144: a required parameter is missing; AADSTS700016: no such application.
  const missing = (reply: FastifyReply, name: string) =>
    fail(
      reply,
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );
  const unknownApp = (reply: FastifyReply, clientId: string, tenant: string) =>
    fail(
      reply,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    );

  app.get<{ Params: { tenant: string }; Querystring: Record<string, string | undefined> }>(
    '/:tenant/oauth2/v2.0/authorize',
    async (req, reply) => {
      const q = req.query;
      if (!q.client_id) return missing(reply, 'client_id');
      if (q.response_type !== 'code')
        return fail(
          reply,
          400,
          'unsupported_response_type',
          70005,
          "The provided value for the input parameter 'response_type' is not allowed for this request.",
        );
      if (!q.redirect_uri) return missing(reply, 'redirect_uri');
      if (store.apps.size > 0) {
        const entra = store.apps.get(q.client_id);
        if (!entra) return unknownApp(reply, q.client_id, req.params.tenant);
        if (!entra.redirectUris.some((r) => redirectMatches(r, q.redirect_uri!)))
          return fail(
            reply,
            400,
            'invalid_request',
            50011,
            `The redirect URI '${q.redirect_uri}' specified in the request does not match the redirect URIs configured for the application '${q.client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
          );
      }
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
        scope: withhold(grantScope(q.scope), store.withheldScopes.get(acc.email)),
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
    if (!grant) return missing(reply, 'grant_type');
    if (!body.client_id) return missing(reply, 'client_id');
    if (store.apps.size > 0) {
      const entra = store.apps.get(body.client_id);
      if (!entra) return unknownApp(reply, body.client_id, req.params.tenant);
      const problem = clientProblem(entra, body);
      if (problem) return fail(reply, 401, problem.error, problem.code, problem.text);
    }

    let email: string | undefined;
    let scope = grantScope(body.scope);
    if (grant === 'refresh_token') {
      if (!body.refresh_token) return missing(reply, 'refresh_token');
      email = store.refreshTokens.get(body.refresh_token);
      if (!email)
        return fail(
          reply,
          400,
          'invalid_grant',
          9002313,
          'Invalid request. Request is malformed or invalid.',
        );
      const consented = store.consented.get(email);
      if (consented) {
        const ok = new Set(consented.split(' ').map(shortName));
        scope = scope
          .split(' ')
          .filter((s) => ok.has(shortName(s)))
          .join(' ');
      }
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
      store.consented.set(email, code.scope);
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
      scope: responseScope(scope),
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
      refresh_token: store.rotateRefreshToken(acc.email),
    });
  });
}
