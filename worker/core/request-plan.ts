// "Plan again": queue a plan job for a chat or a contact, due now. Each request gets its own job
// id (a plan already running may have read older state); the plan jobs take a per-key lock.
import type { App } from '../app.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

export async function requestChatPlan(app: App, chatId: string): Promise<void> {
  const now = app.now();
  await scheduleJob(
    app.queues,
    'plan-chat',
    { chatId },
    { jobId: `plan-chat-${chatId}-${now.getTime()}`, dueAt: now, now },
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
