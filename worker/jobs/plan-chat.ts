// Job `plan-chat`: plan, then reconcile. The pure planner says what should be scheduled for the
// chat now; this makes the database rows and the queue match: adds missing jobs (deterministic
// ids), moves rescheduled ones, drops what is no longer wanted, and for a cancelled chat asks the
// retract-chat job (actions queue) to take back what it already made: the plan queue makes no
// provider calls.
import type { Job } from 'bullmq';
import type { App } from '../app.ts';
import type { DraftKind } from '../db/generated/client.ts';
import { planChatActions } from '../pipeline/plan-chat-actions.ts';
import { jobSchemas } from '../queues/queues.ts';
import { dropKeyedJob, scheduleJob } from '../queues/schedule-job.ts';
import { ensureCheckInPlan } from '../core/check-in-plans.ts';
import { chatFacts } from '../core/chat-facts.ts';
import { chatWaiting } from '../core/chat-waiting.ts';
import { withLock } from '../core/locks.ts';
import { setAsideDrafts } from '../core/set-aside.ts';
import { clearPlanMark, planMarkSeen } from '../core/request-plan.ts';

export interface PlanResult {
  chatId: string;
  status: string;
  desired: string[];
  dropped: string[];
  /** A retract-chat job was asked for: the chat's plan mark stays until that job has run. */
  retracting?: boolean;
}

export async function planChatJob(app: App, job: Job | undefined, token?: string): Promise<PlanResult> {
  const { chatId } = jobSchemas['plan-chat'].parse(job?.data);
  return planChat(app, chatId, job, token);
}

export async function planChat(app: App, chatId: string, job?: Job, token?: string): Promise<PlanResult> {
  return withLock(app, `chat-${chatId}`, job, token, async () => {
    const seen = await planMarkSeen(app, chatId);
    const result = await planChatLocked(app, chatId);
    // Done, unless another plan was asked for since (its own job will run), or a retraction was
    // asked for: retract-chat clears the mark once it has run, so a retraction lost with Redis's
    // data is asked again by the reconciler (through this plan) like a lost plan.
    if (!result.retracting) await clearPlanMark(app, chatId, seen);
    return result;
  });
}

async function planChatLocked(app: App, chatId: string): Promise<PlanResult> {
  const now = app.now();
  let chat = await app.prisma.chat.findUniqueOrThrow({
    where: { id: chatId },
    include: {
      contact: true,
      drafts: true,
      entries: true,
      event: true,
      account: { include: { calendars: true } },
    },
  });
  if (chat.status === 'upcoming' && chat.endUtc <= now) {
    chat = {
      ...chat,
      ...(await app.prisma.chat.update({ where: { id: chatId }, data: { status: 'done' } })),
    };
  }
  // An invite the user has not accepted, a later occurrence of a series, a cap: nothing planned
  // (and what was scheduled is dropped below); the reason is kept for `status`.
  const waiting = chat.status === 'cancelled' ? null : await chatWaiting(app, chat, now);
  if (waiting !== chat.waiting) {
    await app.prisma.chat.update({ where: { id: chatId }, data: { waiting } });
    chat = { ...chat, waiting };
  }

  const facts = chatFacts(chat);
  const desired = planChatActions(facts, app.policy, now);
  const wanted = new Set(desired.map((a) => a.key));

  for (const a of desired) {
    if (a.kind === 'prep') {
      const calendar = chat.account.calendars.find((c) => c.primary) ?? chat.account.calendars[0];
      if (!calendar || !a.window) continue;
      const entry = await app.prisma.calendarEntry.upsert({
        where: { idempotencyKey: a.key },
        create: {
          idempotencyKey: a.key,
          chatId: chat.id,
          accountId: chat.accountId,
          kind: 'prep',
          calendarId: calendar.providerCalendarId,
          startUtc: a.window.start,
          endUtc: a.window.end,
        },
        update: {},
      });
      const moved =
        entry.startUtc.getTime() !== a.window.start.getTime() ||
        entry.endUtc.getTime() !== a.window.end.getTime();
      if (moved || entry.deleted) {
        await app.prisma.calendarEntry.update({
          where: { id: entry.id },
          // A block taken back earlier (chat cancelled, then back) is made anew, as a new
          // generation: its marker must not be the deleted event's (see entryMarker).
          data: {
            startUtc: a.window.start,
            endUtc: a.window.end,
            ...(entry.deleted
              ? {
                  deleted: false,
                  providerEventId: null,
                  version: null,
                  generation: { increment: 1 },
                  claims: 0,
                }
              : {}),
          },
        });
      }
      if (!entry.providerEventId || moved || entry.deleted) {
        await scheduleJob(app.queues, 'create-prep', { key: a.key }, { jobId: a.key, dueAt: a.dueAt, now });
      }
    } else if (a.kind !== 'check_in') {
      const kind = a.kind as DraftKind;
      const draft = await app.prisma.draft.upsert({
        where: { idempotencyKey: a.key },
        create: {
          idempotencyKey: a.key,
          kind,
          userId: chat.userId,
          accountId: chat.accountId,
          chatId: chat.id,
          contactId: chat.contactId,
          dueAt: a.dueAt,
        },
        update: {},
      });
      if (draft.status === 'failed' || draft.status === 'scheduled' || draft.status === 'set_aside') {
        if (draft.dueAt.getTime() !== a.dueAt.getTime() || draft.status !== 'scheduled') {
          await app.prisma.draft.update({
            where: { id: draft.id },
            data: {
              dueAt: a.dueAt,
              status: 'scheduled',
              lastError: null,
              providerDraftId: null,
              internetMessageId: null,
              threadId: null,
              draftedAt: null,
              version: null,
            },
          });
        }
        await scheduleJob(app.queues, 'create-draft', { key: a.key }, { jobId: a.key, dueAt: a.dueAt, now });
      }
    }
  }

  // Drop what is no longer wanted: scheduled drafts and prep blocks not yet made.
  const dropped: string[] = [];
  const unwanted = chat.drafts.filter((d) => d.status === 'scheduled' && !wanted.has(d.idempotencyKey));
  if (unwanted.length)
    dropped.push(
      ...(await setAsideDrafts(app, { id: { in: unwanted.map((d) => d.id) } }, 'no longer wanted')),
    );
  for (const e of chat.entries) {
    if (!e.providerEventId && !e.deleted && !wanted.has(e.idempotencyKey)) {
      await app.prisma.calendarEntry.update({ where: { id: e.id }, data: { deleted: true } });
      // A run that claimed it may have made the block unrecorded: its job runs now and takes
      // that back (create-prep.ts removeUnrecorded). Otherwise the job has nothing left to do.
      await dropKeyedJob(app.queues, 'create-prep', e.idempotencyKey, e.claims > 0 ? { now } : null);
      dropped.push(e.idempotencyKey);
    }
  }

  // Drafts already made follow the chat (new time, a note added) while the user has not edited
  // them; the job compares content first, so this costs no provider call when nothing changed.
  if (chat.status !== 'cancelled') {
    for (const d of chat.drafts) {
      const relevant = d.kind === 'thank_you' || (d.kind === 'confirmation' && chat.status === 'upcoming');
      if (d.status === 'created' && relevant) {
        await scheduleJob(
          app.queues,
          'refresh-draft',
          { key: d.idempotencyKey },
          { jobId: `refresh-${d.idempotencyKey}-${now.getTime()}`, dueAt: now, now },
        );
      }
    }
  }

  if (chat.status === 'cancelled') {
    const made =
      chat.drafts.some((d) => d.status === 'created') ||
      chat.entries.some((e) => e.providerEventId && !e.deleted);
    if (made) {
      // onlyIfMissing: a retraction backing off after a failure keeps its time.
      await scheduleJob(
        app.queues,
        'retract-chat',
        { chatId },
        { jobId: `retract-${chatId}`, dueAt: now, now, onlyIfMissing: true },
      );
      return { chatId, status: chat.status, desired: [...wanted], dropped, retracting: true };
    }
  } else if (chat.status === 'done' && !chat.contact.doNotContact && !chat.waiting) {
    // The check-in cadence starts after the chat (re-anchored when the thank-you is sent).
    await ensureCheckInPlan(app, chat.contactId, chat.endUtc);
  }
  return { chatId, status: chat.status, desired: [...wanted], dropped };
}
