// The OAuth loopback redirect both providers use for `accounts connect`: a one-shot listener on
// http://127.0.0.1:<any free port>/ receives ?code&state, checks the state, and hands the code to
// the provider's exchange (with its PKCE verifier). Loopback IP redirects with any port are what
// both platforms document for native apps:
// https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback
// https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
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
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    const finish = (status: number, text: string) => {
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><p>${text}</p>`);
      clearTimeout(timer);
      server.close();
    };
    if (u.searchParams.get('state') !== state) {
      finish(400, 'State mismatch: start again from coffee-chat.');
      settle.reject(new ProviderError(opts.provider, 'bad_request', 'OAuth state mismatch'));
      return;
    }
    const error = u.searchParams.get('error');
    const code = u.searchParams.get('code');
    if (error || !code) {
      finish(400, `${opts.label} said: ${error ?? 'no code'}. You can close this tab.`);
      const detail = `${error ?? 'no code'} ${u.searchParams.get('error_description') ?? ''}`.trim();
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
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  timer = setTimeout(
    () => {
      server.close();
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
      server.close();
    },
  };
}
