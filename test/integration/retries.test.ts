// Failures are not final too soon (issue 12, "Nothing lost" 2), on the sandbox, a real database and
// real Redis, through the job functions with the attempt counts BullMQ would hand them:
// - a provider outage keeps a thank-you retrying while its 24 h window lasts, and no longer;
// - a final failure with a transient cause is recorded as retryable, and the reconciler queues it
//   again while the draft is useful (not a refused request, not a thank-you past its window);
// - reconnecting an account plans its contacts' check-ins again, not only its chats.
import { jest } from '@jest/globals';
import { UnrecoverableError, type Job } from 'bullmq';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { ensureCheckInPlan } from '../../worker/core/check-in-plans.ts';
import { recordFinalFailure } from '../../worker/core/failures.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { reconcile } from '../../worker/jobs/reconcile.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { ProviderError } from '../../integrations/provider.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** What BullMQ hands a job on its attempt number `attemptsMade + 1`. */
function attempt(name: string, data: object, attemptsMade: number): Job {
  return { name, data, attemptsMade, opts: ACTION_JOB_OPTIONS, id: `test-${attemptsMade}` } as unknown as Job;
}

describe('failures are not final too soon', () => {
  let stack: Stack;
  let f: Fixture;
  let accountId: string;
  let userId: string;
  /** The same database and queues, with the clock at a given moment. */
  const at = (t: Date): Promise<App> =>
    createApp({ config: stack.config, db: stack.app.db, log: pino({ level: 'silent' }), now: () => t });
  const apps: App[] = [];

  beforeAll(async () => {
    // A cadence under a day keeps check-ins out of business-hour shifts (no wall-clock dependence).
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT1H' } });
    f = fixture(stack.sandbox, 'google', 'retries-g');
    const added = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    accountId = added.account.id;
    userId = added.account.userId;
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await stack?.close();
  });

  /** A chat that ended at `end` (seen by a sync now), planned: its thank-you draft row. */
  async function thankYouFor(who: string, end: Date) {
    f.seed({
      title: `Coffee chat with ${who}`,
      start: new Date(end.getTime() - 30 * MIN),
      minutes: 30,
      others: [{ email: `${who.toLowerCase()}@example.org`, name: who }],
    });
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({
      where: { contact: { email: `${who.toLowerCase()}@example.org` } },
    });
    await planChat(stack.app, chat.id);
    return {
      chat,
      draft: await stack.app.prisma.draft.findFirstOrThrow({ where: { chatId: chat.id, kind: 'thank_you' } }),
    };
  }

  it('keeps retrying a thank-you through an outage while its 24 h window lasts, then gives up visibly', async () => {
    const { chat, draft } = await thankYouFor('Ines', new Date(Date.now() - HOUR));
    const ines = () => f.drafts().filter((d) => d.to.includes('ines@example.org'));
    stack.sandbox.faults.add({
      provider: 'google',
      pathIncludes: '/drafts',
      method: 'POST',
      kind: 'server_error',
      status: 503,
      times: 100,
    });

    // Two hours after the chat, on the 20th attempt (long past the old 8): still worth a retry.
    const early = await at(new Date(chat.endUtc.getTime() + 2 * HOUR));
    apps.push(early);
    const err20 = await createDraft(
      early,
      draft.idempotencyKey,
      attempt('create-draft', { key: draft.idempotencyKey }, 19),
    ).catch((e: unknown) => e);
    expect(err20).toBeInstanceOf(ProviderError);
    expect(err20).not.toBeInstanceOf(UnrecoverableError);
    expect((err20 as ProviderError).kind).toBe('transient');

    // 23 h 50 min after the chat, a retry in 30 minutes would land past the window: no more tries.
    const late = await at(new Date(chat.endUtc.getTime() + 23 * HOUR + 50 * MIN));
    apps.push(late);
    const errLate = await createDraft(
      late,
      draft.idempotencyKey,
      attempt('create-draft', { key: draft.idempotencyKey }, 19),
    ).catch((e: unknown) => e);
    expect(errLate).toBeInstanceOf(UnrecoverableError);
    expect((errLate as Error).message).toMatch(/no more tries: the thank-you is of no use after/);
    // Yet the first fast attempts always happen, however late (a draft the worker was down for).
    const errFast = await createDraft(
      late,
      draft.idempotencyKey,
      attempt('create-draft', { key: draft.idempotencyKey }, 2),
    ).catch((e: unknown) => e);
    expect(errFast).not.toBeInstanceOf(UnrecoverableError);
    expect(ines()).toHaveLength(0);

    // The worker records the final failure: failed, not retryable, the reason shown.
    await recordFinalFailure(
      late,
      { name: 'create-draft', data: { key: draft.idempotencyKey } },
      errLate as Error,
    );
    const failed = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    expect(failed).toMatchObject({ status: 'failed', retryable: false });
    expect(failed.lastError).toMatch(/no more tries/);
    // ...and the reconciler leaves it alone.
    expect((await reconcile(late, 'test')).retried).toBe(0);
    expect((await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe(
      'failed',
    );
    stack.sandbox.faults.clear();
  });

  it('records a transient final failure as retryable; the reconciler queues it again and it is drafted once', async () => {
    stack.sandbox.faults.clear();
    const { draft } = await thankYouFor('Omar', new Date(Date.now() - HOUR));
    const { draft: refused } = await thankYouFor('Pia', new Date(Date.now() - HOUR));
    const outage = new ProviderError('google', 'transient', 'Gmail answered 503');
    await recordFinalFailure(
      stack.app,
      { name: 'create-draft', data: { key: draft.idempotencyKey } },
      outage,
    );
    await recordFinalFailure(
      stack.app,
      { name: 'create-draft', data: { key: refused.idempotencyKey } },
      new UnrecoverableError('bad_request: invalid recipient'),
    );
    expect(await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).toMatchObject({
      status: 'failed',
      retryable: true,
    });
    expect(await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: refused.id } })).toMatchObject({
      status: 'failed',
      retryable: false,
    });

    // Its job is gone from the queue (failed for good, or Redis lost it).
    await (await stack.app.queues.actions.getJob(draft.idempotencyKey))?.remove();
    const result = await reconcile(stack.app, 'test');
    expect(result.retried).toBe(1);
    expect(await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).toMatchObject({
      status: 'scheduled',
      retryable: false,
    });
    expect(await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: refused.id } })).toMatchObject({
      status: 'failed',
    });
    const job = await stack.app.queues.actions.getJob(draft.idempotencyKey);
    expect(await job?.getState()).toBe('waiting');

    // The provider is back: the job runs and the draft is made, once.
    expect((await createDraft(stack.app, draft.idempotencyKey, job)).outcome).toBe('created');
    expect(f.drafts().filter((d) => d.to.includes('omar@example.org'))).toHaveLength(1);
    expect((await reconcile(stack.app, 'test')).retried).toBe(0);
  });

  it('plans the check-ins of a reconnected account again, not only its chats', async () => {
    // Rui's check-in is due now; its job fires while the account needs reconnecting.
    const rui = await stack.app.prisma.contact.create({
      data: { userId, email: 'rui@example.org', name: 'Rui Costa' },
    });
    await ensureCheckInPlan(stack.app, rui.id, new Date(stack.app.now().getTime() - 2 * HOUR));
    const planned = (await planContact(stack.app, rui.id)) as { outcome: string; key: string };
    expect(planned.outcome).toBe('scheduled');
    await stack.app.prisma.account.update({ where: { id: accountId }, data: { status: 'needs_reconnect' } });
    const fired = await checkInJob(
      stack.app,
      attempt('check-in', { contactId: rui.id, key: planned.key }, 0),
    );
    expect(fired).toMatchObject({ outcome: 'skipped', why: 'no active account' });
    const job = await stack.app.queues.actions.getJob(planned.key);
    await job?.remove(); // it ran (and completed) as the worker would have run it

    const planJobsFor = async (contactId: string) =>
      (await stack.app.queues.plan.getJobs(['waiting', 'delayed'])).filter(
        (j) => j.name === 'plan-contact' && (j.data as { contactId: string }).contactId === contactId,
      );
    const before = (await planJobsFor(rui.id)).length;

    await addAccount(stack.app, { provider: 'google', refreshToken: f.refreshToken, email: f.email });
    const after = await planJobsFor(rui.id);
    expect(after.length).toBe(before + 1);
    // The plan job, run, schedules his check-in again.
    expect(await planContact(stack.app, rui.id)).toMatchObject({ outcome: 'scheduled', key: planned.key });
    expect(await (await stack.app.queues.actions.getJob(planned.key))?.getState()).toBe('waiting');
  });
});
