// Calendar changes that are lost or invented (issue 11, items 9–13), through the sync job on the
// sandbox, a real database and Redis, with the worker's clock set by the test:
// - a chat deleted while a Graph delta round was being replaced (window roll, 410) is dropped;
// - `@removed` for an event outside the round's window (it changed out there) cancels nothing;
// - a declined or cancelled recurring chat on Graph is dropped though delta occurrences are stubs;
// - an invitation to one of the mailbox's aliases is a 1:1, not a two-guest meeting;
// - a Google event already beyond the window at the first sync is picked up once the window reaches it.
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('calendar changes that are lost or invented', () => {
  let stack: Stack;
  const apps: App[] = [];
  /** The same database and queues, with the clock at a given moment. */
  const at = async (t: Date): Promise<App> => {
    const app = await createApp({
      config: stack.config,
      db: stack.app.db,
      log: pino({ level: 'silent' }),
      now: () => t,
    });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await stack?.close();
  });

  let n = 0;
  async function connect(kind: Kind): Promise<{ f: Fixture; accountId: string }> {
    const f = fixture(stack.sandbox, kind, `gaps-${kind}-${++n}`);
    const added = await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Test User',
    });
    return { f, accountId: added.account.id };
  }
  const chatWith = (email: string) =>
    stack.app.prisma.chat.findFirstOrThrow({ where: { contact: { email } }, orderBy: { startUtc: 'asc' } });
  const chatsWith = (email: string) =>
    stack.app.prisma.chat.findMany({ where: { contact: { email } }, orderBy: { startUtc: 'asc' } });
  const hour = (t: number) => new Date(Math.ceil(t / HOUR) * HOUR);

  test('graph: a chat deleted while the delta token expired (410) is dropped after the full round', async () => {
    const { f, accountId } = await connect('microsoft');
    const t0 = hour(Date.now());
    const chat = f.seed({
      title: 'Coffee chat with Omar',
      start: new Date(t0.getTime() + 2 * DAY),
      minutes: 30,
      others: [{ email: 'omar@example.org' }],
    });
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('omar@example.org')).status).toBe('upcoming');
    f.cancel(chat.id);
    stack.sandbox.microsoft.expireDeltaTokens(f.email);
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('omar@example.org')).status).toBe('cancelled');
  });

  test('graph: a window roll with a deletion in the gap drops the chat', async () => {
    const { f, accountId } = await connect('microsoft');
    const t0 = hour(Date.now());
    const chat = f.seed({
      title: 'Coffee chat with Lena',
      start: new Date(t0.getTime() + 20 * DAY),
      minutes: 30,
      others: [{ email: 'lena@example.org' }],
    });
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('lena@example.org')).status).toBe('upcoming');
    f.cancel(chat.id);
    await syncAccount(await at(new Date(t0.getTime() + 8 * DAY)), accountId);
    expect((await chatWith('lena@example.org')).status).toBe('cancelled');
  });

  test('graph: @removed for a past chat that changed outside the window does not cancel it', async () => {
    const { f, accountId } = await connect('microsoft');
    const t0 = hour(Date.now());
    const past = f.seed({
      title: 'Coffee chat with Noor',
      start: new Date(t0.getTime() - 25 * DAY),
      minutes: 30,
      others: [{ email: 'noor@example.org' }],
    });
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('noor@example.org')).status).toBe('done');
    // The window rolls past it (its start is now before the window), then the user edits its notes.
    const t1 = new Date(t0.getTime() + 8 * DAY);
    await syncAccount(await at(t1), accountId);
    stack.sandbox.microsoft.updateEvent(f.email, past.id, { body: 'notes: she likes Rust' });
    await syncAccount(await at(t1), accountId);
    expect((await chatWith('noor@example.org')).status).toBe('done');
  });

  test.each(['declined', 'cancelled'] as const)(
    'graph: a %s recurring chat is dropped (occurrences in delta are stubs)',
    async (what) => {
      const { f, accountId } = await connect('microsoft');
      const t0 = hour(Date.now());
      const guest = `weekly-${what}@example.org`;
      const series = stack.sandbox.microsoft.addEvent(f.email, {
        subject: 'Coffee chat #coffeechat',
        start: new Date(t0.getTime() + 2 * DAY).toISOString(),
        end: new Date(t0.getTime() + 2 * DAY + HOUR / 2).toISOString(),
        recurrence: { frequency: 'weekly', count: 3 },
        organizer: { email: guest },
        attendees: [
          { email: guest, response: 'organizer' },
          { email: f.email, response: 'accepted' },
        ],
      });
      await syncAccount(await at(t0), accountId);
      expect((await chatsWith(guest)).map((c) => c.status)).toEqual(['upcoming', 'upcoming', 'upcoming']);
      stack.sandbox.microsoft.updateEvent(
        f.email,
        String(series.id),
        what === 'declined'
          ? {
              attendees: [
                { email: guest, response: 'organizer' },
                { email: f.email, response: 'declined' },
              ],
            }
          : { isCancelled: true },
      );
      await syncAccount(await at(t0), accountId);
      expect((await chatsWith(guest)).map((c) => c.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    },
  );

  test('graph: an invitation to an alias of the mailbox is a 1:1 chat', async () => {
    const { f, accountId } = await connect('microsoft');
    const alias = f.email.replace('@', '.alias@');
    stack.sandbox.microsoft.seedAccount({ email: f.email, aliases: [alias] });
    const t0 = hour(Date.now());
    stack.sandbox.microsoft.addEvent(f.email, {
      subject: 'Coffee chat',
      start: new Date(t0.getTime() + DAY).toISOString(),
      end: new Date(t0.getTime() + DAY + HOUR / 2).toISOString(),
      organizer: { email: 'zoe@example.org' },
      attendees: [
        { email: 'zoe@example.org', response: 'organizer' },
        { email: alias.toUpperCase(), response: 'accepted' },
      ],
    });
    await syncAccount(await at(t0), accountId);
    expect(await chatWith('zoe@example.org')).toMatchObject({ status: 'upcoming' });
    expect(await stack.app.prisma.contact.count({ where: { email: alias } })).toBe(0);
  });

  test('google: an event beyond the window at the first sync is picked up once the window reaches it', async () => {
    const { f, accountId } = await connect('google');
    const t0 = hour(Date.now());
    f.seed({
      title: 'Coffee chat with Far',
      start: new Date(t0.getTime() + 200 * DAY),
      minutes: 30,
      others: [{ email: 'far@example.org' }],
    });
    await syncAccount(await at(t0), accountId);
    expect(await stack.app.prisma.chat.count({ where: { contact: { email: 'far@example.org' } } })).toBe(0);
    await syncAccount(await at(new Date(t0.getTime() + 30 * DAY)), accountId);
    expect((await chatWith('far@example.org')).status).toBe('upcoming');
  });

  test('google: a chat deleted while the sync token was refused (410) is dropped', async () => {
    const { f, accountId } = await connect('google');
    const t0 = hour(Date.now());
    const chat = f.seed({
      title: 'Coffee chat with Gus',
      start: new Date(t0.getTime() + 2 * DAY),
      minutes: 30,
      others: [{ email: 'gus@example.org' }],
    });
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('gus@example.org')).status).toBe('upcoming');
    f.cancel(chat.id);
    stack.sandbox.faults.add({ provider: 'google', kind: 'sync_token_expired' });
    await syncAccount(await at(t0), accountId);
    expect((await chatWith('gus@example.org')).status).toBe('cancelled');
  });
});
