// Job `check-in`: when a check-in falls due, first asks the mailbox whether mail was exchanged
// with the contact since the step began (any mail resets the clock: skip and re-time); otherwise
// drafts the low-pressure check-in for the user to review.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { checkInFacts, pendingDraft } from '../core/check-in-facts.ts';
import { requestContactPlan } from '../core/request-plan.ts';
import { planCheckIn } from '../pipeline/plan-check-in.ts';
import { jobData, jobSchemas } from '../queues/queues.ts';
import { createDraft } from './create-draft.ts';
import { withProvider } from '../provider-policy.ts';

export async function checkInJob(app: App, job: Job | undefined, token?: string) {
  const { contactId, key } = jobSchemas['check-in'].parse(jobData('check-in', job));
  const now = app.now();
  const loaded = await checkInFacts(app, contactId);
  if (!loaded || loaded.plan.status !== 'active') return { key, outcome: 'skipped', why: 'no active plan' };
  const decision = planCheckIn(loaded.facts, app.policy, now);
  if (decision.action?.key !== key) {
    await requestContactPlan(app, contactId);
    return { key, outcome: 'skipped', why: 'plan changed' };
  }
  const pending = await pendingDraft(app, contactId);
  if (pending && pending.idempotencyKey !== key)
    return { key, outcome: 'skipped', why: `waiting for ${pending.kind} draft` };
  const contact = loaded.plan.contact;
  const account = await mailboxAccountFor(app, contactId, contact.userId);
  if (!account) return { key, outcome: 'skipped', why: 'no active account' };

  const last = await withProvider(app, job, token, account, ({ mailbox }) =>
    mailbox.lastMailExchanged(contact.email, loaded.plan.anchorAt),
  );
  if (last && last > loaded.plan.anchorAt) {
    await app.prisma.contact.update({ where: { id: contactId }, data: { lastMailExchangedAt: last } });
    await app.prisma.checkInPlan.update({
      where: { contactId },
      data: { anchorAt: last, unansweredCount: 0 },
    });
    await requestContactPlan(app, contactId);
    return { key, outcome: 'skipped', why: `mail exchanged ${last.toISOString()}` };
  }
  await app.prisma.draft.upsert({
    where: { idempotencyKey: key },
    create: {
      idempotencyKey: key,
      kind: 'check_in',
      userId: contact.userId,
      accountId: account.id,
      contactId,
      dueAt: now,
    },
    update: {},
  });
  return createDraft(app, key, job, token);
}

/** The mailbox to draft from: the account of the latest chat with the contact, else the user's first active one. */
async function mailboxAccountFor(app: App, contactId: string, userId: string) {
  const chat = await app.prisma.chat.findFirst({
    where: { contactId, account: { status: 'active' } },
    orderBy: { startUtc: 'desc' },
    include: { account: true },
  });
  if (chat) return chat.account;
  return app.prisma.account.findFirst({ where: { userId, status: 'active' }, orderBy: { createdAt: 'asc' } });
}
