// Job `create-prep`: a prep block on the user's own calendar before a chat (no attendees, so
// nobody is invited), or moves it when the chat moved, while the user has not touched it (If-Match
// on the version we stored: their notes and ticks are never overwritten). Exactly once, like drafts (see
// core/claim.ts): the entry is claimed with a lease; the entry's unique key (plus its generation,
// see entryMarker) is stored on the event as a marker, looked up whenever an earlier run claimed
// it; and the result is recorded only while the entry is still wanted.
import { DelayedError, type Job } from 'bullmq';
import type { App } from '../app.ts';
import type { CalendarEntry } from '../db/generated/client.ts';
import { claimRow, releaseClaim, waitForClaim } from '../core/claim.ts';
import { entryMarker, prepEvent } from '../core/compose-prep.ts';
import { PREP_AHEAD_MS } from '../pipeline/plan-chat-actions.ts';
import { jobData, jobSchemas } from '../queues/queues.ts';

/** BullMQ's delays and the clocks of two processes may differ by this much. */
const EARLY_TOLERANCE_MS = 2_000;
import { withProvider } from '../provider-policy.ts';

export type CreatePrepResult = {
  key: string;
  outcome: 'created' | 'found' | 'moved' | 'left' | 'skipped';
  why?: string;
};

export async function createPrepJob(app: App, job: Job | undefined, token?: string) {
  const { key } = jobSchemas['create-prep'].parse(jobData('create-prep', job));
  return createPrep(app, key, job, token);
}

export async function createPrep(
  app: App,
  key: string,
  job?: Job,
  token?: string,
): Promise<CreatePrepResult> {
  const found = await app.prisma.calendarEntry.findUnique({ where: { idempotencyKey: key } });
  // Taken back before it was recorded, after a run had claimed it: that run may have made the block
  // and died, or failed to delete it again (the soak's quick run left one). Its marker finds it.
  if (found?.deleted && found.chatId && !found.providerEventId && found.claims > 0)
    return removeUnrecorded(app, found, found.chatId, job, token);
  if (!found || found.deleted || !found.chatId) return { key, outcome: 'skipped', why: 'no longer wanted' };
  // Early (a reconciler that put the job back due now, a promote): a block is written only
  // PREP_AHEAD_MS before it starts. The job goes back to wait for its time.
  const early = found.startUtc.getTime() - PREP_AHEAD_MS - app.now().getTime();
  if (!found.providerEventId && early > EARLY_TOLERANCE_MS) {
    if (job && token) {
      await job.moveToDelayed(Date.now() + early, token);
      throw new DelayedError();
    }
    return {
      key,
      outcome: 'skipped',
      why: `not due until ${new Date(found.startUtc.getTime() - PREP_AHEAD_MS).toISOString()}`,
    };
  }
  const claim = await claimRow(app, 'entry', found.id);
  if (!claim.claimed) {
    if (claim.heldUntil) return { key, ...(await waitForClaim(job, token, claim.heldUntil)) };
    return { key, outcome: 'skipped', why: 'no longer wanted' };
  }
  // Read again under the claim: an earlier run may have recorded the block meanwhile.
  const entry = await app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: found.id } });
  const skip = async (why: string) => {
    await releaseClaim(app, 'entry', entry.id, claim.until);
    return { key, outcome: 'skipped' as const, why };
  };
  if (!entry.chatId) return skip('no longer wanted');
  const chat = await app.prisma.chat.findUniqueOrThrow({
    where: { id: entry.chatId },
    include: { account: true, contact: true, user: true },
  });
  if (chat.status !== 'upcoming') return skip(`chat ${chat.status}`);
  if (chat.waiting) return skip(chat.waiting);
  // A retry that outlasted the time before the chat has nothing left to reserve.
  if (chat.startUtc <= app.now()) return skip('chat already started');
  if (chat.account.status !== 'active') return skip(`account ${chat.account.status}`);

  const event = prepEvent(app, chat, entry);
  const outcome = await withProvider(app, job, token, chat.account, async ({ calendar }) => {
    if (entry.providerEventId) {
      // Moved only while it is still as we wrote it: the user's notes and ticks are theirs
      // (a block recorded before versions were kept is moved as before, and gets one).
      if (!entry.version) {
        const moved = await calendar.updateEvent(entry.calendarId, entry.providerEventId, event);
        return { id: entry.providerEventId, version: moved.version ?? null, outcome: 'moved' as const };
      }
      const moved = await calendar.updateEventIfUnchanged(
        entry.calendarId,
        entry.providerEventId,
        entry.version,
        event,
      );
      if (!moved) return { id: entry.providerEventId, version: entry.version, outcome: 'left' as const };
      return { id: entry.providerEventId, version: moved.version ?? null, outcome: 'moved' as const };
    }
    // Not the first claim: an earlier run (crashed, or stalled and given up on) may have made it.
    const existing = claim.fresh ? null : await calendar.findEventByMarker(entry.calendarId, event.marker);
    if (existing)
      return { id: existing.providerEventId, version: existing.version ?? null, outcome: 'found' as const };
    const created = await calendar.createEvent(entry.calendarId, event);
    return { id: created.providerEventId, version: created.version ?? null, outcome: 'created' as const };
  }).catch(async (err: unknown) => {
    await releaseClaim(app, 'entry', entry.id, claim.until);
    throw err;
  });
  // Recorded only while the entry is still this generation and wanted: a cancel that took it back
  // while we were at the provider is not undone.
  const recorded = await app.prisma.calendarEntry.updateMany({
    where: { id: entry.id, deleted: false, generation: entry.generation },
    data: { providerEventId: outcome.id, version: outcome.version, claimedUntil: null },
  });
  if (recorded.count === 0) {
    // Released first: if the delete below fails, the job's retry (removeUnrecorded) must not
    // take the claim for a run still at work.
    await releaseClaim(app, 'entry', entry.id, claim.until);
    if (outcome.outcome === 'created' || outcome.outcome === 'found')
      await withProvider(app, job, token, chat.account, ({ calendar }) =>
        calendar.deleteEvent(entry.calendarId, outcome.id),
      );
    return { key, outcome: 'skipped', why: 'taken back while it was being made' };
  }
  app.log.info(
    { chat: chat.title, start: entry.startUtc.toISOString(), outcome: outcome.outcome },
    'prep block ready',
  );
  if (outcome.outcome === 'left')
    return { key, outcome: 'left', why: 'the user changed the block: left as they made it' };
  return { key, outcome: outcome.outcome };
}

/** A block taken back before any run recorded it: one made by a run that never recorded it goes too. */
async function removeUnrecorded(
  app: App,
  entry: CalendarEntry,
  chatId: string,
  job?: Job,
  token?: string,
): Promise<CreatePrepResult> {
  const key = entry.idempotencyKey;
  // A run still holding its claim cleans up after itself; look again when its lease is over.
  if (entry.claimedUntil && entry.claimedUntil.getTime() > Date.now())
    return { key, ...(await waitForClaim(job, token, entry.claimedUntil)) };
  const chat = await app.prisma.chat.findUnique({ where: { id: chatId }, include: { account: true } });
  if (!chat || chat.account.status !== 'active') return { key, outcome: 'skipped', why: 'no longer wanted' };
  const marker = entryMarker(entry);
  const removed = await withProvider(app, job, token, chat.account, async ({ calendar }) => {
    const stray = await calendar.findEventByMarker(entry.calendarId, marker);
    if (stray) await calendar.deleteEvent(entry.calendarId, stray.providerEventId);
    return Boolean(stray);
  });
  // Looked once: later runs of this generation need not ask again.
  await app.prisma.calendarEntry.updateMany({
    where: {
      id: entry.id,
      deleted: true,
      generation: entry.generation,
      providerEventId: null,
      claimedUntil: entry.claimedUntil,
    },
    data: { claims: 0, claimedUntil: null },
  });
  return {
    key,
    outcome: 'skipped',
    why: removed ? 'no longer wanted: a block made before that was taken back' : 'no longer wanted',
  };
}
