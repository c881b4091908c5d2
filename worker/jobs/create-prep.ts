// Job `create-prep`: a prep block on the user's own calendar before a chat (no attendees, so
// nobody is invited), or moves it when the chat moved. Exactly once, like drafts: the entry's
// unique key (plus its generation, see entryMarker) is stored on the event as a marker and looked
// up on retry.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import { prepEvent } from '../core/compose-prep.ts';
import { jobSchemas } from '../queues/queues.ts';
import { withProvider } from '../provider-policy.ts';

export async function createPrepJob(app: App, job: Job | undefined, token?: string) {
  const { key } = jobSchemas['create-prep'].parse(job?.data);
  return createPrep(app, key, job, token);
}

export async function createPrep(app: App, key: string, job?: Job, token?: string) {
  const entry = await app.prisma.calendarEntry.findUnique({ where: { idempotencyKey: key } });
  if (!entry || entry.deleted || !entry.chatId) return { key, outcome: 'skipped', why: 'no longer wanted' };
  const chat = await app.prisma.chat.findUniqueOrThrow({
    where: { id: entry.chatId },
    include: { account: true, contact: true, user: true },
  });
  if (chat.status !== 'upcoming') return { key, outcome: 'skipped', why: `chat ${chat.status}` };
  // A retry that outlasted the time before the chat has nothing left to reserve.
  if (chat.startUtc <= app.now()) return { key, outcome: 'skipped', why: 'chat already started' };
  if (chat.account.status !== 'active')
    return { key, outcome: 'skipped', why: `account ${chat.account.status}` };

  const event = prepEvent(app, chat, entry);
  const outcome = await withProvider(app, job, token, chat.account, async ({ calendar }) => {
    if (entry.providerEventId) {
      await calendar.updateEvent(entry.calendarId, entry.providerEventId, event);
      return { id: entry.providerEventId, outcome: 'moved' as const };
    }
    const existing =
      job && job.attemptsMade > 0 ? await calendar.findEventByMarker(entry.calendarId, event.marker) : null;
    if (existing) return { id: existing.providerEventId, outcome: 'found' as const };
    const created = await calendar.createEvent(entry.calendarId, event);
    return { id: created.providerEventId, outcome: 'created' as const };
  });
  await app.prisma.calendarEntry.update({ where: { id: entry.id }, data: { providerEventId: outcome.id } });
  app.log.info(
    { chat: chat.title, start: entry.startUtc.toISOString(), outcome: outcome.outcome },
    'prep block ready',
  );
  return { key, outcome: outcome.outcome };
}
