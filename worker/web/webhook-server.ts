// The webhook listener: a server of its own for the provider webhooks (webhooks.ts), on its own
// port, so the address providers must reach from the internet (PUBLIC_WEBHOOK_URL, through a
// tunnel or proxy) leads to these two routes and nothing else. The review page stays private.
//   POST /hooks/google  POST /hooks/microsoft   everything else: 404, empty
// Every request first takes a token from its client's bucket and from the overall one (429 and
// Retry-After when either is empty).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import { registerWebhooks } from './webhooks.ts';
import { DEFAULT_WEBHOOK_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { listenOn } from './listen.ts';

/** Used when PUBLIC_WEBHOOK_URL is set and WEBHOOK_PORT is not. */
export const DEFAULT_WEBHOOK_PORT = 8081;

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Where the webhook listener should listen, or undefined when it should not run: it starts when
 * PUBLIC_WEBHOOK_URL is set or a port is given (the option, else WEBHOOK_PORT).
 */
export function webhookListen(
  config: Pick<Config, 'PUBLIC_WEBHOOK_URL' | 'WEBHOOK_PORT' | 'WEBHOOK_HOST'>,
  port?: number,
): { port: number; host: string } | undefined {
  const chosen = port ?? config.WEBHOOK_PORT;
  if (chosen === undefined && !config.PUBLIC_WEBHOOK_URL) return undefined;
  return { port: chosen ?? DEFAULT_WEBHOOK_PORT, host: config.WEBHOOK_HOST };
}

export interface WebhookServerOptions {
  /** Per client address and overall (default DEFAULT_WEBHOOK_RATE_LIMIT). */
  rateLimit?: RateLimitOptions;
}

export async function buildWebhookServer(
  app: App,
  opts: WebhookServerOptions = {},
): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.log.child({ module: 'webhooks' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
  });
  server.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });
  // Before anything else (no database query, no body parsing) for a client over its budget, or
  // when all clients together are. The client is the connection's address: behind a proxy on this
  // machine that is the proxy, and the overall bucket is what protects (see README, Security).
  const limiter = new RateLimiter(opts.rateLimit ?? DEFAULT_WEBHOOK_RATE_LIMIT);
  server.addHook('onRequest', async (req, reply) => {
    const waitSeconds = limiter.take(req.ip);
    if (waitSeconds > 0) {
      return reply.code(429).header('retry-after', String(waitSeconds)).send();
    }
  });
  server.setNotFoundHandler((_req, reply) => reply.code(404).send());
  server.setErrorHandler((err, req, reply) => {
    const status =
      typeof (err as { statusCode?: unknown }).statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : 500;
    if (status >= 500) req.log.error({ err, path: req.url.split('?')[0] }, 'webhook error');
    return reply.code(status).send();
  });
  await registerWebhooks(server, app);
  return server;
}

export async function startWebhookServer(
  app: App,
  opts: { port: number; host?: string } & WebhookServerOptions,
): Promise<WebhookServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = await buildWebhookServer(app, opts);
  return listenOn(server, opts.port, host);
}
