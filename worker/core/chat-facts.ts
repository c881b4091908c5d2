// What the pure planner needs to know of a chat, read from its rows.
import type { ActionKind, ChatFacts } from '../pipeline/types.ts';
import type { CalendarEntry, Chat, Contact, Draft } from '../db/generated/client.ts';

/**
 * Drafts the worker itself set aside (the chat was cancelled, the draft no longer wanted, the
 * contact paused) carry this prefix: they do not count as done, so a chat that comes back gets
 * them again. A draft the user deleted unsent does count: they said no.
 */
export const DROPPED = 'dropped: ';

export function chatFacts(chat: Chat & { contact: Contact; drafts: Draft[]; entries: CalendarEntry[] }): ChatFacts {
  const done: ActionKind[] = [];
  for (const d of chat.drafts) {
    const setAside = d.status === 'discarded' && d.lastError?.startsWith(DROPPED);
    if (d.status !== 'scheduled' && d.status !== 'failed' && !setAside) done.push(d.kind as ActionKind);
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
    prepWindow,
  };
}
