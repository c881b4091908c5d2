// The worker process's own listener for operators (`coffee-chat worker --metrics-port N` or
// METRICS_PORT): /healthz, /readyz and /metrics only (health.ts), so a scaled-out worker can be
// scraped and health-checked without running the review page. Same rule as the review page:
// loopback without a token; any other address needs WEB_AUTH_TOKEN, sent as a Bearer token.
import Fastify from 'fastify';
import type { App } from '../app.ts';
import { registerHealthRoutes } from './health.ts';
import { listenOn, type Listening } from './listen.ts';
import { hostName, isLoopbackHost, isProxied, sameSecret } from './security.ts';

export async function startOpsServer(app: App, opts: { port: number; host?: string }): Promise<Listening> {
  const host = opts.host ?? '127.0.0.1';
  const token = app.config.WEB_AUTH_TOKEN;
  if (!token && !isLoopbackHost(host))
    throw new Error(`the worker's metrics listener will not bind ${host} without WEB_AUTH_TOKEN`);
  const server = Fastify({ logger: false });
  server.addHook('onRequest', async (req, reply) => {
    if (token) {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      if (!sameSecret(given, token))
        return reply.code(401).send({ error: 'send Authorization: Bearer <WEB_AUTH_TOKEN>' });
    } else if (!isLoopbackHost(hostName(req.headers.host)) || isProxied(req)) {
      return reply.code(403).send({ error: 'local requests only (set WEB_AUTH_TOKEN to serve others)' });
    }
  });
  registerHealthRoutes(server, app);
  return listenOn(server, opts.port, host);
}
