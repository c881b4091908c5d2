// Takes back what the worker made for a chat that was cancelled or declined: drafts the user has
// not touched are deleted, prep blocks removed. A draft the user edited, and anything sent, stay.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { withProvider } from '../jobs/provider-policy.ts';
import { DROPPED } from './chat-facts.ts';

export async function retractChatEffects(app: App, chatId: string, job?: Job, token?: string): Promise<string[]> {
  const chat = await app.prisma.chat.findUniqueOrThrow({
    where: { id: chatId },
    include: { account: true, drafts: { where: { status: 'created' } }, entries: { where: { deleted: false } } },
  });
  const made = chat.entries.filter((e) => e.providerEventId);
  if (chat.drafts.length === 0 && made.length === 0) return [];
  const retracted: string[] = [];
  await withProvider(app, job, token, chat.account, async ({ mailbox, calendar }) => {
    for (const d of chat.drafts) {
      if (!d.providerDraftId || !d.internetMessageId) continue;
      const state = await mailbox.draftState({ draftId: d.providerDraftId, internetMessageId: d.internetMessageId });
      if (state.state === 'draft' && state.version === d.version) {
        await mailbox.deleteDraft(d.providerDraftId);
        await app.prisma.draft.update({ where: { id: d.id }, data: { status: 'discarded', lastError: `${DROPPED}chat cancelled` } });
        retracted.push(d.idempotencyKey);
      } else if (state.state === 'sent') {
        await app.prisma.draft.update({ where: { id: d.id }, data: { status: 'sent', sentAt: state.sentAt } });
      } else if (state.state === 'deleted') {
        await app.prisma.draft.update({ where: { id: d.id }, data: { status: 'discarded' } });
      } else {
        app.log.info({ draft: d.idempotencyKey }, 'chat cancelled but its draft was edited by the user: left alone');
      }
    }
    for (const e of made) {
      await calendar.deleteEvent(e.calendarId, e.providerEventId!);
      await app.prisma.calendarEntry.update({ where: { id: e.id }, data: { deleted: true } });
      retracted.push(e.idempotencyKey);
    }
  });
  return retracted;
}
