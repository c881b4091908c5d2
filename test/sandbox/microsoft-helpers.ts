// Shared set-up for the Microsoft contract tests: a sandbox, a seeded account and the REAL
// @microsoft/microsoft-graph-client pointed at it (HTTPS + customHosts, see stack findings).
import {
  Client,
  GraphError,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
  AuthenticationHandler,
  type AuthenticationProvider,
} from '@microsoft/microsoft-graph-client';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

/** Gets access tokens the way a server app does: a plain POST of the refresh_token grant. */
export class RefreshGrantAuthProvider implements AuthenticationProvider {
  refreshToken: string;
  accessToken: string | null = null;
  rotations: string[] = [];
  constructor(
    private tokenUrl: string,
    refreshToken: string,
  ) {
    this.refreshToken = refreshToken;
  }
  async getAccessToken(): Promise<string> {
    if (this.accessToken) return this.accessToken;
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.refreshToken,
        client_id: 'sandbox-client',
        scope: 'offline_access User.Read Calendars.ReadWrite Mail.ReadWrite MailboxSettings.Read',
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw Object.assign(new Error(String(body.error_description)), { body, status: res.status });
    this.refreshToken = String(body.refresh_token);
    this.rotations.push(this.refreshToken);
    this.accessToken = String(body.access_token);
    return this.accessToken;
  }
}

export async function microsoftFixture(
  opts: { email?: string; windowsTimeZone?: string; personal?: boolean } = {},
) {
  const sandbox: Sandbox = await startSandbox();
  const email = opts.email ?? 'ada@contoso.example';
  const seeded = sandbox.microsoft.seedAccount({
    email,
    name: 'Ada Lovelace',
    windowsTimeZone: opts.windowsTimeZone ?? 'Tokyo Standard Time',
    ...(opts.personal ? { personal: true } : {}),
  });
  const origin = new URL(sandbox.env.MICROSOFT_GRAPH_BASE_URL).origin;
  const client = (o: { retryDelaySeconds?: number; maxRetries?: number; refreshToken?: string } = {}) => {
    const auth = new RefreshGrantAuthProvider(
      sandbox.env.MICROSOFT_TOKEN_URL,
      o.refreshToken ?? seeded.refreshToken,
    );
    const authHandler = new AuthenticationHandler(auth);
    const retry = new RetryHandler(new RetryHandlerOptions(o.retryDelaySeconds ?? 3, o.maxRetries ?? 3));
    authHandler.setNext(retry);
    retry.setNext(new HTTPMessageHandler());
    const graph = Client.initWithMiddleware({
      baseUrl: origin,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(origin).hostname]),
      middleware: authHandler,
    });
    return { graph, auth };
  };
  return { sandbox, email, refreshToken: seeded.refreshToken, calendarId: seeded.defaultCalendarId, client };
}

export async function graphErrorOf(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
}
