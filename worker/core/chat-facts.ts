// What the pure planner needs to know of a chat, read from its rows.
import type { ActionKind, ChatFacts } from '../pipeline/types.ts';
import type { CalendarEntry, Chat, Contact, Draft } from '../db/generated/client.ts';

export function chatFacts(
  chat: Chat & { contact: Contact; drafts: Draft[]; entries: CalendarEntry[] },
): ChatFacts {
  const done: ActionKind[] = [];
  const attempted: ActionKind[] = [];
  for (const d of chat.drafts) {
    if (d.status === 'scheduled' && d.createAttemptedAt && !d.providerDraftId && !d.strayCheckedAt)
      attempted.push(d.kind as ActionKind);
    // Set aside by the worker (chat cancelled, no longer wanted, contact paused): not done, so a
    // chat that comes back gets it again. A draft the user deleted unsent (discarded) is done.
    if (d.status !== 'scheduled' && d.status !== 'failed' && d.status !== 'set_aside')
      done.push(d.kind as ActionKind);
  }
  let prepWindow: ChatFacts['prepWindow'] = null;
  for (const e of chat.entries) {
    if (e.kind !== 'prep') continue;
    // A prep block made (and not taken back) is done; one taken back comes again if wanted.
    if (e.providerEventId && !e.deleted) done.push('prep');
    if (e.providerEventId && !e.deleted) prepWindow = { start: e.startUtc, end: e.endUtc };
  }
  return {
    id: chat.id,
    status: chat.status,
    startUtc: chat.startUtc,
    endUtc: chat.endUtc,
    seenLate: chat.seenLate,
    contactDoNotContact: chat.contact.doNotContact,
    done,
    attempted,
    prepWindow,
    waiting: chat.waiting,
  };
}
