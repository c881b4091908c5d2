// The loopback page `accounts connect` listens on: what it prints comes from the query string (any
// page the user visits can send the browser there), so it is escaped; and a stray request (a
// favicon, a request without the state or with another one) does not end the sign-in.
import { startLoopback } from '../../integrations/oauth-loopback.ts';

const opened: { close(): void }[] = [];
afterEach(() => opened.splice(0).forEach((lb) => lb.close()));

async function start() {
  let exchanged = '';
  const lb = await startLoopback({
    provider: 'google',
    label: 'Google',
    timeoutMs: 30_000,
    buildUrl: (redirectUri, state) =>
      `https://accounts.example/auth?redirect_uri=${redirectUri}&state=${state}`,
    exchange: async (code) => {
      exchanged = code;
      return { refreshToken: 'rt' };
    },
  });
  opened.push(lb);
  const state = new URL(lb.url).searchParams.get('state')!;
  return { lb, state, exchanged: () => exchanged };
}

const get = async (redirectUri: string, query: string) => {
  const res = await fetch(`${redirectUri.replace(/\/$/, '')}/${query}`);
  return { status: res.status, body: await res.text() };
};

describe('OAuth loopback page', () => {
  it('prints an error from the query string as text, not HTML', async () => {
    const { lb, state } = await start();
    const evil = '<script>alert(1)</script>';
    const res = await get(
      lb.redirectUri,
      `?state=${state}&error=${encodeURIComponent(evil)}&error_description=${encodeURIComponent('<img src=x onerror=alert(2)>')}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toContain('<img');
    expect(res.body).toContain('&lt;script&gt;');
    await expect(lb.result).rejects.toThrow(/consent refused/);
  });

  it('ignores a favicon request and requests without or with a wrong state; the real redirect still connects', async () => {
    const { lb, state, exchanged } = await start();
    expect((await get(lb.redirectUri, 'favicon.ico')).status).toBe(404);
    expect((await get(lb.redirectUri, '?code=stolen')).status).toBe(400);
    expect((await get(lb.redirectUri, '?code=stolen&state=wrong')).status).toBe(400);
    const ok = await get(lb.redirectUri, `?code=real&state=${state}`);
    expect(ok.status).toBe(200);
    await expect(lb.result).resolves.toEqual({ refreshToken: 'rt' });
    expect(exchanged()).toBe('real');
  });
});
