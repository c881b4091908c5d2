// The Microsoft 365 sandbox: identity platform token endpoint + Graph v1.0 (HTTPS) + admin API.
// See README.md for the admin API and the documented behaviours it reproduces.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext, SandboxModule } from '../context.ts';
import { createAdminApi, registerAdmin } from './admin.ts';
import { registerGraph } from './graph.ts';
import { GraphHttpError, graphErrorBody, sendGraphError } from './graph-errors.ts';
import type { Fault } from '../faults.ts';
import { registerIdentity } from './identity.ts';
import { Operations } from './operations.ts';
import { MicrosoftStore } from './store.ts';

export type { EventInput, MessageInput, DecodedMessage, MicrosoftAdminApi } from './admin.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A server_error fault with afterCommit: answered in place of this request's real answer. */
    msFaultAfterCommit?: Fault;
  }
}

const WWW_AUTH =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

function unauthorized(message: string) {
  return new GraphHttpError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': WWW_AUTH });
}

export function microsoftSandbox() {
  const store = new MicrosoftStore();
  let ctxRef: SandboxContext | undefined;
  const ctx: SandboxContext = {
    get faults() {
      if (!ctxRef) throw new Error('microsoft sandbox not registered');
      return ctxRef.faults;
    },
    now: () => ctxRef?.now() ?? new Date(),
    httpUrl: () => ctxRef?.httpUrl() ?? '',
    httpsUrl: () => ctxRef?.httpsUrl() ?? '',
  };
  const ops = new Operations(store, ctx.now);
  const api = createAdminApi(store, ops, ctx);

  /** Bearer auth, then the fault registry: https://learn.microsoft.com/en-us/graph/auth/auth-concepts */
  async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    if (!req.url.startsWith('/v1.0/')) return;
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (!token) throw unauthorized('Access token is empty.');
    const t = store.accessTokens.get(token);
    if (!t)
      throw unauthorized(
        'IDX14100: JWT is not well formed, there are no dots (.). Access token validation failure.',
      );
    req.sandboxAccount = t.email;
    if (t.expiresMs <= ctx.now().getTime())
      throw unauthorized('Lifetime validation failed, the token is expired.');
    const acc = store.account(t.email);
    if (!acc || acc.revoked)
      throw unauthorized('Continuous access evaluation resulted in challenge: the grant was revoked.');
    req.msAccount = acc;

    const path = req.url.split('?')[0]!.slice('/v1.0'.length);
    const fault = ctx.faults.take({ provider: 'microsoft', method: req.method, path, account: acc.email });
    if (!fault) return;
    switch (fault.kind) {
      case 'slow':
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
        return;
      case 'sync_token_expired':
        acc.deltaEpoch += 1;
        return;
      case 'revoked':
        store.revoke(acc.email);
        throw unauthorized('Continuous access evaluation resulted in challenge: the grant was revoked.');
      case 'rate_limit': {
        // https://learn.microsoft.com/en-us/graph/throttling: 429 Too Many Requests with a
        // Retry-After header (seconds); the body carries code TooManyRequests.
        const retry = String(fault.retryAfterSeconds ?? 1);
        throw new GraphHttpError(fault.status ?? 429, 'TooManyRequests', 'Please retry again later.', {
          'Retry-After': retry,
        });
      }
      case 'server_error': {
        if (fault.afterCommit) {
          // Carried out normally; onSend swaps the answer for the error.
          req.msFaultAfterCommit = fault;
          return;
        }
        throw serverError(fault);
      }
    }
    void reply;
  }

  /**
   * 5xx in Graph's shape, Retry-After when the fault sets one. https://learn.microsoft.com/en-us/graph/errors
   * (503 serviceNotAvailable, 504 gatewayTimeout, 500 generalException).
   */
  function serverError(fault: Fault): GraphHttpError {
    const status = fault.status ?? 503;
    const headers: Record<string, string> =
      fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
    return new GraphHttpError(
      status,
      status === 503 ? 'serviceNotAvailable' : status === 504 ? 'gatewayTimeout' : 'generalException',
      status === 503
        ? 'The service is temporarily unavailable. Please retry later.'
        : 'General exception while processing.',
      headers,
    );
  }

  return {
    provider: 'microsoft' as const,
    register(app: FastifyInstance, c: SandboxContext) {
      ctxRef = c;
      void app.register(async (scope) => {
        // Graph clients POST actions like /send with an empty JSON body.
        scope.removeContentTypeParser('application/json');
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
          const s = String(body).trim();
          if (!s) return done(null, undefined);
          try {
            done(null, JSON.parse(s));
          } catch {
            done(
              new GraphHttpError(
                400,
                'BadRequest',
                'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
              ),
              undefined,
            );
          }
        });
        scope.setErrorHandler((err, req, reply) => {
          if (process.env.MS_SANDBOX_DEBUG) console.error(err);
          const isGraph = req.url.startsWith('/v1.0');
          if (err instanceof GraphHttpError) {
            if (isGraph) return sendGraphError(reply, err);
            return reply.code(err.status).send({ error: 'invalid_request', error_description: err.message });
          }
          const status = (err as { statusCode?: number }).statusCode ?? 500;
          if (!isGraph)
            return reply
              .code(status >= 400 && status < 600 ? status : 500)
              .send({ error: 'server_error', error_description: 'An unexpected error occurred.' });
          if (status >= 400 && status < 500)
            return sendGraphError(reply, new GraphHttpError(status, 'BadRequest', (err as Error).message));
          return sendGraphError(
            reply,
            new GraphHttpError(500, 'generalException', 'General exception while processing.'),
          );
        });
        scope.addHook('preHandler', authenticate);
        scope.addHook('onSend', async (req, reply, payload) => {
          const fault = req.msFaultAfterCommit;
          if (!fault) return payload;
          req.msFaultAfterCommit = undefined;
          const err = serverError(fault);
          for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
          reply.code(err.status).header('content-type', 'application/json');
          reply.removeHeader('location');
          return JSON.stringify(graphErrorBody(err.code, err.message));
        });
        registerIdentity(scope, ctx, store);
        registerGraph(scope, ctx, store, ops);
      });
      void app.register(async (scope) => registerAdmin(scope, api));
    },
    reset() {
      store.reset();
    },
    /** Every refresh and access token this sandbox holds (for tests that look for leaks). */
    issuedTokens: (): string[] => [...store.refreshTokens.keys(), ...store.accessTokens.keys()],
    ...api,
  } satisfies SandboxModule & Record<string, unknown>;
}
