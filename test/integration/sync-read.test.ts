// An idle sync reads its account and the account's watched calendars in one raw statement
// (sync-account.ts readForSync) instead of Prisma's two. A raw read is typed by hand: this test
// holds it to what Prisma itself reads — every column of the account with its type (dates as
// dates, the scopes as a list), the watched calendars and only those — on the embedded database
// and on PostgreSQL, so a column added to the schema cannot come through wrong unnoticed. And an
// idle sync of one calendar costs the read and one write. A sync of an account since removed takes
// its schedulers away.
import { addAccount } from '../../worker/core/accounts.ts';
import { readForSync, syncAccount } from '../../worker/jobs/sync-account.ts';
import { scheduleAccount, schedulerIds } from '../../worker/queues/account-schedulers.ts';
import { countStatements } from '../../scripts/bench/sql-count.ts';
import { stopTestPostgres } from '../helpers/postgres.ts';
import { testDbKinds } from '../helpers/db.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture } from '../e2e/provider-fixtures.ts';

const kinds = await testDbKinds();

describe.each(kinds)('the sync read (%s)', (db) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ db });
  });
  afterAll(async () => {
    await stack?.close();
    await stopTestPostgres();
  });

  it('gives what Prisma reads, in one statement; an idle sync is that read and one write', async () => {
    const f = fixture(stack.sandbox, 'google', `sync-read-${db}`);
    const { account } = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
    });
    await syncAccount(stack.app, account.id);
    // A second calendar watched, a third not; the account with every optional column set.
    const primary = await stack.app.prisma.calendar.findFirstOrThrow({ where: { accountId: account.id } });
    for (const [i, selected] of [true, false].entries())
      await stack.app.prisma.calendar.create({
        data: {
          accountId: account.id,
          providerCalendarId: `extra-${i}@group.calendar.example`,
          name: `Team ${i} "quoted" ∙ ünïcode`,
          selected,
          timeZone: i ? null : 'Europe/Berlin',
          syncCursor: i ? 'cursor with spaces' : null,
        },
      });
    await stack.app.prisma.account.update({
      where: { id: account.id },
      data: {
        lastError: 'one, with a comma',
        lastErrorAt: new Date('2026-03-01T10:00:00.123Z'),
        rateLimitedUntil: new Date('2026-03-01T11:00:00Z'),
        displayName: null,
        timeZone: 'America/Los_Angeles',
      },
    });

    const { result: read, statements } = await countStatements(() => readForSync(stack.app, account.id));
    expect(statements).toBe(1);
    const prisma = await stack.app.prisma.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(read!.account).toEqual(prisma);
    expect(read!.account.lastErrorAt).toBeInstanceOf(Date);
    expect(Array.isArray(read!.account.scopes)).toBe(true);
    const watched = await stack.app.prisma.calendar.findMany({
      where: { accountId: account.id, selected: true },
      select: { id: true, providerCalendarId: true, name: true, timeZone: true, syncCursor: true },
      orderBy: [{ primary: 'desc' }, { id: 'asc' }],
    });
    expect(watched).toHaveLength(2);
    expect(read!.calendars).toEqual(watched);
    // The primary first: a meeting on two watched calendars is taken in from it.
    expect(read!.calendars[0]!.id).toBe(primary.id);

    expect(await readForSync(stack.app, 'no-such-account')).toBeNull();
    // A scheduler left for a removed account: its first sync takes them away.
    await scheduleAccount(stack.app, 'removed-account');
    expect(await stack.app.queues.sync.getJobScheduler('sync-removed-account')).toBeTruthy();
    expect(await syncAccount(stack.app, 'removed-account')).toMatchObject({ calendars: 0 });
    for (const id of schedulerIds('removed-account'))
      expect(await stack.app.queues.sync.getJobScheduler(id)).toBeFalsy();

    // Idle: the read, one sync call per calendar and one write. (The extra calendar is not at the
    // sandbox; leave only the primary watched.)
    await stack.app.prisma.calendar.updateMany({
      where: { accountId: account.id, id: { not: primary.id } },
      data: { selected: false },
    });
    // (The first clears the error set above, one more write: a success forgets an old failure.)
    await syncAccount(stack.app, account.id);
    expect(await stack.app.prisma.account.findUniqueOrThrow({ where: { id: account.id } })).toMatchObject({
      lastError: null,
      rateLimitedUntil: null,
    });
    const idle = await countStatements(() => syncAccount(stack.app, account.id));
    expect(idle.result).toMatchObject({ calendars: 1, events: 0, fullSyncs: 0 });
    expect(idle.statements).toBe(2);
  });
});
