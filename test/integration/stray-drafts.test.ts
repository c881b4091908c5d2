// A draft a run made and never recorded (the worker was killed between the provider's create and
// the database write), whose chat is cancelled before the job runs again: the row is set aside, so
// the retry used to skip it and the confirmation stayed in the user's mailbox for a chat that no
// longer exists (the CI's quick soak left one). On the sandbox, a real database and real Redis.
import type { Job } from 'bullmq';
import { addAccount } from '../../worker/core/accounts.ts';
import { claimRow } from '../../worker/core/claim.ts';
import { composeDraft, contentHash, draftedText } from '../../worker/core/compose-draft.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { refreshDraft } from '../../worker/jobs/refresh-draft.ts';
import { reconcile } from '../../worker/jobs/reconcile.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from '../e2e/provider-fixtures.ts';

const HOUR = 60 * 60_000;

function run(key: string, attemptsMade = 0): Job {
  return {
    name: 'create-draft',
    data: { key },
    attemptsMade,
    opts: ACTION_JOB_OPTIONS,
    id: key,
  } as unknown as Job;
}

describe.each(['google', 'microsoft'] as const)(
  'a draft made by a run that died, then its chat cancelled (%s)',
  (kind) => {
    let stack: Stack;
    let f: Fixture;
    let accountId: string;
    beforeAll(async () => {
      stack = await startStack();
      f = fixture(stack.sandbox, kind, `stray-${kind[0]}`);
      accountId = (
        await addAccount(stack.app, { provider: kind, refreshToken: f.refreshToken, email: f.email })
      ).account.id;
    });
    afterAll(async () => {
      await stack?.close();
    });
    const draftsTo = (who: string) => f.drafts().filter((d) => d.to.includes(who));

    /**
     * A confirmed chat whose confirmation a run asked the provider to make (and made, unless
     * `reached` is false) and died before recording; then the chat is cancelled, or moved to
     * `moveTo`.
     */
    async function madeAndDied(who: string, then: { moveTo?: Date; reached?: boolean } = {}) {
      const seeded = f.seed({
        title: `Coffee chat with ${who}`,
        start: new Date(Date.now() + 20 * HOUR), // the confirmation is due at once
        minutes: 30,
        others: [{ email: who }],
      });
      await syncAccount(stack.app, accountId);
      const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { contact: { email: who } } });
      await planChat(stack.app, chat.id);
      const draft = await stack.app.prisma.draft.findFirstOrThrow({
        where: { chatId: chat.id, kind: 'confirmation' },
        include: { account: true, user: true, contact: true, chat: { include: { contact: true } } },
      });
      // What create-draft does up to the provider's answer, then the worker is killed.
      expect(await claimRow(stack.app, 'draft', draft.id)).toMatchObject({ claimed: true, fresh: true });
      const content = await composeDraft(stack.app, draft);
      await stack.app.prisma.draft.update({
        where: { id: draft.id },
        data: { createAttemptedAt: new Date(), subject: content.subject, draftedText: draftedText(content) },
      });
      const { mailbox } = await stack.app.providers(draft.account);
      const reached = then.reached ?? true;
      const ref = reached ? await mailbox.createDraft({ marker: draft.idempotencyKey, ...content }) : null;
      expect(draftsTo(who)).toHaveLength(reached ? 1 : 0);
      // The lease runs out with the worker gone; before BullMQ runs the job again, the chat is cancelled.
      await stack.app.prisma.draft.update({
        where: { id: draft.id },
        data: { claimedUntil: new Date(Date.now() - 1) },
      });
      if (then.moveTo) f.move(seeded.id, then.moveTo, 30);
      else f.cancel(seeded.id);
      await syncAccount(stack.app, accountId);
      await planChat(stack.app, chat.id);
      const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
      // Cancelled: set aside (its copy is taken back). Moved: still wanted, whatever the new time.
      expect(row.status).toBe(then.moveTo ? 'scheduled' : 'set_aside');
      return { draft, ref: ref!, mailbox, content };
    }

    /**
     * The next run looks once and settles the row: skipped (`why`), no draft to `who` left, set
     * aside and marked looked-at, so a later run asks the provider nothing.
     */
    async function settledInOneLook(draft: { id: string; idempotencyKey: string }, who: string, why: RegExp) {
      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out).toMatchObject({ outcome: 'skipped' });
      expect(out.why).toMatch(why);
      expect(draftsTo(who)).toHaveLength(0);
      const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
      expect(row.status).toBe('set_aside');
      expect(row.strayCheckedAt).not.toBeNull();
      const calls = stack.sandbox.requests.length;
      await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey, 1));
      expect(stack.sandbox.requests.length).toBe(calls);
    }

    it('is taken back by the next run of its job, which the reconciler puts back when Redis lost it', async () => {
      const who = 'ines@example.org';
      const { draft } = await madeAndDied(who);
      // The plan kept the job (due now) instead of dropping it; Redis then loses everything.
      expect(await stack.app.queues.actions.getJob(draft.idempotencyKey)).toBeTruthy();
      await stack.app.queues.actions.obliterate({ force: true });
      const rebuilt = await reconcile(stack.app, 'test');
      expect(rebuilt.added.drafts).toBeGreaterThanOrEqual(1);
      expect(await stack.app.queues.actions.getJob(draft.idempotencyKey)).toBeTruthy();

      await settledInOneLook(draft, who, /taken back/);
      // Nor does the reconciler.
      await stack.app.queues.actions.obliterate({ force: true });
      await reconcile(stack.app, 'test');
      expect(await stack.app.queues.actions.getJob(draft.idempotencyKey)).toBeFalsy();
    });

    it('one the user has started editing stays theirs', async () => {
      const who = 'oskar@example.org';
      const { draft, ref, mailbox, content } = await madeAndDied(who);
      // The user opened it and wrote a line of their own before the job ran again.
      await mailbox.updateDraft(ref.draftId, {
        marker: draft.idempotencyKey,
        ...content,
        text: `${content.text}\nSee you there!`,
        ...(content.html ? { html: `${content.html}<p>See you there!</p>` } : {}),
      });

      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out.why).toMatch(/edited, left alone/);
      expect(draftsTo(who)).toHaveLength(1);
      const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
      expect(row.status).toBe('set_aside');
      expect(row.strayCheckedAt).not.toBeNull();
    });

    it('so does one whose subject alone the user changed', async () => {
      const who = 'pia@example.org';
      const { draft, ref, mailbox, content } = await madeAndDied(who);
      await mailbox.updateDraft(ref.draftId, {
        marker: draft.idempotencyKey,
        ...content,
        subject: 'Quick question before we meet',
      });
      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out.why).toMatch(/edited, left alone/);
      expect(draftsTo(who)).toHaveLength(1);
    });

    it('waits while another run holds the row, and then takes the copy back', async () => {
      const who = 'ravi@example.org';
      const { draft } = await madeAndDied(who);
      // A run still at work on the row (its lease is live): the clean-up must not race it.
      const until = new Date(Date.now() + 20_000);
      await stack.app.prisma.draft.update({ where: { id: draft.id }, data: { claimedUntil: until } });
      const waited = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(waited.outcome).toBe('skipped');
      expect(draftsTo(who)).toHaveLength(1);
      // The lease ends (that run died): the next run takes the copy back.
      await stack.app.prisma.draft.update({
        where: { id: draft.id },
        data: { claimedUntil: new Date(Date.now() - 1) },
      });
      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out.why).toMatch(/taken back/);
      expect(draftsTo(who)).toHaveLength(0);
    });

    // The CI's quick soak lost one this way: the chat moved to an hour away while the outcome of
    // the create was unknown. A confirmation is not started that close to a chat, so the planner
    // dropped it and the clean-up deleted a draft the user could already see; one recorded would
    // have been kept and moved to the new time.
    it('is kept and brought to the new time when the chat moves to within the confirmation cutoff', async () => {
      const who = 'tomas@example.org';
      const soon = new Date(Date.now() + HOUR);
      const { draft, content } = await madeAndDied(who, { moveTo: soon });
      const words = (t: string) => t.replace(/\s+/g, ' ').trim();
      expect(words(draftsTo(who)[0]!.text)).toBe(words(content.text));

      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out.outcome).toBe('found');
      const row = await stack.app.prisma.draft.findUniqueOrThrow({
        where: { id: draft.id },
        include: { account: true, user: true, contact: true, chat: { include: { contact: true } } },
      });
      expect(row.status).toBe('created');
      // It said the old time: the run that found it wrote the new one (nothing left for later).
      const now = await composeDraft(stack.app, row);
      expect(now.text).not.toBe(content.text);
      const after = draftsTo(who);
      expect(after).toHaveLength(1);
      expect(words(after[0]!.text)).toBe(words(now.text));
      expect(row.version).not.toBeNull();
      expect(row.contentHash).toBe(contentHash(now));
    });

    it('one the user edited meanwhile is recorded as theirs: never rewritten nor taken back', async () => {
      const who = 'vera@example.org';
      const { draft, ref, mailbox, content } = await madeAndDied(who, {
        moveTo: new Date(Date.now() + HOUR),
      });
      await mailbox.updateDraft(ref.draftId, {
        marker: draft.idempotencyKey,
        ...content,
        text: `${content.text}\nLooking forward to it!`,
        ...(content.html ? { html: `${content.html}<p>Looking forward to it!</p>` } : {}),
      });
      const out = await createDraft(stack.app, draft.idempotencyKey, run(draft.idempotencyKey));
      expect(out.outcome).toBe('found');
      const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
      expect(row.status).toBe('created');
      expect(row.version).toBeNull();
      // The chat moves again: the refresh leaves their text alone.
      expect(await refreshDraft(stack.app, draft.idempotencyKey)).toMatchObject({ outcome: 'unchanged' });
      await stack.app.prisma.draft.update({ where: { id: draft.id }, data: { contentHash: 'older' } });
      expect(await refreshDraft(stack.app, draft.idempotencyKey)).toMatchObject({ outcome: 'edited' });
      expect(draftsTo(who)[0]!.text).toContain('Looking forward to it!');
    });

    it('none is started when the run never reached the provider and the chat moved that close', async () => {
      const who = 'uma@example.org';
      const { draft } = await madeAndDied(who, { moveTo: new Date(Date.now() + HOUR), reached: false });
      await settledInOneLook(draft, who, /too close/);
    });
  },
);
