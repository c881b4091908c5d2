// The track-drafts job's counters (issue 12), on the sandbox (Gmail), a real database and real
// Redis, called directly: what the user did with each draft moves the check-in cadence on.
// - a sent thank-you re-anchors the cadence on the send and resets the discard count;
// - a sent check-in advances the step and counts one more unanswered check-in (three stop them);
// - a check-in deleted unsent advances the step and counts one more discard (two in a row stop them);
// - a draft still waiting changes nothing;
// - an account with nothing to follow costs one SQL statement and no provider call (issue 14).
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { addAccount } from '../../worker/core/accounts.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { countStatements } from '../../scripts/bench/sql-count.ts';
import { fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(90_000);
const HOUR = 3_600_000;

describe('the track-drafts job', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A cadence under a day keeps check-ins out of business-hour shifts (no wall-clock dependence).
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT1H' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  let n = 0;
  /** A mailbox of its own (track-drafts looks at every draft of the account). */
  async function mailbox() {
    n += 1;
    const f = fixture(stack.sandbox, 'google', `track-${n}`);
    const { account } = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: f.refreshToken,
      email: f.email,
    });
    return { f, account };
  }
  /** A draft to the contact, made in its mailbox by the real create-draft path. */
  async function outreachDraft(account: { id: string; userId: string }, contactId: string, key: string) {
    await stack.app.prisma.draft.create({
      data: {
        idempotencyKey: key,
        kind: 'outreach',
        userId: account.userId,
        accountId: account.id,
        contactId,
        dueAt: new Date(),
        context: { why: 'to learn about your work' },
      },
    });
    expect(await createDraft(stack.app, key)).toMatchObject({ outcome: 'created' });
  }
  const planOf = (contactId: string) =>
    stack.app.prisma.checkInPlan.findUniqueOrThrow({ where: { contactId } });

  /** A check-in drafted for a contact whose plan stands at `plan` (anchor 2 h ago: due now). */
  async function checkInDraft(plan: { step: number; unansweredCount: number; consecutiveDiscards: number }) {
    const { f, account } = await mailbox();
    const contact = await stack.app.prisma.contact.create({
      data: { userId: account.userId, email: `c${n}@example.org`, name: `Contact ${n}` },
    });
    const anchorAt = new Date(Date.now() - 2 * HOUR);
    await stack.app.prisma.checkInPlan.create({
      data: { contactId: contact.id, anchorAt, nextAt: anchorAt, ...plan },
    });
    const { key } = (await planContact(stack.app, contact.id)) as { key: string };
    const job = {
      name: 'check-in',
      data: { contactId: contact.id, key },
      attemptsMade: 0,
      opts: ACTION_JOB_OPTIONS,
    };
    expect(await checkInJob(stack.app, job as unknown as Job)).toMatchObject({ outcome: 'created' });
    const draft = await stack.app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: key } });
    return { f, account, contact, draft };
  }

  it('a draft still waiting in the mailbox changes nothing', async () => {
    const { account, contact, draft } = await checkInDraft({
      step: 0,
      unansweredCount: 1,
      consecutiveDiscards: 1,
    });
    const before = await planOf(contact.id);
    expect(await trackDrafts(stack.app, account.id)).toEqual({ checked: 1, sent: 0, deleted: 0 });
    expect((await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe(
      'created',
    );
    expect(await planOf(contact.id)).toMatchObject({
      step: 0,
      unansweredCount: 1,
      consecutiveDiscards: 1,
      anchorAt: before.anchorAt,
    });
  });

  it('a sent check-in advances the step, counts one more unanswered check-in and resets the discards', async () => {
    const { f, account, contact, draft } = await checkInDraft({
      step: 1,
      unansweredCount: 1,
      consecutiveDiscards: 1,
    });
    await stack.sandbox.google.sendDraftAsUser(f.email, draft.providerDraftId!);
    expect(await trackDrafts(stack.app, account.id)).toEqual({ checked: 1, sent: 1, deleted: 0 });
    const sent = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    expect(sent.status).toBe('sent');
    expect(sent.sentAt).toBeTruthy();
    const plan = await planOf(contact.id);
    expect(plan).toMatchObject({ step: 2, unansweredCount: 2, consecutiveDiscards: 0 });
    expect(plan.anchorAt.getTime()).toBe(sent.sentAt!.getTime());
    expect(
      (await stack.app.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } })).lastMailExchangedAt,
    ).toEqual(sent.sentAt);
    // The third unanswered check-in ends the cadence: nothing more is planned.
    await stack.app.prisma.checkInPlan.update({
      where: { contactId: contact.id },
      data: { unansweredCount: 3 },
    });
    expect(await planContact(stack.app, contact.id)).toMatchObject({ outcome: 'stopped' });
  });

  it('a check-in deleted unsent advances the step and counts one more discard, not an unanswered one', async () => {
    const { f, account, contact, draft } = await checkInDraft({
      step: 0,
      unansweredCount: 1,
      consecutiveDiscards: 0,
    });
    stack.sandbox.google.deleteDraftAsUser(f.email, draft.providerDraftId!);
    expect(await trackDrafts(stack.app, account.id)).toEqual({ checked: 1, sent: 0, deleted: 1 });
    expect((await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe(
      'discarded',
    );
    expect(await planOf(contact.id)).toMatchObject({ step: 1, unansweredCount: 1, consecutiveDiscards: 1 });
  });

  it('a sent thank-you re-anchors the cadence on the send and resets the discards', async () => {
    const { f, account } = await mailbox();
    const contact = await stack.app.prisma.contact.create({
      data: { userId: account.userId, email: 'thanked@example.org', name: 'Thanked' },
    });
    const anchorAt = new Date(Date.now() - 5 * HOUR);
    await stack.app.prisma.checkInPlan.create({
      data: { contactId: contact.id, anchorAt, nextAt: anchorAt, consecutiveDiscards: 1, unansweredCount: 1 },
    });
    const key = `outreach-track-${n}`; // any draft to the contact; made by the real create-draft path
    await outreachDraft(account, contact.id, key);
    // The row is a thank-you for the counters (its chat is irrelevant to tracking).
    const draft = await stack.app.prisma.draft.update({
      where: { idempotencyKey: key },
      data: { kind: 'thank_you' },
    });
    await stack.sandbox.google.sendDraftAsUser(f.email, draft.providerDraftId!);
    expect(await trackDrafts(stack.app, account.id)).toEqual({ checked: 1, sent: 1, deleted: 0 });
    const sent = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    const plan = await planOf(contact.id);
    expect(plan.anchorAt.getTime()).toBe(sent.sentAt!.getTime());
    expect(plan).toMatchObject({ step: 0, consecutiveDiscards: 0, unansweredCount: 1 });
  });

  it('a round lists the drafts once: only a draft missing from the list is asked about alone', async () => {
    const { f, account } = await mailbox();
    const drafts = [];
    for (let i = 0; i < 4; i++) {
      const contact = await stack.app.prisma.contact.create({
        data: { userId: account.userId, email: `listed${n}-${i}@example.org`, name: `Listed ${i}` },
      });
      const key = `outreach-listed-${n}-${i}`;
      await outreachDraft(account, contact.id, key);
      drafts.push(await stack.app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: key } }));
    }
    const callsOf = async (round: () => Promise<unknown>) => {
      const from = stack.sandbox.requests.length;
      await round();
      return stack.sandbox.requests
        .slice(from)
        .filter((r) => r.account === f.email && !r.endpoint.includes('token'))
        .map((r) => r.endpoint);
    };
    // Four drafts waiting: one listing, no read per draft.
    expect(await callsOf(() => trackDrafts(stack.app, account.id))).toEqual([
      'GET /gmail/v1/users/:userId/drafts',
    ]);
    // One of them sent: the listing, then the lookups for that one only.
    await stack.sandbox.google.sendDraftAsUser(f.email, drafts[2]!.providerDraftId!);
    let counts: unknown;
    const calls = await callsOf(async () => (counts = await trackDrafts(stack.app, account.id)));
    expect(counts).toEqual({ checked: 4, sent: 1, deleted: 0 });
    expect(calls[0]).toBe('GET /gmail/v1/users/:userId/drafts');
    expect(calls.filter((c) => c === 'GET /gmail/v1/users/:userId/drafts/:id')).toHaveLength(1);
    expect(
      (await stack.app.prisma.draft.findMany({ where: { accountId: account.id }, select: { status: true } }))
        .map((d) => d.status)
        .sort(),
    ).toEqual(['created', 'created', 'created', 'sent']);
  });

  it('an account with nothing to follow costs one statement; a contact who replied lately is followed', async () => {
    const { f, account } = await mailbox();
    const provider = () =>
      stack.sandbox.requests.filter((r) => r.account === f.email && !r.endpoint.includes('token')).length;
    const before = provider();
    const idle = await countStatements(() => trackDrafts(stack.app, account.id));
    expect(idle.result).toEqual({ checked: 0, sent: 0, deleted: 0 });
    expect(idle.statements).toBe(1);
    expect(provider()).toBe(before);
    // Someone the user asked replied an hour ago and has not been offered times: the round runs
    // (it reads the contacts; offering times is the propose tests' business).
    await stack.app.prisma.contact.create({
      data: {
        userId: account.userId,
        email: `replied${n}@example.org`,
        name: 'Replied',
        repliedAt: new Date(Date.now() - HOUR),
      },
    });
    const busy = await countStatements(() => trackDrafts(stack.app, account.id));
    expect(busy.statements).toBeGreaterThan(1);
  });
});
