// A moved chat whose plan job Redis lost (a FLUSHALL, a new Redis) before it ran: Postgres says a
// plan is wanted (Chat.planWantedAt, written before the cursor moves on), and the reconciler asks
// again, so the thank-you follows the chat to its new time (issue 12; found by the soak, where
// seven moved chats kept their thank-yous at the old time after the flush).
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { retractChatJob } from '../../worker/jobs/retract-chat.ts';
import { reconcile } from '../../worker/jobs/reconcile.ts';
import { clearPlanMark, planMarkSeen } from '../../worker/core/request-plan.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { drainDueJobs } from '../../scripts/bench/stack.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const MIN = 60_000;
const HOUR = 60 * MIN;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { THANK_YOU_DELAY: 'PT2H' } });
});
afterAll(async () => {
  await stack?.close();
});

it('a plan lost with Redis is asked again by the reconciler, and the thank-you moves with the chat', async () => {
  const { app } = stack;
  const f = fixture(stack.sandbox, 'google', 'lost-plan-g');
  const accountId = (
    await addAccount(app, { provider: 'google', refreshToken: f.refreshToken, email: f.email })
  ).account.id;
  const start = new Date(Math.ceil((Date.now() + 30 * HOUR) / MIN) * MIN);
  const seeded = f.seed({
    title: 'Coffee chat with Pia',
    start,
    minutes: 30,
    others: [{ email: 'pia@example.org', name: 'Pia Lund' }],
  });
  await syncAccount(app, accountId);
  const chat = await app.prisma.chat.findFirstOrThrow({ where: { contact: { email: 'pia@example.org' } } });
  await planChat(app, chat.id);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toBeNull();
  const thankYou = () => app.prisma.draft.findFirstOrThrow({ where: { chatId: chat.id, kind: 'thank_you' } });
  expect((await thankYou()).dueAt.getTime()).toBe(start.getTime() + 30 * MIN + 2 * HOUR);

  // Moved a day later; the sync sees it and queues a plan, which Redis then loses.
  const moved = new Date(start.getTime() + 24 * HOUR);
  f.move(seeded.id, moved, 30);
  await syncAccount(app, accountId);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).not.toBeNull();
  await app.queues.plan.obliterate({ force: true });
  expect((await thankYou()).dueAt.getTime()).toBe(start.getTime() + 30 * MIN + 2 * HOUR);

  // A minute on, the reconciler runs: Postgres says a plan is wanted, so it is asked again.
  await app.prisma.chat.update({
    where: { id: chat.id },
    data: { planWantedAt: new Date(Date.now() - MIN) },
  });
  const result = await reconcile(app, 'test');
  expect(result.added.chatPlans).toBeGreaterThanOrEqual(1);
  await drainDueJobs(app, ['plan']);
  expect((await thankYou()).dueAt.getTime()).toBe(moved.getTime() + 30 * MIN + 2 * HOUR);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toBeNull();
  // Nothing more is wanted: the next reconcile asks for no plan.
  expect((await reconcile(app, 'test')).added.chatPlans).toBe(0);
});

/** A chat ten hours ahead on a new Google account, synced and planned: its confirmation drafted. */
async function confirmedChat(label: string, name: string) {
  const { app } = stack;
  const f = fixture(stack.sandbox, 'google', label);
  const accountId = (
    await addAccount(app, { provider: 'google', refreshToken: f.refreshToken, email: f.email })
  ).account.id;
  const email = `${name.split(' ')[0]!.toLowerCase()}@example.org`;
  const seeded = f.seed({
    title: `Coffee chat with ${name.split(' ')[0]}`,
    // Ten hours ahead: confirmed at once (under a day, over two hours).
    start: new Date(Math.ceil((Date.now() + 10 * HOUR) / MIN) * MIN),
    minutes: 30,
    others: [{ email, name }],
  });
  await syncAccount(app, accountId);
  await drainDueJobs(app, ['plan', 'actions']);
  const toThem = () => f.drafts().filter((d) => d.to.includes(email));
  expect(toThem()).toHaveLength(1); // the confirmation
  return { f, accountId, seeded, toThem };
}

it('a cancelled chat whose retraction Redis lost has its untouched confirmation taken back all the same', async () => {
  const { app } = stack;
  const { f, accountId, seeded, toThem: toOla } = await confirmedChat('lost-retract-g', 'Ola Berg');

  // Cancelled; the plan runs and asks for the retraction, which Redis then loses.
  f.cancel(seeded.id);
  await syncAccount(app, accountId);
  await drainDueJobs(app, ['plan']);
  await app.queues.actions.obliterate({ force: true });
  const chat = await app.prisma.chat.findFirstOrThrow({ where: { contact: { email: 'ola@example.org' } } });
  expect(chat.status).toBe('cancelled');
  expect(chat.planWantedAt).not.toBeNull(); // the retraction has not run: still wanted
  expect(toOla()).toHaveLength(1);

  await reconcile(app, 'test');
  await drainDueJobs(app, ['plan', 'actions']);
  expect(toOla()).toHaveLength(0);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toBeNull();
  expect((await reconcile(app, 'test')).added.chatPlans).toBe(0);
});

it('a run clears only the mark it saw on starting: a request written since stays, whatever its clock says', async () => {
  const { app } = stack;
  const chat = await app.prisma.chat.findFirstOrThrow({ where: { contact: { email: 'pia@example.org' } } });
  const first = new Date(Date.now() - 5_000);
  await app.prisma.chat.update({ where: { id: chat.id }, data: { planWantedAt: first } });
  const seen = await planMarkSeen(app, chat.id);
  expect(seen).toEqual(first);
  // Meanwhile another request, from a host whose clock is behind (an earlier time than the first).
  const newer = new Date(first.getTime() - 60_000);
  await app.prisma.chat.update({ where: { id: chat.id }, data: { planWantedAt: newer } });
  await clearPlanMark(app, chat.id, seen);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toEqual(newer);
  // The run of that request clears it.
  await planChat(app, chat.id);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toBeNull();
});

it('a retraction that fails for good clears the mark (else it is asked again every ten minutes, forever); one that will retry keeps it', async () => {
  const { app } = stack;
  const { f, accountId, seeded, toThem: toEsa } = await confirmedChat('failed-retract-g', 'Esa Lind');

  f.cancel(seeded.id);
  await syncAccount(app, accountId);
  await drainDueJobs(app, ['plan']);
  const chat = await app.prisma.chat.findFirstOrThrow({ where: { contact: { email: 'esa@example.org' } } });
  const [job] = (await app.queues.actions.getJobs(['waiting', 'delayed', 'prioritized'])).filter(
    (j) => j?.name === 'retract-chat' && (j.data as { chatId: string }).chatId === chat.id,
  );
  expect(job).toBeDefined();
  await job!.remove();
  const mark = () =>
    app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } }).then((c) => c.planWantedAt);

  // Gmail answers 503 to every draft request for a while.
  const fault = stack.sandbox.faults.add({
    provider: 'google',
    kind: 'server_error',
    status: 503,
    pathIncludes: 'drafts',
    times: 1_000,
  });
  try {
    // The first attempt fails: the job will retry, so the mark stays.
    await expect(retractChatJob(app, job!)).rejects.toThrow();
    expect(await mark()).not.toBeNull();
    // Its last attempt fails too: the failed job is what stays visible, and the mark goes.
    job!.attemptsMade = (job!.opts.attempts ?? 1) - 1;
    await expect(retractChatJob(app, job!)).rejects.toThrow();
    expect(await mark()).toBeNull();
    expect((await reconcile(app, 'test')).added.chatPlans).toBe(0);
  } finally {
    stack.sandbox.faults.remove(fault.id);
  }
  expect(toEsa()).toHaveLength(1); // nothing was taken back: the failure is what the user sees
});

it('a sync that dies after it cancelled a chat but before the page ends leaves the plan wanted, and the chat is taken back', async () => {
  const { app } = stack;
  const { f, accountId, seeded, toThem: toInes } = await confirmedChat('died-cancel-g', 'Ines Roth');

  // Cancelled; the sync writes the cancel, then dies before the end of its page (the soak's
  // kill -9: its cursor is not saved, and no plan was asked for).
  f.cancel(seeded.id);
  const spy = jest
    .spyOn(app.prisma.chat, 'updateMany')
    .mockRejectedValueOnce(new Error('worker killed') as never);
  try {
    await expect(syncAccount(app, accountId)).rejects.toThrow('worker killed');
  } finally {
    spy.mockRestore();
  }
  // The next sync reads the same page again: the chat is already cancelled, nothing "changes".
  await syncAccount(app, accountId);
  await drainDueJobs(app, ['plan', 'actions']);
  const chat = await app.prisma.chat.findFirstOrThrow({ where: { contact: { email: 'ines@example.org' } } });
  expect(chat.status).toBe('cancelled');
  // Postgres still says a plan is wanted (written with the cancel): the reconciler asks it.
  await reconcile(app, 'test');
  await drainDueJobs(app, ['plan', 'actions']);
  expect(toInes()).toHaveLength(0);
  expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).planWantedAt).toBeNull();
});
