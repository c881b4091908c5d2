// Job `plan-contact`: plans the contact's next check-in with the pure cadence policy and makes the
// queue match (or stops the cadence and says why).
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { planCheckIn } from '../pipeline/plan-check-in.ts';
import { jobSchemas } from '../queues/queues.ts';
import { scheduleJob, unscheduleJob } from '../queues/schedule-job.ts';
import { checkInFacts, pendingDraft } from '../core/check-in-facts.ts';
import { withLock } from '../core/locks.ts';

export async function planContactJob(app: App, job: Job | undefined, token?: string) {
  const { contactId } = jobSchemas['plan-contact'].parse(job?.data);
  return withLock(app, `contact-${contactId}`, job, token, () => planContact(app, contactId));
}

export async function planContact(app: App, contactId: string) {
  const now = app.now();
  const loaded = await checkInFacts(app, contactId);
  if (!loaded) return { contactId, outcome: 'no plan' };
  const { plan, facts } = loaded;
  const pending = await pendingDraft(app, contactId);
  const decision = planCheckIn(facts, app.policy, now);
  if (decision.stop) {
    if (pending?.kind === 'check_in' && pending.status === 'scheduled') {
      await unscheduleJob(app.queues, 'check-in', pending.idempotencyKey);
      await app.prisma.draft.update({
        where: { id: pending.id },
        data: { status: 'discarded', lastError: decision.stop },
      });
    }
    await app.prisma.checkInPlan.update({
      where: { id: plan.id },
      data: { status: 'stopped', stopReason: decision.stop },
    });
    return { contactId, outcome: 'stopped', why: decision.stop };
  }
  if (decision.reanchor) {
    await app.prisma.checkInPlan.update({ where: { id: plan.id }, data: { anchorAt: decision.reanchor } });
  }
  if (plan.status === 'stopped') {
    await app.prisma.checkInPlan.update({
      where: { id: plan.id },
      data: { status: 'active', stopReason: null },
    });
  }
  if (!decision.action) return { contactId, outcome: 'nothing due' };
  if (pending?.status === 'created') return { contactId, outcome: 'waiting for the user' };
  await app.prisma.checkInPlan.update({ where: { id: plan.id }, data: { nextAt: decision.action.dueAt } });
  await scheduleJob(
    app.queues,
    'check-in',
    { contactId, key: decision.action.key },
    { jobId: decision.action.key, dueAt: decision.action.dueAt, now },
  );
  return {
    contactId,
    outcome: 'scheduled',
    dueAt: decision.action.dueAt.toISOString(),
    key: decision.action.key,
  };
}
