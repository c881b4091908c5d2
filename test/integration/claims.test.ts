// One claim rule for every provider write (issue 12, "Nothing duplicated" 6), on the sandbox, a
// real database and real Redis: a run that died after the provider call, a second run of the same
// job while the first is slow (stalled past BullMQ's lockDuration, still alive), and a cancel that
// lands while a run is at the provider never leave a second draft or prep block, nor revive a row.
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { addAccount } from '../../worker/core/accounts.ts';
import { claimRow } from '../../worker/core/claim.ts';
import { prepEvent } from '../../worker/core/compose-prep.ts';
import { composeDraft } from '../../worker/core/compose-draft.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { createPrep } from '../../worker/jobs/create-prep.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { reconcile } from '../../worker/jobs/reconcile.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** What BullMQ hands a job run; a run after a crash still says attemptsMade 0. */
function run(name: string, data: object, attemptsMade = 0): Job {
  return { name, data, attemptsMade, opts: ACTION_JOB_OPTIONS, id: `test-${name}` } as unknown as Job;
}

describe('one claim rule for every provider write', () => {
  let stack: Stack;
  let f: Fixture;
  let accountId: string;

  beforeAll(async () => {
    stack = await startStack();
    f = fixture(stack.sandbox, 'google', 'claims-g');
    accountId = (
      await addAccount(stack.app, {
        provider: 'google',
        refreshToken: f.refreshToken,
        email: f.email,
        name: 'Maya Chen',
      })
    ).account.id;
  });
  const apps: App[] = [];
  /** The same database and queues, with the clock at a given moment. */
  async function at(t: Date): Promise<App> {
    const app = await createApp({
      config: stack.config,
      db: stack.app.db,
      log: pino({ level: 'silent' }),
      now: () => t,
    });
    apps.push(app);
    return app;
  }
  afterAll(async () => {
    for (const a of apps) await a.close();
    stack.sandbox.faults.clear();
    await stack?.close();
  });

  /** A chat with `who` starting `hoursAhead` from now, synced and planned. */
  async function chatWith(who: string, hoursAhead: number) {
    const seeded = f.seed({
      title: `Coffee chat with ${who}`,
      start: new Date(Date.now() + hoursAhead * HOUR),
      minutes: 30,
      others: [{ email: `${who.toLowerCase()}@example.org`, name: who }],
    });
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({
      where: { contact: { email: `${who.toLowerCase()}@example.org` } },
      include: { account: true, contact: true, user: true },
    });
    await planChat(stack.app, chat.id);
    return { chat, seeded };
  }
  const preps = (who: string) => f.createdEvents().filter((e) => e.title.includes(who));
  const draftsTo = (who: string) =>
    f.drafts().filter((d) => d.to.includes(`${who.toLowerCase()}@example.org`));

  it('finds the prep block a crashed run made (BullMQ re-runs it with attemptsMade 0) instead of making a second', async () => {
    const { chat } = await chatWith('Olu', 20);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    // The crashed run: it claimed the entry, created the block at Google, and died before recording it.
    const claim = await claimRow(stack.app, 'entry', entry.id);
    expect(claim).toMatchObject({ claimed: true, fresh: true });
    const { calendar } = await stack.app.providers(chat.account);
    await calendar.createEvent(entry.calendarId, prepEvent(stack.app, chat, entry));
    expect(preps('Olu')).toHaveLength(1);
    // Its lease ran out (the worker is gone); BullMQ hands the job to another worker.
    await stack.app.prisma.calendarEntry.update({
      where: { id: entry.id },
      data: { claimedUntil: new Date(Date.now() - 1) },
    });

    const out = await createPrep(
      stack.app,
      entry.idempotencyKey,
      run('create-prep', { key: entry.idempotencyKey }),
    );
    expect(out.outcome).toBe('found');
    expect(preps('Olu')).toHaveLength(1);
    const after = await stack.app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: entry.id } });
    expect(after.providerEventId).toBe(preps('Olu')[0]!.id);
  });

  it('a prep block made by a run that never recorded it is removed when its chat is taken back meanwhile', async () => {
    const { chat } = await chatWith('Lumi', 20);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    // A run claimed the entry and made the block at Google, then died (or failed to delete it
    // again) before recording it; meanwhile the chat was cancelled and its plan took the entry back.
    await claimRow(stack.app, 'entry', entry.id);
    const { calendar } = await stack.app.providers(chat.account);
    await calendar.createEvent(entry.calendarId, prepEvent(stack.app, chat, entry));
    expect(preps('Lumi')).toHaveLength(1);
    await stack.app.prisma.calendarEntry.update({
      where: { id: entry.id },
      data: { deleted: true, claimedUntil: new Date(Date.now() - 1) },
    });
    // Redis lost the job meanwhile: the reconciler puts it back from the row.
    await stack.app.queues.actions.obliterate({ force: true });
    await reconcile(stack.app, 'test');
    expect(await stack.app.queues.actions.getJob(entry.idempotencyKey)).toBeTruthy();

    // The job's retry (or the same job handed to another worker) finds it by its marker.
    const out = await createPrep(
      stack.app,
      entry.idempotencyKey,
      run('create-prep', { key: entry.idempotencyKey }, 1),
    );
    expect(out.outcome).toBe('skipped');
    expect(preps('Lumi')).toHaveLength(0);
    // Looked once: a further run does not ask the provider again.
    const calls = stack.sandbox.requests.length;
    await createPrep(stack.app, entry.idempotencyKey, run('create-prep', { key: entry.idempotencyKey }, 2));
    expect(stack.sandbox.requests.length).toBe(calls);
    await stack.app.queues.actions.obliterate({ force: true });
    await reconcile(stack.app, 'test');
    expect(await stack.app.queues.actions.getJob(entry.idempotencyKey)).toBeFalsy();
  });

  it('a Google prep block carries an id derived from its marker: a blind second create gets 409, not a second event', async () => {
    const { chat } = await chatWith('Rafa', 22);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    const { calendar } = await stack.app.providers(chat.account);
    const event = prepEvent(stack.app, chat, entry);
    const first = await calendar.createEvent(entry.calendarId, event);
    expect(first.providerEventId).toMatch(/^[a-v0-9]{5,1024}$/);
    // The same marker again (a run that did not look): the same event comes back, not a second one.
    const again = await calendar.createEvent(entry.calendarId, event);
    expect(again.providerEventId).toBe(first.providerEventId);
    expect(preps('Rafa')).toHaveLength(1);
  });

  it('a second run of create-draft while the first is slow (stalled, not dead) makes no second draft', async () => {
    const { chat } = await chatWith('Noor', 30);
    const draft = await stack.app.prisma.draft.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'confirmation' },
    });
    // The confirmation is due the day before: run it as if that time had come.
    const due = new Date(chat.startUtc.getTime() - 24 * HOUR + MIN);
    const app = await at(due);
    stack.sandbox.faults.add({
      provider: 'google',
      pathIncludes: '/drafts',
      method: 'POST',
      kind: 'slow',
      delayMs: 2_000,
    });
    const first = createDraft(app, draft.idempotencyKey, run('create-draft', { key: draft.idempotencyKey }));
    await new Promise((r) => setTimeout(r, 700));
    // BullMQ deems the first stalled and hands the job to a second worker.
    const second = await createDraft(
      app,
      draft.idempotencyKey,
      run('create-draft', { key: draft.idempotencyKey }),
    );
    expect(second.outcome).toBe('skipped');
    expect((await first).outcome).toBe('created');
    expect(draftsTo('Noor')).toHaveLength(1);
    stack.sandbox.faults.clear();
  });

  it('a draft whose chat was cancelled while the run was at the provider is not revived, and nothing is left behind', async () => {
    const { chat, seeded } = await chatWith('Ivo', 30);
    const draft = await stack.app.prisma.draft.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'confirmation' },
    });
    const due = new Date(chat.startUtc.getTime() - 24 * HOUR + MIN);
    const app = await at(due);
    stack.sandbox.faults.add({
      provider: 'google',
      pathIncludes: '/drafts',
      method: 'POST',
      kind: 'slow',
      delayMs: 2_000,
    });
    const running = createDraft(
      app,
      draft.idempotencyKey,
      run('create-draft', { key: draft.idempotencyKey }),
    );
    await new Promise((r) => setTimeout(r, 700));
    f.cancel(seeded.id);
    await syncAccount(stack.app, accountId);
    await planChat(stack.app, chat.id);
    expect((await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe(
      'set_aside',
    );

    expect((await running).outcome).toBe('skipped');
    expect((await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe(
      'set_aside',
    );
    expect(draftsTo('Ivo')).toHaveLength(0);
    stack.sandbox.faults.clear();
  });
});

describe.each(['google', 'microsoft'] as const)(
  'a draft made by a run that died, then sent by the user before anything was recorded (%s)',
  (kind) => {
    let stack: Stack;
    let f: Fixture;
    let accountId: string;
    beforeAll(async () => {
      stack = await startStack();
      f = fixture(stack.sandbox, kind, `claims-sent-${kind[0]}`);
      accountId = (
        await addAccount(stack.app, { provider: kind, refreshToken: f.refreshToken, email: f.email })
      ).account.id;
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('is recorded as sent, in its thread, never made a second time', async () => {
      f.seed({
        title: 'Coffee chat with Lea',
        start: new Date(Date.now() + 20 * HOUR), // the confirmation is due at once
        minutes: 30,
        others: [{ email: 'lea@example.org', name: 'Lea Roth' }],
      });
      await syncAccount(stack.app, accountId);
      const chat = await stack.app.prisma.chat.findFirstOrThrow({
        where: { contact: { email: 'lea@example.org' } },
      });
      await planChat(stack.app, chat.id);
      const draft = await stack.app.prisma.draft.findFirstOrThrow({
        where: { chatId: chat.id, kind: 'confirmation' },
        include: { account: true, user: true, contact: true, chat: { include: { contact: true } } },
      });
      // One clock for the worker and the mail server, as in real life.
      const app = stack.app;
      expect(draft.dueAt.getTime()).toBeLessThanOrEqual(Date.now());
      {
        // The run that died: it claimed the row, made the draft, and was killed before recording it.
        expect(await claimRow(app, 'draft', draft.id)).toMatchObject({ claimed: true, fresh: true });
        await app.prisma.draft.update({ where: { id: draft.id }, data: { createAttemptedAt: new Date() } });
        const { mailbox } = await app.providers(draft.account);
        await mailbox.createDraft({ marker: draft.idempotencyKey, ...(await composeDraft(app, draft)) });
        const made = f.drafts().filter((d) => d.to.includes('lea@example.org'));
        expect(made).toHaveLength(1);
        // The user sends it from the mail client (with a Message-ID of its own) before the retry.
        await f.sendDraft(made[0]!.id);
        await app.prisma.draft.update({
          where: { id: draft.id },
          data: { claimedUntil: new Date(Date.now() - 1) },
        });

        const out = await createDraft(
          app,
          draft.idempotencyKey,
          run('create-draft', { key: draft.idempotencyKey }),
        );
        expect(out.outcome).toBe('found');
        expect(f.drafts().filter((d) => d.to.includes('lea@example.org'))).toHaveLength(0);
        const row = await app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
        expect(row.status).toBe('sent');
        expect(row.sentAt).not.toBeNull();
        // The thread is kept: a reply there is theirs (reply tracking, a follow-up's thread).
        expect(row.threadId).toBeTruthy();
        expect(row.subject).toBe(made[0]!.subject);
      }
    });

    it('a retry whose earlier run never reached the provider makes the draft, whatever was sent before', async () => {
      f.seed({
        title: 'Coffee chat with Uma',
        start: new Date(Date.now() + 20 * HOUR),
        minutes: 30,
        others: [{ email: 'uma@example.org', name: 'Uma Rao' }],
      });
      await syncAccount(stack.app, accountId);
      const chat = await stack.app.prisma.chat.findFirstOrThrow({
        where: { contact: { email: 'uma@example.org' } },
      });
      await planChat(stack.app, chat.id);
      const draft = await stack.app.prisma.draft.findFirstOrThrow({
        where: { chatId: chat.id, kind: 'confirmation' },
        include: { account: true, user: true, contact: true, chat: { include: { contact: true } } },
      });
      const app = stack.app;
      // The user writes to Uma themselves, with the very subject our confirmation would have.
      const { mailbox } = await app.providers(draft.account);
      const content = await composeDraft(app, draft);
      await mailbox.createDraft({ marker: 'the-users-own-mail', ...content });
      const own = f.drafts().find((d) => d.to.includes('uma@example.org'))!;
      await f.sendDraft(own.id);
      // A run claimed the row and failed before the provider (a database error, a 429 on the
      // token): it never called create.
      expect(await claimRow(app, 'draft', draft.id)).toMatchObject({ claimed: true, fresh: true });
      await app.prisma.draft.update({
        where: { id: draft.id },
        data: { claimedUntil: new Date(Date.now() - 1) },
      });

      const out = await createDraft(
        app,
        draft.idempotencyKey,
        run('create-draft', { key: draft.idempotencyKey }),
      );
      expect(out.outcome).toBe('created');
      expect(f.drafts().filter((d) => d.to.includes('uma@example.org'))).toHaveLength(1);
      expect((await app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe('created');
    });
  },
);
