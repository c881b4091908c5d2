// The review page: one fastify server, server-rendered HTML, no front-end build.
//   GET  /            overview (accounts, chats in both zones, drafts, schedule, contacts, ignored events)
//   POST /chats/:id/note | /chats/:id/exclude | /events/:id/include
//   POST /contacts/:id/time-zone | /contacts/:id/stop | /contacts/:id/resume | /contacts/:id/snooze
//   GET  /queues      bull-board
//   GET  /healthz /readyz /metrics   alive; ready (database, Redis, migrations, scheduled work); Prometheus (health.ts)
//   GET  /api/status  the status report as JSON
// Local by default (127.0.0.1); with WEB_AUTH_TOKEN every route requires the token. The provider
// webhooks are not here: they have their own listener (webhook-server.ts), so this page never
// needs to be reachable from the internet.
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import { getStatus } from '../core/status.ts';
import { registerActions } from './actions.ts';
import { html } from './html.ts';
import { layout, unauthorizedPage } from './layout.ts';
import { loadOverview } from './overview-data.ts';
import { createFlashStore } from './flash.ts';
import { renderOverview } from './overview-page.ts';
import { QUEUES_PATH, registerQueuesBoard } from './queues-board.ts';
import { createGuard, isLoopbackHost, viewerOf, type UserTokens } from './security.ts';
import { userToken } from '../core/web-tokens.ts';
import { listenOn } from './listen.ts';
import { registerHealthRoutes } from './health.ts';

export interface WebServerOptions {
  port: number;
  /** Defaults to 127.0.0.1; any other address needs WEB_AUTH_TOKEN. */
  host?: string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

// Our pages carry no script at all; bull-board (its own bundle) keeps the browser defaults except
// that it may not be framed or post forms elsewhere.
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const BOARD_CSP = "frame-ancestors 'none'; form-action 'self'; base-uri 'self'";

export async function startWebServer(app: App, opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = app.config.WEB_AUTH_TOKEN || undefined;
  if (!token && !isLoopbackHost(host)) {
    throw new Error(
      `refusing to serve the review page on ${host} without WEB_AUTH_TOKEN (set it, or use --host 127.0.0.1)`,
    );
  }
  if (!token && app.config.PUBLIC_WEBHOOK_URL) {
    // Whoever makes the webhooks public has a tunnel or proxy here; one mistake in it and the
    // review page is public too.
    throw new Error(
      'refusing to serve the review page without WEB_AUTH_TOKEN while PUBLIC_WEBHOOK_URL is set (set WEB_AUTH_TOKEN: openssl rand -base64 32)',
    );
  }
  const server = await buildWebServer(app);
  return listenOn(server, opts.port, host);
}

/** The fastify instance without listening (tests may use `inject`). */
export async function buildWebServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.log.child({ module: 'web' }) as FastifyBaseLogger,
    // Request lines would log `?token=`; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 64 * 1024,
  });
  const guard = createGuard({
    authToken: app.config.WEB_AUTH_TOKEN,
    sessionTtlMs: app.config.WEB_SESSION_TTL.toMillis(),
    now: () => app.now().getTime(),
    page401: unauthorizedPage,
    sessionSecret: app.config.TOKEN_ENCRYPTION_KEY?.toString('base64'),
    userTokens: userTokensOf(app),
  });
  const flashes = createFlashStore(() => app.now().getTime());

  server.addHook('onRequest', async (req, reply) => {
    if (await guard.check(req, reply)) return reply;
  });
  server.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    // No page of ours may be framed (clickjacking a form or bull-board's buttons).
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', req.url.startsWith(QUEUES_PATH) ? BOARD_CSP : PAGE_CSP);
    return payload;
  });

  server.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: 'not found' });
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(
        layout({
          title: 'coffee-chat: not found',
          body: html`<section><h2>Not found</h2><p class="hint">Nothing lives at this address. <a href="/">Back to the overview</a>.</p></section>`,
        }),
      );
  });
  server.setErrorHandler((err, req, reply) => {
    const status =
      typeof (err as { statusCode?: unknown }).statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : 500;
    if (status >= 500)
      req.log.error({ err, url: req.url.replace(/token=[^&]*/g, 'token=…') }, 'review page error');
    const line =
      status >= 500
        ? 'Something went wrong on our side; the details are in the worker log.'
        : (err instanceof Error ? err.message : String(err)).split('\n')[0];
    if (req.url.startsWith('/api/') || req.url === '/healthz' || req.url === '/readyz')
      return reply.code(status).send({ error: line });
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        layout({
          title: 'coffee-chat: error',
          body: html`<section><h2>That did not work</h2><p class="hint">${line}</p><p><a href="/">Back to the overview</a></p></section>`,
        }),
      );
  });

  server.get('/', async (req, reply) => {
    const data = await loadOverview(app, viewerOf(req));
    const flash = flashes.take((req.query as Record<string, unknown> | undefined)?.flash);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(renderOverview(data, flash, guard.csrfToken));
  });

  registerHealthRoutes(server, app);

  server.get('/api/status', async (req, reply) => {
    const { userId } = viewerOf(req);
    return reply
      .header('cache-control', 'no-store')
      .send(await getStatus(app.prisma, app.now(), userId ? { userId } : {}));
  });

  // Form bodies are parsed for our own routes only; bull-board's API keeps JSON.
  await server.register(async (forms) => {
    await forms.register(formbody, { bodyLimit: 64 * 1024 });
    registerActions(forms, app, guard, flashes);
  });

  await registerQueuesBoard(server, app.queues, { admin: app.config.QUEUES_ADMIN });
  return server;
}

/** Per-user tokens from the database; "does anyone have one" is asked at most every 2 s. */
function userTokensOf(app: App): UserTokens {
  let known: { at: number; any: boolean } | null = null;
  return {
    find: (token) => userToken(app.prisma, token),
    byId: (id) => app.prisma.webToken.findUnique({ where: { id }, select: { userId: true } }),
    async any() {
      const now = Date.now();
      if (!known || now - known.at > 2_000) known = { at: now, any: (await app.prisma.webToken.count()) > 0 };
      return known.any;
    },
  };
}
