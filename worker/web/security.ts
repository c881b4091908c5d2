// Who may use the review page, and whose data they see. Without WEB_AUTH_TOKEN the server only
// listens on loopback and only answers requests addressed to a loopback name (a DNS-rebinding page
// cannot reach it) that did not pass through a proxy: a request carrying Forwarded, X-Forwarded-*
// or Via came from somewhere else, whatever its Host says (nginx's default proxy_pass sends Host:
// 127.0.0.1). With WEB_AUTH_TOKEN every route needs a token: `?token=` once (it becomes an
// HttpOnly SameSite=Strict session cookie, Secure unless the request is local, and is removed from
// the address bar) or `Authorization: Bearer`. WEB_AUTH_TOKEN sees every user; a user's own token
// (`coffee-chat users token USER`) sees that user's data only and never bull-board or /metrics; once
// any user has a token, nothing private answers without one, even locally. A session is signed
// with a key made from WEB_AUTH_TOKEN and TOKEN_ENCRYPTION_KEY and ends after WEB_SESSION_TTL, or
// when the user's token is replaced. Unsafe methods must come from this origin, and our forms also
// carry a per-process CSRF token.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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

/**
 * Whose data a request may see and change: one user's (a per-user token, `coffee-chat users token`)
 * or every user's (null: WEB_AUTH_TOKEN, or a local request while no token of any kind exists).
 */
export interface Viewer {
  userId: string | null;
}

const viewers = new WeakMap<FastifyRequest, Viewer>();

/** The viewer the guard admitted the request as (every user if the guard did not run). */
export function viewerOf(req: FastifyRequest): Viewer {
  return viewers.get(req) ?? { userId: null };
}

export interface Guard {
  csrfToken: string;
  checkCsrf(value: unknown): boolean;
  /** onRequest hook: answers (401/403/redirect) and returns true when the request must stop. */
  check(req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

/** What the guard needs to know of per-user tokens (core/web-tokens.ts). */
export interface UserTokens {
  /** The token's row, or null. */
  find(token: string): Promise<{ id: string; userId: string } | null>;
  /** The row a session names, or null (a replaced token ends its sessions). */
  byId(id: string): Promise<{ userId: string } | null>;
  /** Does any user have a token? Then nothing private answers without one, even locally. */
  any(): Promise<boolean>;
}

/** A session may be this much younger than our clock says (two processes, one token). */
const SESSION_CLOCK_SKEW_MS = 60_000;
/** The session subject of WEB_AUTH_TOKEN (every user's data); a user's session names its token row. */
const OPERATOR = 'op';

/** Routes of the operator: they show every user's jobs or the process as a whole. */
function operatorOnly(pathname: string): boolean {
  return pathname === '/queues' || pathname.startsWith('/queues/') || pathname === '/metrics';
}

/** Routes a probe hits: nothing personal, so per-user tokens do not close them on loopback. */
function probe(pathname: string): boolean {
  return pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics';
}

export function createGuard(opts: {
  authToken?: string;
  sessionTtlMs: number;
  now: () => number;
  page401: () => string;
  /** A secret beside the token that sessions are signed with (TOKEN_ENCRYPTION_KEY); random when absent. */
  sessionSecret?: string;
  userTokens?: UserTokens;
}): Guard {
  const csrfToken = randomBytes(32).toString('base64url');
  const token = opts.authToken || undefined;
  const users = opts.userTokens;
  // The cookie holds when the session began, whose it is and a MAC of both, never a token:
  // `<issued ms>.<subject>.<mac>`. It survives a restart and dies with WEB_SESSION_TTL, a new
  // WEB_AUTH_TOKEN or key, or (for a user) a new token of that user.
  const macKey = createHash('sha256')
    .update(
      `coffee-chat web session\0${token ?? ''}\0${opts.sessionSecret || randomBytes(32).toString('base64')}`,
    )
    .digest();
  const mac = (issued: string, subject: string) =>
    createHmac('sha256', macKey).update(`coffee-chat web session ${issued} ${subject}`).digest('base64url');
  const newSession = (subject: string) => {
    const issued = String(opts.now());
    return `${issued}.${subject}.${mac(issued, subject)}`;
  };
  const sessionViewer = async (value: string | undefined): Promise<Viewer | null> => {
    if (!value) return null;
    const m = /^(\d{1,16})\.(op|[0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m || !sameSecret(m[3]!, mac(m[1]!, m[2]!))) return null;
    const age = opts.now() - Number(m[1]);
    if (!(age < opts.sessionTtlMs && age > -SESSION_CLOCK_SKEW_MS)) return null;
    if (m[2] === OPERATOR) return token ? { userId: null } : null;
    const row = await users?.byId(m[2]!);
    return row ? { userId: row.userId } : null;
  };
  /** Who a presented token is: WEB_AUTH_TOKEN, a user's token, or nobody. */
  const tokenViewer = async (given: string): Promise<{ viewer: Viewer; subject: string } | null> => {
    if (token && sameSecret(given, token)) return { viewer: { userId: null }, subject: OPERATOR };
    const row = given.length <= 200 ? await users?.find(given) : null;
    return row ? { viewer: { userId: row.userId }, subject: row.id } : null;
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
      // Joined, not resolved: a path of "//" or "//host/x" would otherwise parse as a host (and throw).
      const url = new URL(`http://local${req.url.startsWith('/') ? '' : '/'}${req.url}`);
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

      const tokenNeeded = !!token || (!probe(url.pathname) && !!users && (await users.any()));
      if (!tokenNeeded) {
        viewers.set(req, { userId: null });
        return false;
      }

      const admit = async (viewer: Viewer): Promise<boolean> => {
        if (viewer.userId !== null && operatorOnly(url.pathname)) {
          await reply
            .code(403)
            .header('cache-control', 'no-store')
            .send({ error: 'this page shows every user: it needs WEB_AUTH_TOKEN, not a user token' });
          return true;
        }
        viewers.set(req, viewer);
        return false;
      };

      const auth = req.headers.authorization;
      if (auth?.startsWith('Bearer ')) {
        const who = await tokenViewer(auth.slice(7).trim());
        if (who) return admit(who.viewer);
      }
      const session = await sessionViewer(cookies(req)[SESSION_COOKIE]);
      if (session) return admit(session);
      const given = url.searchParams.get('token');
      const who =
        given !== null && (req.method === 'GET' || req.method === 'HEAD') ? await tokenViewer(given) : null;
      if (who) {
        url.searchParams.delete('token');
        const rest = url.searchParams.toString();
        await reply
          .code(303)
          .header(
            'set-cookie',
            sessionCookie(newSession(who.subject), Math.floor(opts.sessionTtlMs / 1000), isLocal(req)),
          )
          .header('cache-control', 'no-store')
          .header('location', `${url.pathname}${rest ? `?${rest}` : ''}`)
          .send();
        return true;
      }
      await deny(
        reply,
        401,
        token
          ? 'this page needs WEB_AUTH_TOKEN or your user token: open it once with ?token=... or send Authorization: Bearer ...'
          : 'this page needs your user token (coffee-chat users token USER): open it once with ?token=... or send Authorization: Bearer ...',
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
