// What should be scheduled for one chat, from its facts and the clock reading it is given.
// Pure: planning again after a reschedule, cancel or restart gives the same keys with new times,
// which is all the reconciler needs to move or drop jobs.
import type { ActionKind, ChatFacts, DesiredAction, Policy } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A prep block shorter than this is not worth a calendar entry. */
export const MIN_PREP_MS = 5 * MINUTE;
/** Closer than this to the start, a confirmation would only be noise. */
export const CONFIRMATION_CUTOFF_MS = 2 * HOUR;
/** The confirmation goes out the day before. */
export const CONFIRMATION_LEAD_MS = 24 * HOUR;
/** The playbook: a thank-you within 24 hours of the chat. */
export const THANK_YOU_DEADLINE_MS = 24 * HOUR;

/**
 * A prep block is written at most this long before it starts: a busy block weeks ahead reserves
 * little and a chat that far out often moves; the job stays scheduled until then.
 */
export const PREP_AHEAD_MS = 3 * 24 * HOUR;

/** BullMQ forbids ':' in job ids; keys are `<kind>-<chatId>`. */
export function chatActionKey(kind: ActionKind, chatId: string): string {
  return `${kind}-${chatId.replace(/:/g, '_')}`;
}

/**
 * Decisions where the issue is silent:
 * - do-not-contact stops mail (confirmation, thank-you) but not the prep block: the block is on
 *   the user's own calendar and reaches nobody.
 * - the prep job is due PREP_AHEAD_MS before the block (at once for a chat closer than that); once created, it is planned again only when the chat moved (`prepWindow`).
 * - a confirmation is not started inside CONFIRMATION_CUTOFF_MS, but one a run may have made
 *   already (`attempted`) is kept, found and updated like a recorded one (`adoptOnly`).
 * - a thank-you that is overdue because the worker was down (not `seenLate`) is still planned,
 *   due at its deadline, so it runs at once: a late draft the user reviews beats none.
 */
export function planChatActions(chat: ChatFacts, policy: Policy, now: Date): DesiredAction[] {
  // Cancelled, or waiting (an invite the user has not accepted, a later occurrence, a cap):
  // nothing, and what was scheduled is dropped.
  if (chat.status === 'cancelled' || chat.waiting) return [];
  const start = chat.startUtc.getTime();
  const end = chat.endUtc.getTime();
  const at = now.getTime();
  const done = new Set(chat.done);
  const actions: DesiredAction[] = [];
  const base = (kind: ActionKind, dueAt: number): DesiredAction => ({
    kind,
    key: chatActionKey(kind, chat.id),
    dueAt: new Date(dueAt),
    chatId: chat.id,
  });

  const upcoming = chat.status === 'upcoming' && at < start;

  if (upcoming) {
    const windowStart = Math.max(start - policy.prepLead.toMillis(), at);
    const needed = !done.has('prep') || (chat.prepWindow != null && chat.prepWindow.end.getTime() !== start);
    if (needed && start - windowStart >= MIN_PREP_MS) {
      actions.push({
        ...base('prep', Math.max(at, windowStart - PREP_AHEAD_MS)),
        window: { start: new Date(windowStart), end: new Date(start) },
      });
    }
  }

  if (upcoming && !chat.contactDoNotContact && !done.has('confirmation')) {
    const dayBefore = start - CONFIRMATION_LEAD_MS;
    if (dayBefore > at) actions.push(base('confirmation', dayBefore));
    else if (start - at > CONFIRMATION_CUTOFF_MS) actions.push(base('confirmation', at));
    // Inside the cutoff (the chat moved closer) a confirmation an earlier run may have put in the
    // mailbox unrecorded is kept, as one recorded would be, rather than taken back from under
    // the user; none is made new.
    else if (chat.attempted?.includes('confirmation'))
      actions.push({ ...base('confirmation', at), adoptOnly: true });
  }

  if (!chat.seenLate && !chat.contactDoNotContact && !done.has('thank_you')) {
    const due = Math.min(end + policy.thankYouDelay.toMillis(), end + THANK_YOU_DEADLINE_MS);
    actions.push(base('thank_you', due));
  }

  return actions;
}
