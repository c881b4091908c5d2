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

/**
 * The chat's plan mark as a run (plan-chat, retract-chat) finds it on starting, under the chat's
 * lock: what it reads of the chat afterwards is at least as new as the request that wrote it.
 */
export async function planMarkSeen(app: App, chatId: string): Promise<Date | null> {
  const chat = await app.prisma.chat.findUnique({ where: { id: chatId }, select: { planWantedAt: true } });
  return chat?.planWantedAt ?? null;
}

/**
 * Clears the mark the run saw on starting, and only that one: a request written since (a newer
 * change, which this run may not have read) keeps its mark until its own run. Compared by value,
 * not by time, so neither a slow ingest nor another host's clock can clear a newer request.
 */
export async function clearPlanMark(
  app: App,
  chatId: string,
  seen: Date | null,
  only: { status?: 'cancelled' } = {},
): Promise<void> {
  if (!seen) return;
  await app.prisma.chat.updateMany({
    where: { id: chatId, planWantedAt: seen, ...only },
    data: { planWantedAt: null },
  });
}
