// Who may use the review page. Without WEB_AUTH_TOKEN the server only listens on loopback and
// only answers requests addressed to a loopback name (a DNS-rebinding page cannot reach it) that
// did not pass through a proxy: a request carrying Forwarded, X-Forwarded-* or Via came from
// somewhere else, whatever its Host says (nginx's default proxy_pass sends Host: 127.0.0.1).
// With the token, every route needs it: `?token=` once (it becomes an HttpOnly SameSite=Strict
// session cookie, Secure unless the request is local, and is removed from the address bar) or
// `Authorization: Bearer`. A session is signed with the token and ends after WEB_SESSION_TTL. Unsafe methods must
// come from this origin, and our forms also carry a per-process CSRF token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'coffee_chat_session';

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The request passed through a proxy or tunnel that said so: it is remote, whatever its Host. */
export function isProxied(req: Pick<FastifyRequest, 'headers'>): boolean {
  return Object.keys(req.headers).some(
    (h) => h === 'forwarded' || h === 'via' || h.startsWith('x-forwarded-'),
  );
}

/** Constant-time comparison of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Host header's name without the port ("[::1]:8080" gives "::1"). */
export function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export interface Guard {
  csrfToken: string;
  checkCsrf(value: unknown): boolean;
  /** onRequest hook: answers (401/403/redirect) and returns true when the request must stop. */
  check(req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

/** A session may be this much younger than our clock says (two processes, one token). */
const SESSION_CLOCK_SKEW_MS = 60_000;

export function createGuard(opts: {
  authToken?: string;
  sessionTtlMs: number;
  now: () => number;
  page401: () => string;
}): Guard {
  const csrfToken = randomBytes(32).toString('base64url');
  const token = opts.authToken || undefined;
  // The cookie holds when the session began and a MAC of that under the token, never the token:
  // `<issued ms>.<mac>`. It survives a restart and dies with WEB_SESSION_TTL or a new token.
  const mac = (issued: string) =>
    createHmac('sha256', token ?? '')
      .update(`coffee-chat web session ${issued}`)
      .digest('base64url');
  const newSession = () => {
    const issued = String(opts.now());
    return `${issued}.${mac(issued)}`;
  };
  const validSession = (value: string | undefined): boolean => {
    if (!token || !value) return false;
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m || !sameSecret(m[2]!, mac(m[1]!))) return false;
    const age = opts.now() - Number(m[1]);
    return age < opts.sessionTtlMs && age > -SESSION_CLOCK_SKEW_MS;
  };

  const deny = (reply: FastifyReply, code: number, message: string, wantsJson: boolean) => {
    if (wantsJson) return reply.code(code).header('cache-control', 'no-store').send({ error: message });
    return reply
      .code(code)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(opts.page401());
  };

  return {
    csrfToken,
    checkCsrf: (value) => typeof value === 'string' && sameSecret(value, csrfToken),
    async check(req, reply) {
      const url = new URL(req.url, 'http://local');
      const wantsJson =
        url.pathname.startsWith('/api/') ||
        url.pathname === '/healthz' ||
        url.pathname === '/readyz' ||
        url.pathname === '/metrics' ||
        url.pathname.startsWith('/queues/api/');

      if (!token && (!isLoopbackHost(hostName(req.headers.host)) || isProxied(req))) {
        await reply
          .code(403)
          .header('cache-control', 'no-store')
          .type('text/plain; charset=utf-8')
          .send(
            'This review page answers local requests only (set WEB_AUTH_TOKEN to serve it through a proxy or other names).\n',
          );
        return true;
      }

      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // Modern browsers say where a request comes from (Sec-Fetch-Site); older ones send Origin
        // on cross-site POST/PUT. Either way a form from another site is refused here, before any
        // handler (ours or bull-board's) runs.
        const site = req.headers['sec-fetch-site'];
        const crossOrigin =
          typeof site === 'string'
            ? site !== 'same-origin' && site !== 'none'
            : !sameOrigin(req.headers.origin, req.headers.host);
        if (crossOrigin) {
          await deny(reply, 403, 'cross-origin request refused', wantsJson);
          return true;
        }
      }

      if (!token) return false;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Bearer ') && sameSecret(auth.slice(7).trim(), token)) return false;
      if (validSession(cookies(req)[SESSION_COOKIE])) return false;
      const given = url.searchParams.get('token');
      if (given !== null && sameSecret(given, token) && (req.method === 'GET' || req.method === 'HEAD')) {
        url.searchParams.delete('token');
        const rest = url.searchParams.toString();
        await reply
          .code(303)
          .header(
            'set-cookie',
            sessionCookie(newSession(), Math.floor(opts.sessionTtlMs / 1000), isLocal(req)),
          )
          .header('cache-control', 'no-store')
          .header('location', `${url.pathname}${rest ? `?${rest}` : ''}`)
          .send();
        return true;
      }
      await deny(
        reply,
        401,
        'this page needs WEB_AUTH_TOKEN: open it once with ?token=... or send Authorization: Bearer ...',
        wantsJson,
      );
      return true;
    },
  };
}

/** A loopback name that no proxy forwarded: the only place a cookie may travel without TLS. */
function isLocal(req: FastifyRequest): boolean {
  return isLoopbackHost(hostName(req.headers.host)) && !isProxied(req);
}

function sessionCookie(value: string, maxAgeSeconds: number, local: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${local ? '' : '; Secure'}`;
}

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser, or an old one: the CSRF token still applies to forms
  try {
    return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase();
  } catch {
    return false; // "null" (sandboxed frames, some redirects) and garbage
  }
}
