// The sync-account job (issue 12), on the sandbox, a real database and real Redis, called directly:
// - a sync cursor the provider refuses (Google 410, Graph syncStateNotFound) falls back to a full
//   sync of the window, counted on the calendar, which also drops what was deleted meanwhile;
// - a chat first seen more than a day after it ended is marked seenLate and gets no thank-you (the
//   first sync of a new account must not thank every chat of the past month), while one that ended
//   within the day, or one the worker knew before it ended, still gets its thank-you.
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from '../e2e/provider-fixtures.ts';

jest.setTimeout(90_000);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe.each<Kind>(['google', 'microsoft'])('the sync-account job on %s', (kind) => {
  let stack: Stack;
  const apps: App[] = [];
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await stack?.close();
  });

  async function connect(who: string): Promise<{ f: Fixture; accountId: string }> {
    const f = fixture(stack.sandbox, kind, `${who}-${kind}`);
    const { account } = await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
    });
    return { f, accountId: account.id };
  }
  const chatWith = (accountId: string, email: string) =>
    stack.app.prisma.chat.findFirstOrThrow({ where: { accountId, contact: { email } } });

  it('falls back to a full sync when the provider refuses the cursor, and drops what was deleted meanwhile', async () => {
    const { f, accountId } = await connect('cursor');
    const soon = Date.now() + 3 * DAY;
    const kept = f.seed({
      title: 'Coffee chat with Ada',
      start: new Date(soon),
      minutes: 30,
      others: [{ email: 'ada@example.org' }],
    });
    const deleted = f.seed({
      title: 'Coffee chat with Bo',
      start: new Date(soon + HOUR),
      minutes: 30,
      others: [{ email: 'bo@example.org' }],
    });
    const first = await syncAccount(stack.app, accountId);
    expect(first).toMatchObject({ fullSyncs: 1, chats: 2 });
    const cal = await stack.app.prisma.calendar.findFirstOrThrow({ where: { accountId, primary: true } });
    expect(cal.fullSyncCount).toBe(1);
    expect(cal.syncCursor).toBeTruthy();

    // An incremental round: no full sync.
    expect(await syncAccount(stack.app, accountId)).toMatchObject({ fullSyncs: 0 });

    // The cursor dies; meanwhile one chat is deleted and another one added.
    f.cancel(deleted.id);
    f.seed({
      title: 'Coffee chat with Cy',
      start: new Date(soon + 2 * HOUR),
      minutes: 30,
      others: [{ email: 'cy@example.org' }],
    });
    stack.sandbox.faults.add({ provider: kind, kind: 'sync_token_expired' });
    const resync = await syncAccount(stack.app, accountId);
    expect(resync.fullSyncs).toBe(1);
    expect(stack.sandbox.faults.list()).toEqual([]); // the refused cursor was really tried
    const after = await stack.app.prisma.calendar.findUniqueOrThrow({ where: { id: cal.id } });
    expect(after.fullSyncCount).toBe(2);
    expect(after.syncCursor).toBeTruthy();
    expect(after.syncCursor).not.toBe(cal.syncCursor);

    expect((await chatWith(accountId, 'ada@example.org')).status).toBe('upcoming');
    expect((await chatWith(accountId, 'bo@example.org')).status).toBe('cancelled');
    expect((await chatWith(accountId, 'cy@example.org')).status).toBe('upcoming');
    expect(kept.id).toBeTruthy();
    // And the next round is incremental again, on the new cursor.
    expect(await syncAccount(stack.app, accountId)).toMatchObject({ fullSyncs: 0 });
  });

  it('the first sync thanks only chats that ended within the day, not every chat of the past month', async () => {
    const { f, accountId } = await connect('late');
    const now = Date.now();
    f.seed({
      title: 'Coffee chat with Old',
      start: new Date(now - 3 * DAY),
      minutes: 30,
      others: [{ email: 'old@example.org' }],
    });
    f.seed({
      title: 'Coffee chat with Recent',
      start: new Date(now - 2 * HOUR),
      minutes: 30,
      others: [{ email: 'recent@example.org' }],
    });
    await syncAccount(stack.app, accountId);

    const old = await chatWith(accountId, 'old@example.org');
    const recent = await chatWith(accountId, 'recent@example.org');
    expect(old).toMatchObject({ status: 'done', seenLate: true });
    expect(recent).toMatchObject({ status: 'done', seenLate: false });
    for (const c of [old, recent]) await planChat(stack.app, c.id);
    const thankYous = await stack.app.prisma.draft.findMany({
      where: { accountId, kind: 'thank_you' },
      include: { contact: true },
    });
    expect(thankYous.map((d) => [d.contact!.email, d.status])).toEqual([['recent@example.org', 'scheduled']]);
  });

  it('a chat the worker knew before it ended still gets its thank-you when the worker comes back days later', async () => {
    const { f, accountId } = await connect('down');
    const start = new Date(Date.now() + HOUR);
    f.seed({ title: 'Coffee chat with Dee', start, minutes: 30, others: [{ email: 'dee@example.org' }] });
    await syncAccount(stack.app, accountId);
    const seen = await chatWith(accountId, 'dee@example.org');
    expect(seen).toMatchObject({ status: 'upcoming', seenLate: false });

    // The worker was down for three days: the sync then sees the chat long over.
    const later = await createApp({
      config: stack.config,
      db: stack.app.db,
      log: pino({ level: 'silent' }),
      now: () => new Date(start.getTime() + 3 * DAY),
    });
    apps.push(later);
    await syncAccount(later, accountId);
    // (The event itself did not change, so the sync has nothing new: the planner marks it done.)
    await planChat(later, seen.id);
    expect(await chatWith(accountId, 'dee@example.org')).toMatchObject({ status: 'done', seenLate: false });
    const thanks = await stack.app.prisma.draft.findFirst({ where: { chatId: seen.id, kind: 'thank_you' } });
    expect(thanks?.status).toBe('scheduled');
  });
});
