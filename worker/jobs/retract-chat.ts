// Job `retract-chat` (actions queue): takes back what the worker made for a chat that was
// cancelled or declined: drafts the user has not touched are deleted, prep blocks removed. A draft
// the user edited, and anything sent, stay. plan-chat asks for it (the plan queue makes no provider
// calls); it runs under the chat's lock and does nothing if the chat came back meanwhile.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { App } from '../app.ts';
import { withProvider } from '../provider-policy.ts';
import { jobSchemas } from '../queues/queues.ts';
import { withLock } from '../core/locks.ts';
import { draftLookup } from '../core/draft-lookup.ts';
import { clearPlanMark, planMarkSeen } from '../core/request-plan.ts';

export async function retractChatJob(
  app: App,
  job: Job | undefined,
  token?: string,
): Promise<{ retracted: string[] }> {
  const { chatId } = jobSchemas['retract-chat'].parse(job?.data);
  return { retracted: await retractChat(app, chatId, job, token) };
}

export async function retractChat(app: App, chatId: string, job?: Job, token?: string): Promise<string[]> {
  return withLock(app, `chat-${chatId}`, job, token, async () => {
    const seen = await planMarkSeen(app, chatId);
    let retracted: string[];
    try {
      retracted = await retractLocked(app, chatId, job, token);
    } catch (err) {
      // Failed for good (refused, or out of attempts): the mark goes too, or the reconciler would
      // ask the same failing retraction again every ten minutes. The failed job stays visible.
      const final =
        err instanceof UnrecoverableError ||
        (!(err instanceof DelayedError) && (!job || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)));
      if (final) await clearPlanMark(app, chatId, seen, { status: 'cancelled' });
      throw err;
    }
    // The plan that asked for it is done now (plan-chat left its mark for this job to clear),
    // unless another plan was asked for meanwhile. A chat back on keeps its mark: that is its
    // own plan's to clear.
    await clearPlanMark(app, chatId, seen, { status: 'cancelled' });
    return retracted;
  });
}

async function retractLocked(app: App, chatId: string, job?: Job, token?: string): Promise<string[]> {
  const chat = await app.prisma.chat.findUnique({
    where: { id: chatId },
    include: {
      account: true,
      drafts: { where: { status: 'created' }, include: { contact: { select: { email: true } } } },
      entries: { where: { deleted: false } },
    },
  });
  if (!chat || chat.status !== 'cancelled') return []; // gone, or back on: plan-chat has it
  const made = chat.entries.filter((e) => e.providerEventId);
  if (chat.drafts.length === 0 && made.length === 0) return [];
  const retracted: string[] = [];
  await withProvider(app, job, token, chat.account, async ({ mailbox, calendar }) => {
    for (const d of chat.drafts) {
      const lookup = draftLookup(d, d.contact?.email);
      if (!lookup) continue;
      const state = await mailbox.draftState(lookup);
      if (state.state === 'draft' && state.version === d.version) {
        await mailbox.deleteDraft(lookup.draftId);
        await app.prisma.draft.update({
          where: { id: d.id },
          data: { status: 'set_aside', lastError: 'chat cancelled' },
        });
        retracted.push(d.idempotencyKey);
      } else if (state.state === 'sent') {
        await app.prisma.draft.update({
          where: { id: d.id },
          data: { status: 'sent', sentAt: state.sentAt },
        });
      } else if (state.state === 'deleted') {
        await app.prisma.draft.update({ where: { id: d.id }, data: { status: 'discarded' } });
      } else {
        app.log.info(
          { draft: d.idempotencyKey },
          'chat cancelled but its draft was edited by the user: left alone',
        );
      }
    }
    for (const e of made) {
      // A prep block goes only while it is as we wrote it (If-Match, nobody notified); one the
      // user wrote in stays theirs. Blocks recorded before versions were kept go as before.
      const outcome =
        e.kind === 'prep' && e.version
          ? await calendar.deleteEventIfUnchanged(e.calendarId, e.providerEventId!, e.version)
          : (await calendar.deleteEvent(e.calendarId, e.providerEventId!), 'deleted' as const);
      await app.prisma.calendarEntry.update({ where: { id: e.id }, data: { deleted: true } });
      if (outcome === 'deleted') retracted.push(e.idempotencyKey);
      else
        app.log.info(
          { entry: e.idempotencyKey },
          'chat cancelled but the user changed its prep block: left alone',
        );
    }
  });
  return retracted;
}
