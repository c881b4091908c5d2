// Behaviour under trouble, with the real worker: a revoked grant and a rate limit hit one account
// while the other goes on; nothing dies silently.
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { getStatus } from '../../worker/core/status.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from './provider-fixtures.ts';

jest.setTimeout(150_000);
const MIN = 60_000;

describe('an account in trouble', () => {
  let stack: Stack;
  let google: Fixture;
  let microsoft: Fixture;
  beforeAll(async () => {
    stack = await startStack();
    google = fixture(stack.sandbox, 'google', 'trouble-g');
    microsoft = fixture(stack.sandbox, 'microsoft', 'trouble-m');
    await addAccount(stack.app, {
      provider: 'google',
      refreshToken: google.refreshToken,
      email: google.email,
      name: 'Maya Chen',
    });
    await addAccount(stack.app, {
      provider: 'microsoft',
      refreshToken: microsoft.refreshToken,
      email: microsoft.email,
      name: 'Sam Okafor',
    });
    await stack.startWorker();
    await waitFor(
      'both accounts synced',
      async () => (await stack.app.prisma.account.count({ where: { lastSyncAt: { not: null } } })) === 2,
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('waits out a rate limit as the provider asks, without holding up the other account', async () => {
    // Every Gmail draft create for the Google account is refused for the next 3 tries, asking for 3 s.
    stack.sandbox.faults.add({
      provider: 'google',
      pathIncludes: '/drafts',
      method: 'POST',
      kind: 'rate_limit',
      status: 429,
      retryAfterSeconds: 3,
      times: 3,
    });
    const now = Date.now();
    google.seed({
      title: 'Coffee chat with Ines',
      start: new Date(now - 2 * 60 * MIN),
      minutes: 30,
      others: [{ email: 'ines@example.org' }],
    });
    microsoft.seed({
      title: 'Coffee chat with Omar',
      start: new Date(now - 2 * 60 * MIN),
      minutes: 30,
      others: [{ email: 'omar@example.org' }],
    });
    await waitFor(
      'the Google account told to wait',
      async () => {
        const a = await stack.app.prisma.account.findFirstOrThrow({ where: { email: google.email } });
        return a.rateLimitedUntil;
      },
      40_000,
      50,
    );
    const omarAt = await waitFor(
      'Microsoft thank-you while Google waits',
      () => (microsoft.drafts().some((d) => d.to.includes('omar@')) ? Date.now() : 0),
      40_000,
      50,
    );
    expect(google.drafts().some((d) => d.to.includes('ines@'))).toBe(false);
    const inesAt = await waitFor(
      'Google thank-you after the limit',
      () => (google.drafts().some((d) => d.to.includes('ines@')) ? Date.now() : 0),
      60_000,
    );
    // Waited as asked: each refused create was tried again no sooner than its Retry-After (3 s),
    // and the Microsoft thank-you came while the Google account was still waiting.
    const creates = stack.sandbox.requests.filter(
      (r) => r.provider === 'google' && r.method === 'POST' && /\/drafts/.test(r.endpoint),
    );
    expect(creates.map((r) => r.status)).toEqual([429, 429, 429, 200]);
    const times = creates.map((r) => Date.parse(r.at));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2_500);
    expect(omarAt).toBeLessThan(times[3]!);
    expect(inesAt).toBeGreaterThanOrEqual(times[3]!);
    // Exactly one draft, although the provider refused the create several times.
    expect(google.drafts().filter((d) => d.to.includes('ines@'))).toHaveLength(1);
    const ok = await stack.app.prisma.account.findFirstOrThrow({ where: { email: google.email } });
    expect(ok.status).toBe('active');
  });

  it('marks a revoked account needs_reconnect, stops calling for it, and keeps the other going', async () => {
    stack.sandbox.google.revoke(google.email);
    await waitFor(
      'needs_reconnect',
      async () => {
        const s = await getStatus(stack.app.prisma, new Date());
        return s.accounts.find((a) => a.email === google.email && a.status === 'needs_reconnect');
      },
      30_000,
    );
    // The other account still works: a new chat there gets its thank-you.
    microsoft.seed({
      title: 'Coffee chat with Pia',
      start: new Date(Date.now() - 2 * 60 * MIN),
      minutes: 30,
      others: [{ email: 'pia@example.org' }],
    });
    await waitFor(
      'Microsoft keeps drafting',
      () => microsoft.drafts().some((d) => d.to.includes('pia@')),
      40_000,
    );
    // And nothing more is sent to Google for the revoked account.
    const mark = stack.sandbox.requests.length;
    await new Promise((r) => setTimeout(r, 6_000));
    const googleCalls = stack.sandbox.requests.slice(mark).filter((r) => r.provider === 'google');
    expect(googleCalls).toEqual([]);
  });
});
