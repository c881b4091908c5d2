// The provider sandbox: one loopback port speaking Google OAuth + Calendar v3 + Gmail v1 (plain
// HTTP) and the Microsoft identity token endpoint + Graph v1.0 (HTTPS, see tls.ts), plus an
// admin API under /__admin for tests and the demo. State lives in memory.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { FaultRegistry, type FaultInput } from './faults.ts';
import { destroyConnections, polyglotListener } from './polyglot.ts';
import { defaultTlsDir, ensureSandboxTls } from './tls.ts';
import type { SandboxContext, SandboxProvider } from './context.ts';
import { googleSandbox } from './google/index.ts';
import { microsoftSandbox } from './microsoft/index.ts';

export type { SandboxContext, SandboxModule, SandboxProvider } from './context.ts';

export interface RequestLogEntry {
  at: string;
  provider: SandboxProvider | 'admin' | 'other';
  method: string;
  /** The route pattern, e.g. "GET /calendar/v3/calendars/:calendarId/events". */
  endpoint: string;
  url: string;
  status: number;
  account?: string;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  tlsDir?: string;
  now?: () => Date;
}

export interface Sandbox {
  url: string;
  httpsUrl: string;
  /** Values for the foundation's env vars that point the real SDKs here. */
  env: {
    GOOGLE_API_ROOT_URL: string;
    GOOGLE_TOKEN_URL: string;
    GOOGLE_AUTH_URL: string;
    MICROSOFT_GRAPH_BASE_URL: string;
    MICROSOFT_TOKEN_URL: string;
    MICROSOFT_AUTH_URL: string;
  };
  certPath: string;
  google: ReturnType<typeof googleSandbox>;
  microsoft: ReturnType<typeof microsoftSandbox>;
  faults: FaultRegistry;
  requests: RequestLogEntry[];
  /** Request counts per endpoint ("METHOD /route/pattern"), optionally since an index in `requests`. */
  counts(sinceIndex?: number): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

function classify(url: string): RequestLogEntry['provider'] {
  if (url.startsWith('/__admin')) return 'admin';
  if (url.startsWith('/calendar/v3') || url.startsWith('/gmail/v1') || url.startsWith('/token'))
    return 'google';
  if (url.startsWith('/v1.0') || /^\/[^/]+\/oauth2\/v2\.0\//.test(url)) return 'microsoft';
  return 'other';
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const tls = await ensureSandboxTls(opts.tlsDir ?? defaultTlsDir());
  const faults = new FaultRegistry();
  const requests: RequestLogEntry[] = [];
  let base = { http: '', https: '' };
  const ctx: SandboxContext = {
    faults,
    now: opts.now ?? (() => new Date()),
    httpUrl: () => base.http,
    httpsUrl: () => base.https,
  };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const httpServer = createServer((req, res) => handler?.(req, res));
  const app = Fastify({
    logger: false,
    bodyLimit: 50 * 1024 * 1024,
    serverFactory: (h) => {
      handler = h;
      return httpServer;
    },
  });
  await app.register(formbody);
  // Gmail and Graph accept bodies with other JSON-ish types; take raw text for anything else.
  app.addContentTypeParser(['message/rfc822', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  app.addHook('onResponse', async (req: FastifyRequest, reply) => {
    const provider = classify(req.url);
    requests.push({
      at: ctx.now().toISOString(),
      provider,
      method: req.method,
      endpoint: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
      url: req.url,
      status: reply.statusCode,
      account: req.sandboxAccount,
    });
  });

  const google = googleSandbox();
  const microsoft = microsoftSandbox();
  google.register(app, ctx);
  microsoft.register(app, ctx);

  // ---- shared admin API (provider-specific seeding lives in each module) ----
  app.get('/__admin/requests', async (req) => {
    const since = Number((req.query as Record<string, string>).since ?? 0);
    return { requests: requests.slice(since), counts: countsSince(since) };
  });
  app.post('/__admin/faults', async (req, reply) => {
    const f = faults.add(req.body as FaultInput);
    return reply.code(201).send(f);
  });
  app.get('/__admin/faults', async () => ({ faults: faults.list() }));
  app.delete('/__admin/faults', async (_req, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
  app.post('/__admin/reset', async (_req, reply) => {
    reset();
    return reply.code(204).send();
  });

  function countsSince(since = 0): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of requests.slice(since)) {
      if (r.provider === 'admin') continue;
      out[r.endpoint] = (out[r.endpoint] ?? 0) + 1;
    }
    return out;
  }
  function reset() {
    google.reset();
    microsoft.reset();
    faults.clear();
    requests.length = 0;
  }

  await app.ready();
  const listener = polyglotListener(httpServer, tls);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (listener.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  base = { http: `http://${host}:${port}`, https: `https://${host}:${port}` };

  return {
    url: base.http,
    httpsUrl: base.https,
    env: {
      GOOGLE_API_ROOT_URL: `${base.http}/`,
      GOOGLE_TOKEN_URL: `${base.http}/token`,
      GOOGLE_AUTH_URL: `${base.http}/o/oauth2/v2/auth`,
      MICROSOFT_GRAPH_BASE_URL: `${base.https}/v1.0`,
      MICROSOFT_TOKEN_URL: `${base.https}/common/oauth2/v2.0/token`,
      MICROSOFT_AUTH_URL: `${base.https}/common/oauth2/v2.0/authorize`,
    },
    certPath: tls.certPath,
    google,
    microsoft,
    faults,
    requests,
    counts: countsSince,
    reset,
    close: async () => {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      destroyConnections(listener);
      httpServer.closeAllConnections();
      await closed;
      await app.close();
    },
  };
}
