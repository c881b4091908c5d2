// Send detection when the provider does not keep our Message-ID (issue 11 items 6–8), on the
// sandbox, a real database and real Redis, through the job functions: the user sends the
// thank-you and two check-ins from the mail client (Gmail's composer: Gmail's own Message-ID;
// classic Outlook: a new internetMessageId, once also without our marker). Each is recorded as
// sent, not as discarded, so the cadence goes on: the third check-in is still drafted (before,
// two "deleted" check-ins in a row stopped it).
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { addAccount } from '../../worker/core/accounts.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Kind } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const MIN = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function attempt(name: string, data: object): Job {
  return { name, data, attemptsMade: 0, opts: ACTION_JOB_OPTIONS, id: `test-${name}` } as unknown as Job;
}

describe.each<Kind>(['google', 'microsoft'])('send detection on %s', (kind) => {
  let stack: Stack;

  beforeAll(async () => {
    // A cadence under a day keeps check-ins out of business-hour shifts (no wall-clock dependence).
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT2S' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The user presses Send in the mail client (variant: which client, for Outlook). */
  function sendFromClient(email: string, draftId: string, step: number) {
    if (kind === 'google') return stack.sandbox.google.sendDraftAsUser(email, draftId);
    return stack.sandbox.microsoft.sendDraft(email, draftId, {
      newInternetMessageId: true,
      dropExtendedProperties: step === 2, // the last fallback: conversation + recipient + time
    });
  }

  it('a thank-you and two check-ins sent from the mail client are sent, and the third check-in is drafted', async () => {
    const f = fixture(stack.sandbox, kind, `send-${kind}`);
    const { account } = await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
    });
    const now = Date.now();
    f.seed({
      title: 'Coffee chat with Priya',
      start: new Date(now - 40 * MIN),
      minutes: 30,
      others: [{ email: 'priya@example.org', name: 'Priya Raman' }],
    });
    await syncAccount(stack.app, account.id);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { accountId: account.id } });
    await planChat(stack.app, chat.id);
    const thanks = await stack.app.prisma.draft.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'thank_you' },
    });
    expect((await createDraft(stack.app, thanks.idempotencyKey)).outcome).toBe('created');
    const made = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: thanks.id } });
    expect(made.threadId).toBeTruthy();

    await sendFromClient(f.email, made.providerDraftId!, 0);
    expect(await trackDrafts(stack.app, account.id)).toMatchObject({ sent: 1, deleted: 0 });
    expect(await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: thanks.id } })).toMatchObject({
      status: 'sent',
    });

    const contactId = chat.contactId;
    for (let step = 0; step < 3; step++) {
      const planned = (await planContact(stack.app, contactId)) as { outcome: string; key?: string };
      expect(planned).toMatchObject({ outcome: 'scheduled' });
      // Due PT2S after the last send: fire the job until it drafts (before that it waits).
      let outcome = '';
      for (let i = 0; i < 40 && outcome !== 'created'; i++) {
        outcome = (await checkInJob(stack.app, attempt('check-in', { contactId, key: planned.key }))).outcome;
        if (outcome !== 'created') await sleep(250);
      }
      expect(outcome).toBe('created');
      const checkIn = await stack.app.prisma.draft.findUniqueOrThrow({
        where: { idempotencyKey: planned.key! },
      });
      expect(checkIn.status).toBe('created');
      if (step === 2) break; // the third check-in is drafted: the cadence did not stop
      await sendFromClient(f.email, checkIn.providerDraftId!, step + 1);
      expect(await trackDrafts(stack.app, account.id)).toMatchObject({ sent: 1, deleted: 0 });
      const plan = await stack.app.prisma.checkInPlan.findUniqueOrThrow({ where: { contactId } });
      expect(plan).toMatchObject({ status: 'active', consecutiveDiscards: 0, unansweredCount: step + 1 });
    }
    const drafts = await stack.app.prisma.draft.findMany({
      where: { contactId },
      orderBy: { createdAt: 'asc' },
    });
    expect(drafts.map((d) => [d.kind, d.status])).toEqual([
      ['thank_you', 'sent'],
      ['check_in', 'sent'],
      ['check_in', 'sent'],
      ['check_in', 'created'],
    ]);
  });
});
