// The check-in job (issue 12), on the sandbox (Gmail), a real database and real Redis, called
// directly with the data BullMQ would hand it: it drafts the due check-in, but first asks the
// mailbox whether mail was exchanged since the step began (then it skips and re-times from that
// mail, the unanswered count back to zero), and it does nothing for a stale key, a stopped plan, a
// do-not-contact contact or while a thank-you still waits in the mailbox.
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { addAccount } from '../../worker/core/accounts.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(90_000);
const MIN = 60_000;
const HOUR = 60 * MIN;

function fired(data: object): Job {
  return {
    name: 'check-in',
    data,
    attemptsMade: 0,
    opts: ACTION_JOB_OPTIONS,
    id: 'check-in-test',
  } as unknown as Job;
}

describe('the check-in job', () => {
  let stack: Stack;
  let f: Fixture;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    // A cadence under a day keeps check-ins out of business-hour shifts (no wall-clock dependence).
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT1H' } });
    f = fixture(stack.sandbox, 'google', 'check-in');
    const { account } = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
    });
    userId = account.userId;
    accountId = account.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const draftsTo = (email: string) => f.drafts().filter((d) => d.to.includes(email));

  /** A contact whose check-in plan began two hours ago (PT1H cadence: due now), planned: its key. */
  async function dueContact(name: string, plan: { step?: number; unansweredCount?: number } = {}) {
    const email = `${name.toLowerCase()}@example.org`;
    const contact = await stack.app.prisma.contact.create({ data: { userId, email, name } });
    const anchorAt = new Date(Date.now() - 2 * HOUR);
    await stack.app.prisma.checkInPlan.create({
      data: { contactId: contact.id, anchorAt, nextAt: anchorAt, ...plan },
    });
    const planned = (await planContact(stack.app, contact.id)) as { outcome: string; key: string };
    expect(planned.outcome).toBe('scheduled');
    return { contact, email, key: planned.key, anchorAt };
  }

  it('drafts the due check-in to the contact when no mail was exchanged since the step began', async () => {
    const { contact, email, key } = await dueContact('Ada');
    expect(await checkInJob(stack.app, fired({ contactId: contact.id, key }))).toMatchObject({
      outcome: 'created',
    });
    expect(draftsTo(email)).toHaveLength(1);
    const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: key } });
    expect(row).toMatchObject({ kind: 'check_in', status: 'created', accountId });
    // Fired again (a retry, a duplicate job): still one draft.
    await checkInJob(stack.app, fired({ contactId: contact.id, key }));
    expect(draftsTo(email)).toHaveLength(1);
  });

  it('skips and re-times from the mail when mail was exchanged since the step began', async () => {
    const { contact, email, key, anchorAt } = await dueContact('Bo', { unansweredCount: 2 });
    const replyAt = new Date(anchorAt.getTime() + 30 * MIN);
    await f.receiveMail(email, 'Re: catching up', replyAt);
    const result = await checkInJob(stack.app, fired({ contactId: contact.id, key }));
    expect(result).toMatchObject({ outcome: 'skipped' });
    expect(draftsTo(email)).toHaveLength(0);
    const plan = await stack.app.prisma.checkInPlan.findUniqueOrThrow({ where: { contactId: contact.id } });
    expect(plan.anchorAt.getTime()).toBeGreaterThan(anchorAt.getTime());
    expect(Math.abs(plan.anchorAt.getTime() - replyAt.getTime())).toBeLessThan(1_000);
    expect(plan.unansweredCount).toBe(0);
    const after = await stack.app.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } });
    expect(after.lastMailExchangedAt?.getTime()).toBe(plan.anchorAt.getTime());
    expect(await stack.app.prisma.draft.findUnique({ where: { idempotencyKey: key } })).toBeNull();
  });

  it('does nothing for a key the plan has moved past, a stopped plan, or a do-not-contact contact', async () => {
    const stale = await dueContact('Cy');
    await stack.app.prisma.checkInPlan.update({ where: { contactId: stale.contact.id }, data: { step: 1 } });
    expect(await checkInJob(stack.app, fired({ contactId: stale.contact.id, key: stale.key }))).toMatchObject(
      {
        outcome: 'skipped',
        why: 'plan changed',
      },
    );

    const stopped = await dueContact('Dee');
    await stack.app.prisma.checkInPlan.update({
      where: { contactId: stopped.contact.id },
      data: { status: 'stopped' },
    });
    expect(
      await checkInJob(stack.app, fired({ contactId: stopped.contact.id, key: stopped.key })),
    ).toMatchObject({
      outcome: 'skipped',
    });

    const dnc = await dueContact('Eve');
    await stack.app.prisma.contact.update({ where: { id: dnc.contact.id }, data: { doNotContact: true } });
    expect(await checkInJob(stack.app, fired({ contactId: dnc.contact.id, key: dnc.key }))).toMatchObject({
      outcome: 'skipped',
    });

    for (const c of [stale, stopped, dnc]) {
      expect(draftsTo(c.email)).toHaveLength(0);
      expect(await stack.app.prisma.draft.count({ where: { contactId: c.contact.id } })).toBe(0);
    }
  });

  it('waits while the thank-you is still in the mailbox', async () => {
    const { contact, email, key } = await dueContact('Fay');
    await stack.app.prisma.draft.create({
      data: {
        idempotencyKey: `thank_you-test-${contact.id}`,
        kind: 'thank_you',
        userId,
        accountId,
        contactId: contact.id,
        dueAt: new Date(Date.now() - HOUR),
        status: 'created',
      },
    });
    expect(await checkInJob(stack.app, fired({ contactId: contact.id, key }))).toMatchObject({
      outcome: 'skipped',
      why: 'waiting for thank_you draft',
    });
    expect(draftsTo(email)).toHaveLength(0);
  });
});
