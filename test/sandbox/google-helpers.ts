// Shared setup for the Google contract tests: a sandbox plus real SDK clients pointed at it.
import { auth, calendar } from '@googleapis/calendar';
import { gmail } from '@googleapis/gmail';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

/**
 * One sandbox per test file (closing one waits out the SDK's keep-alive sockets); `reset()` gives
 * each test a fresh account with the same refresh token.
 */
export async function googleFixture(email = 'ada@example.com', timeZone = 'America/New_York') {
  const sandbox: Sandbox = await startSandbox();
  const refreshToken = 'rt-sandbox-ada';
  const reset = () => {
    sandbox.reset();
    sandbox.google.seedAccount({ email, name: 'Ada Lovelace', timeZone, refreshToken });
  };
  reset();
  const client = (opts: { token?: string; forceRefreshOnFailure?: boolean } = {}) => {
    const oauth = new auth.OAuth2({
      clientId: 'sandbox-client',
      clientSecret: 'sandbox-secret',
      endpoints: { oauth2TokenUrl: sandbox.env.GOOGLE_TOKEN_URL },
      forceRefreshOnFailure: opts.forceRefreshOnFailure ?? false,
    });
    const token = opts.token ?? refreshToken;
    oauth.setCredentials({ refresh_token: token });
    return {
      oauth,
      calendar: calendar({ version: 'v3', auth: oauth, rootUrl: sandbox.env.GOOGLE_API_ROOT_URL }),
      gmail: gmail({ version: 'v1', auth: oauth, rootUrl: sandbox.env.GOOGLE_API_ROOT_URL }),
    };
  };
  return { sandbox, email, refreshToken, client, reset };
}

/** The error a googleapis call rejected with (gaxios GaxiosError). */
export async function errorOf(p: Promise<unknown>): Promise<{
  status?: number;
  response?: {
    status: number;
    headers: Headers | Record<string, string>;
    data: { error?: { errors?: { reason: string }[]; code: number } } & Record<string, unknown>;
  };
  errors?: { reason: string }[];
  message: string;
}> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

export function header(
  headers: Headers | Record<string, string> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name.toLowerCase()];
}
