// The OAuth loopback redirect both providers use for `accounts connect`: a one-shot listener on
// a free loopback port receives ?code&state, checks the state, and hands the code to the provider's
// exchange (with its PKCE verifier). Both platforms accept any port on a loopback redirect, but not
// any host:
// - Google: http://127.0.0.1:PORT (the loopback IP it recommends for Desktop clients)
//   https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback
// - Microsoft: the host must be the registered one ("http://localhost", what the README and the
//   Entra portal use); Entra ignores only the port of a loopback redirect (AADSTS50011 otherwise):
//   https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
//   `localhost` resolves to 127.0.0.1 or ::1 depending on the browser and the OS, so the listener
//   takes the same port on both.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, type ProviderKind } from './provider.ts';

export interface Loopback<T> {
  /** Open this in a browser. */
  url: string;
  redirectUri: string;
  /** Resolves once the browser came back and the code was exchanged. */
  result: Promise<T>;
  close(): void;
}

export async function startLoopback<T>(opts: {
  provider: ProviderKind;
  /** "Google", "Microsoft 365": for the page the browser shows. */
  label: string;
  port?: number;
  /** The redirect's host: 127.0.0.1 (default) or localhost (listens on 127.0.0.1 and ::1). */
  host?: '127.0.0.1' | 'localhost';
  timeoutMs?: number;
  buildUrl: (redirectUri: string, state: string) => string;
  exchange: (code: string, redirectUri: string) => Promise<T>;
}): Promise<Loopback<T>> {
  const state = randomBytes(16).toString('base64url');
  let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void };
  const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined); // the caller awaits it; avoid an unhandled rejection meanwhile
  let redirectUri = '';
  // eslint-disable-next-line prefer-const -- assigned once the listener has its port
  let timer: NodeJS.Timeout | undefined;
  const servers: Server[] = [];
  let done = false;
  const closeAll = () => {
    for (const s of servers) s.close();
  };
  const handler: Parameters<typeof createServer>[1] = (req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    const page = (status: number, text: string) =>
      res
        .writeHead(status, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'",
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        })
        .end(`<!doctype html><p>${escapeHtml(text)}</p>`);
    const finish = (status: number, text: string) => {
      page(status, text);
      clearTimeout(timer);
      closeAll();
    };
    // Only the provider's redirect carries our state. Anything else (a page the user visits that
    // points the browser here, a stale tab) is answered and ignored: the sign-in goes on.
    if (done || u.searchParams.get('state') !== state) {
      page(400, 'Not the sign-in this listener is waiting for: start again from coffee-chat.');
      return;
    }
    done = true;
    const error = u.searchParams.get('error');
    const code = u.searchParams.get('code');
    const description = u.searchParams.get('error_description');
    if (error || !code) {
      finish(
        400,
        `${opts.label} said: ${error ?? 'no code'}${description ? ` (${description})` : ''}. You can close this tab.`,
      );
      const detail = `${error ?? 'no code'} ${description ?? ''}`.trim().slice(0, 500);
      settle.reject(new ProviderError(opts.provider, 'auth_revoked', `consent refused: ${detail}`));
      return;
    }
    opts.exchange(code, redirectUri).then(
      (r) => {
        finish(200, `coffee-chat is connected to ${opts.label}. You can close this tab.`);
        settle.resolve(r);
      },
      (e) => {
        finish(500, 'The code exchange failed; see the terminal.');
        settle.reject(e);
      },
    );
  };
  const port = await listenLoopback(servers, handler, opts.port ?? 0, opts.host === 'localhost');
  // Microsoft: no trailing slash, so it is the registered "http://localhost" plus a port.
  redirectUri = opts.host === 'localhost' ? `http://localhost:${port}` : `http://127.0.0.1:${port}/`;
  timer = setTimeout(
    () => {
      closeAll();
      settle.reject(new ProviderError(opts.provider, 'bad_request', 'timed out waiting for the browser'));
    },
    opts.timeoutMs ?? 5 * 60_000,
  );
  timer.unref();
  return {
    url: opts.buildUrl(redirectUri, state),
    redirectUri,
    result,
    close: () => {
      clearTimeout(timer);
      closeAll();
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Listens on 127.0.0.1 (and, for `localhost`, on ::1 at the same port when this machine has IPv6),
 * pushing the servers into `servers`. Returns the port.
 */
async function listenLoopback(
  servers: Server[],
  handler: Parameters<typeof createServer>[1],
  wanted: number,
  alsoIpv6: boolean,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const v4 = createServer(handler);
    const port = await listen(v4, wanted, '127.0.0.1');
    servers.push(v4);
    if (!alsoIpv6) return port;
    const v6 = createServer(handler);
    try {
      await listen(v6, port, '::1');
      servers.push(v6);
      return port;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return port; // no IPv6 loopback here
      // The port is taken on ::1 only: with any free port, try another one; a chosen one stays an error.
      v4.close();
      servers.length = 0;
      if (wanted !== 0 || attempt >= 5) throw e;
    }
  }
}
