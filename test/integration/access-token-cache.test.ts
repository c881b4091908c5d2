// Access tokens outlive the warm clients (worker/providers.ts): with more accounts than clients
// kept, a sync of an account whose client was dropped reuses the account's access token instead of
// refreshing one, an extra HTTP call on every sync at 10,000 accounts (issue 14). A reconnected
// account (a new refresh token) starts afresh.
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { createProviderFactory } from '../../worker/providers.ts';
import { seedMailbox } from '../../sandbox/scenario.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

jest.setTimeout(120_000);

describe.each(['google', 'microsoft'] as const)('access tokens kept beyond the warm clients (%s)', (kind) => {
  let stack: Stack;
  let app: App;
  beforeAll(async () => {
    stack = await startStack();
    const log = pino({ level: 'silent' });
    app = await createApp({
      config: stack.config,
      db: stack.app.db,
      log,
      // One warm client for two accounts: every sync below finds the other account's client.
      providers: createProviderFactory(stack.app.prisma, stack.config, log, { clientCacheSize: 1 }),
    });
  });
  afterAll(async () => {
    await app?.close();
    await stack?.close();
  });

  it('one token refresh per account over many syncs, not one per sync', async () => {
    const boxes = ['ada', 'bo'].map((who) =>
      seedMailbox(stack.sandbox, {
        provider: kind,
        email: `${who}-tokens@${kind}.example`,
        name: who,
        timeZone: 'Europe/Berlin',
      }),
    );
    const ids: string[] = [];
    for (const b of boxes)
      ids.push(
        (await addAccount(app, { provider: kind, refreshToken: b.refreshToken, email: b.email })).account.id,
      );
    const since = stack.sandbox.requests.length;
    for (let round = 0; round < 3; round++) for (const id of ids) await syncAccount(app, id);
    const requests = stack.sandbox.requests.slice(since);
    const refreshes = (email: string) =>
      requests.filter((r) => r.account === email && /token/.test(r.endpoint)).length;
    const calendarCalls = (email: string) =>
      requests.filter((r) => r.account === email && !/token/.test(r.endpoint)).length;
    for (const b of boxes) {
      expect(calendarCalls(b.email)).toBeGreaterThanOrEqual(3);
      expect(refreshes(b.email)).toBe(1);
    }
  });
});

describe('several worker processes on one Microsoft account (it rotates the refresh token at each refresh)', () => {
  let stack: Stack;
  const apps: App[] = [];
  beforeAll(async () => {
    stack = await startStack();
    for (let i = 0; i < 2; i++) {
      const log = pino({ level: 'silent' });
      apps.push(
        await createApp({
          config: stack.config,
          db: stack.app.db,
          log,
          providers: createProviderFactory(stack.app.prisma, stack.config, log),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await stack?.close();
  });

  it("each process refreshes once, not at every job after the other's rotation; a reconnect starts afresh", async () => {
    const box = seedMailbox(stack.sandbox, {
      provider: 'microsoft',
      email: 'two-workers@microsoft.example',
      name: 'Two',
      timeZone: 'Europe/Berlin',
    });
    const [a, b] = apps as [App, App];
    const { account } = await addAccount(a, { provider: 'microsoft', refreshToken: box.refreshToken });
    const refreshes = (since: number) =>
      stack.sandbox.requests.slice(since).filter((r) => r.account === box.email && /token/.test(r.endpoint))
        .length;
    const stored = async () =>
      (await stack.app.prisma.account.findUniqueOrThrow({ where: { id: account.id } })).refreshTokenEnc;

    let since = stack.sandbox.requests.length;
    const before = await stored();
    for (let round = 0; round < 3; round++) for (const app of [a, b]) await syncAccount(app, account.id);
    expect(refreshes(since)).toBe(2);
    expect(await stored()).not.toBe(before); // the rotated tokens were kept

    // Reconnected (a new grant): each process leaves its old client and refreshes once more.
    const oldSession = await b.providers(
      await stack.app.prisma.account.findUniqueOrThrow({ where: { id: account.id } }),
    );
    await addAccount(a, { provider: 'microsoft', refreshToken: box.refreshToken });
    since = stack.sandbox.requests.length;
    for (let round = 0; round < 2; round++) for (const app of [a, b]) await syncAccount(app, account.id);
    expect(refreshes(since)).toBe(2);

    // A session of the old grant that refreshes now (its token rotated) keeps it to itself: the
    // new grant's stored token is not overwritten.
    const current = await stored();
    stack.sandbox.microsoft.expireAccessTokens(box.email);
    await oldSession.calendar.listCalendars();
    expect(await stored()).toBe(current);
  });
});
