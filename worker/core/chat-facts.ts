// What the pure planner needs to know of a chat, read from its rows.
import type { ActionKind, ChatFacts } from '../pipeline/types.ts';
import type { CalendarEntry, Chat, Contact, Draft } from '../db/generated/client.ts';

export function chatFacts(chat: Chat & { contact: Contact; drafts: Draft[]; entries: CalendarEntry[] }): ChatFacts {
  const done: ActionKind[] = [];
  for (const d of chat.drafts) if (d.status !== 'scheduled' && d.status !== 'failed') done.push(d.kind as ActionKind);
  let prepWindow: ChatFacts['prepWindow'] = null;
  for (const e of chat.entries) {
    if (e.kind !== 'prep') continue;
    if (e.deleted || e.providerEventId) done.push('prep');
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
