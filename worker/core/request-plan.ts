// "Plan again": queue a plan job for a chat or a contact, due now. Each request gets its own job
// id (a plan already running may have read older state); the plan jobs take a per-key lock.
import type { App } from '../app.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

/** One plan request's job: the reconciler asks again under the same id (kept if still queued). */
export function chatPlanJobId(chatId: string, wantedAt: Date): string {
  return `plan-chat-${chatId}-${wantedAt.getTime()}`;
}

export async function requestChatPlan(app: App, chatId: string): Promise<void> {
  const now = app.now();
  // Recorded first: if Redis loses the job, the reconciler asks again (Postgres is the record).
  await app.prisma.chat.updateMany({ where: { id: chatId }, data: { planWantedAt: now } });
  await scheduleJob(
    app.queues,
    'plan-chat',
    { chatId },
    { jobId: chatPlanJobId(chatId, now), dueAt: now, now },
  );
}

export async function requestContactPlan(app: App, contactId: string): Promise<void> {
  const now = app.now();
  await scheduleJob(
    app.queues,
    'plan-contact',
    { contactId },
    { jobId: `plan-contact-${contactId}-${now.getTime()}`, dueAt: now, now },
  );
}
