// Issue 16 items 5 and 6 on both providers' sandboxes, PostgreSQL and real Redis, jobs called
// directly with the data BullMQ would hand them:
// - material queued with `contacts share` / `contacts update` goes into the next check-in draft
//   instead of the placeholder, one item per check-in, oldest first, and is used once that draft is
//   sent;
// - material queued while an unedited check-in waits in the mailbox refreshes it; an edited one
//   is left alone and the material waits for the next check-in;
// - a sent draft records how much the user changed it (normalised edit distance), and `status`
//   reports per kind the share sent with at most a small edit.
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { addAccount } from '../../worker/core/accounts.ts';
import { queueMaterial } from '../../worker/core/check-in-material.ts';
import { getStatus } from '../../worker/core/status.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { refreshDraft } from '../../worker/jobs/refresh-draft.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { SMALL_EDIT } from '../../worker/pipeline/edit-distance.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { stopTestPostgres } from '../helpers/postgres.ts';
import { postgresAvailable } from '../helpers/db.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const HOUR = 3_600_000;
const ARTICLE = 'https://example.org/platform-migrations?part=2&ref=cc';
const PLACEHOLDER = /\[add a two-line update/i;

const db = (await postgresAvailable()) ? ('postgres' as const) : ('embedded' as const);

describe.each<Kind>(['google', 'microsoft'])('check-ins with substance and edit tracking (%s)', (kind) => {
  let stack: Stack;
  let f: Fixture;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    // A cadence under a day keeps check-ins out of business-hour shifts (no wall-clock dependence).
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT1H' }, db });
    f = fixture(stack.sandbox, kind, `substance-${kind}`);
    const { account } = await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
    });
    userId = account.userId;
    accountId = account.id;
  });
  afterAll(async () => {
    await stack?.close();
  });
  if (kind === 'microsoft') afterAll(() => stopTestPostgres());

  const fired = (data: object) =>
    ({ name: 'check-in', data, attemptsMade: 0, opts: ACTION_JOB_OPTIONS, id: 'cc-test' }) as unknown as Job;

  /** Makes the contact's check-in due now and runs the check-in job: the new draft row. */
  async function drafted(contactId: string) {
    const anchorAt = new Date(Date.now() - 2 * HOUR);
    await stack.app.prisma.checkInPlan.upsert({
      where: { contactId },
      create: { contactId, anchorAt, nextAt: anchorAt },
      update: { anchorAt, nextAt: anchorAt, snoozedUntil: null },
    });
    const planned = (await planContact(stack.app, contactId)) as { outcome: string; key: string };
    expect(planned.outcome).toBe('scheduled');
    expect(await checkInJob(stack.app, fired({ contactId, key: planned.key }))).toMatchObject({
      outcome: 'created',
    });
    return stack.app.prisma.draft.findUniqueOrThrow({ where: { idempotencyKey: planned.key } });
  }

  const mailboxDraft = (providerDraftId: string) => {
    const d = f.drafts().find((x) => x.id === providerDraftId);
    if (!d) throw new Error(`no draft ${providerDraftId} in the ${kind} sandbox`);
    return d;
  };

  async function editAsUser(providerDraftId: string, text: string) {
    if (kind === 'google') await stack.sandbox.google.editDraftAsUser(f.email, providerDraftId, { text });
    else stack.sandbox.microsoft.editDraft(f.email, providerDraftId, { text });
  }

  const materialOf = (contactId: string) =>
    stack.app.prisma.contactMaterial.findMany({ where: { contactId }, orderBy: { createdAt: 'asc' } });

  let ada: { id: string; email: string };

  it('the next check-in carries the oldest queued item instead of the placeholder, and asks for nothing', async () => {
    ada = await stack.app.prisma.contact.create({
      data: { userId, email: `ada-${kind}@example.org`, name: 'Ada Byron' },
    });
    await queueMaterial(stack.app, ada.email.toUpperCase(), {
      kind: 'article',
      url: ARTICLE,
      note: 'it covers the platform migration you described',
    });
    await queueMaterial(stack.app, ada.email, {
      kind: 'update',
      text: 'I talked to the platform team before applying, as you suggested',
    });
    const draft = await drafted(ada.id);
    const inMailbox = mailboxDraft(draft.providerDraftId!);
    const text = inMailbox.text;
    expect(text).not.toMatch(PLACEHOLDER);
    expect(text).toContain(
      "I read something I thought you'd value (it covers the platform migration you described)",
    );
    expect(text).toContain(ARTICLE);
    expect(inMailbox.html).toContain(`href="${ARTICLE.replace(/&/g, '&amp;').replace(/=/g, '&#x3D;')}"`);
    // One item per check-in: the update waits for the next one.
    expect(text).not.toContain('platform team before applying');
    expect(text).not.toMatch(/\?\s*$/m); // no question to answer
    const [article, update] = await materialOf(ada.id);
    expect(article).toMatchObject({ kind: 'article', draftId: draft.id, usedAt: null });
    expect(update).toMatchObject({ kind: 'update', draftId: null, usedAt: null });
    expect(draft.draftedText).toContain(ARTICLE);
  });

  it('sent unedited: the item is used, and the draft records (almost) no edit', async () => {
    const draft = await stack.app.prisma.draft.findFirstOrThrow({
      where: { contactId: ada.id, status: 'created' },
    });
    await f.sendDraft(draft.providerDraftId!);
    expect(await trackDrafts(stack.app, accountId)).toMatchObject({ sent: 1 });
    const sent = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    expect(sent.status).toBe('sent');
    expect(sent.editDistance).not.toBeNull();
    expect(sent.editDistance!).toBeLessThanOrEqual(0.02);
    const [article, update] = await materialOf(ada.id);
    expect(article!.usedAt?.getTime()).toBe(sent.sentAt!.getTime());
    expect(update!.usedAt).toBeNull();
  });

  it('the following check-in carries the next item; rewritten before sending, it records a large edit', async () => {
    const draft = await drafted(ada.id);
    const text = mailboxDraft(draft.providerDraftId!).text;
    expect(text).toContain('I talked to the platform team before applying, as you suggested.');
    expect(text).not.toContain(ARTICLE);
    await editAsUser(
      draft.providerDraftId!,
      'Hi Ada,\n\nQuick note: I took your advice and met the platform team last week. It went well, and I start on their project in January.\n\nThanks again,\nMaya',
    );
    await f.sendDraft(draft.providerDraftId!);
    expect(await trackDrafts(stack.app, accountId)).toMatchObject({ sent: 1 });
    const sent = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    expect(sent.editDistance!).toBeGreaterThan(SMALL_EDIT);
    const [, update] = await materialOf(ada.id);
    expect(update).toMatchObject({ draftId: draft.id });
    expect(update!.usedAt).not.toBeNull();
  });

  it('material queued while an unedited check-in waits refreshes it; an edited one is left alone', async () => {
    const bo = await stack.app.prisma.contact.create({
      data: { userId, email: `bo-${kind}@example.org`, name: 'Bo Lind' },
    });
    const draft = await drafted(bo.id);
    expect(mailboxDraft(draft.providerDraftId!).text).toMatch(PLACEHOLDER);
    const queued = await queueMaterial(stack.app, bo.email, {
      kind: 'update',
      text: 'I shipped the demo you sketched',
    });
    expect(queued.refreshing).toBe(true);
    const jobs = await stack.app.queues.actions.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.some((j) => j?.name === 'refresh-draft' && j.data.key === draft.idempotencyKey)).toBe(true);
    expect(await refreshDraft(stack.app, draft.idempotencyKey)).toMatchObject({ outcome: 'updated' });
    const row = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: draft.id } });
    const now = mailboxDraft(row.providerDraftId!).text;
    expect(now).toContain('I shipped the demo you sketched.');
    expect(now).not.toMatch(PLACEHOLDER);
    expect((await materialOf(bo.id))[0]).toMatchObject({ draftId: draft.id });

    // Cy's check-in is edited by the user before the article is queued: it stays as the user left it.
    const cy = await stack.app.prisma.contact.create({
      data: { userId, email: `cy-${kind}@example.org`, name: 'Cy Park' },
    });
    const cyDraft = await drafted(cy.id);
    await editAsUser(cyDraft.providerDraftId!, 'Hi Cy, my own words here.');
    await queueMaterial(stack.app, cy.email, { kind: 'article', url: ARTICLE });
    expect(await refreshDraft(stack.app, cyDraft.idempotencyKey)).toMatchObject({ outcome: 'edited' });
    const cyRow = await stack.app.prisma.draft.findUniqueOrThrow({ where: { id: cyDraft.id } });
    expect(mailboxDraft(cyRow.providerDraftId!).text).toContain('my own words here');
    expect(mailboxDraft(cyRow.providerDraftId!).text).not.toContain(ARTICLE);
    // Still waiting for Cy's next check-in.
    expect((await materialOf(cy.id))[0]).toMatchObject({ draftId: null, usedAt: null });

    // Cy deletes that draft: the article goes into the next check-in.
    if (kind === 'google') stack.sandbox.google.deleteDraftAsUser(f.email, cyRow.providerDraftId!);
    else stack.sandbox.microsoft.deleteDraft(f.email, cyRow.providerDraftId!);
    expect(await trackDrafts(stack.app, accountId)).toMatchObject({ deleted: 1 });
    const next = await drafted(cy.id);
    expect(mailboxDraft(next.providerDraftId!).text).toContain(ARTICLE);
  });

  it('sentText reads a sent message as text (the provider mailbox method), null once it is gone', async () => {
    const account = await stack.app.prisma.account.findUniqueOrThrow({ where: { id: accountId } });
    const { mailbox } = await stack.app.providers(account);
    const sent = await stack.app.prisma.draft.findFirstOrThrow({
      where: { contactId: ada.id, status: 'sent' },
      orderBy: { sentAt: 'asc' },
    });
    const state = await mailbox.draftState({
      draftId: sent.providerDraftId!,
      internetMessageId: sent.internetMessageId!,
      threadId: sent.threadId,
      madeAfter: new Date(sent.draftedAt!.getTime() - 5 * 60_000),
      to: ada.email,
      marker: sent.idempotencyKey,
    });
    expect(state).toMatchObject({ state: 'sent', messageId: expect.any(String) });
    const text = await mailbox.sentText((state as { messageId: string }).messageId);
    expect(text).toContain('Hi Ada,');
    expect(text).toContain(ARTICLE);
    expect(text).not.toMatch(/<[a-z]/i);
    const gone = kind === 'google' ? '18c0ffee00000000' : 'AAMkAGI2TG93AAA=';
    expect(await mailbox.sentText(gone)).toBeNull();
  });

  it('status reports, per kind, the share of sent drafts with at most a small edit', async () => {
    const s = await getStatus(stack.app.prisma, stack.app.now(), { userId });
    expect(s.edits).toEqual([
      { kind: 'check_in', sent: 2, measured: 2, smallEdit: 1, share: 0.5, median: expect.any(Number) },
    ]);
  });
});
