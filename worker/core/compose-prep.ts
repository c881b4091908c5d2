// Builds the prep block event for a chat: no attendees (nobody is invited), busy, with the
// checklist in its description and the entry's key as the idempotency marker.
import type { App } from '../app.ts';
import type { CalendarEntry, Chat, Contact, User } from '../db/generated/client.ts';
import type { NewEvent } from '../../integrations/provider.ts';
import { renderPrepDescription, renderPrepTitle, type PrepModel } from '../pipeline/render-prep.ts';

/**
 * The marker (idempotency key at the provider) of a calendar entry (prep block, invite): the
 * entry's key, plus its generation once it was made anew after being taken back or deleted. A provider may refuse a deleted event's
 * key for good (Graph answers a reused transactionId with ErrorDuplicateTransactionId), while a
 * retry of the same generation must find its own event again: the generation is stored on the
 * entry and bumped only when the entry comes back after a delete.
 */
export function entryMarker(entry: Pick<CalendarEntry, 'idempotencyKey' | 'generation'>): string {
  return entry.generation > 0 ? `${entry.idempotencyKey}-g${entry.generation}` : entry.idempotencyKey;
}

export function prepEvent(
  app: App,
  chat: Chat & { contact: Contact; user: User },
  entry: CalendarEntry,
): NewEvent {
  const model: PrepModel = {
    contact: { name: chat.contact.name, email: chat.contact.email },
    chat: {
      title: chat.title,
      start: chat.startUtc,
      end: chat.endUtc,
      userZone: chat.user.timeZone,
      contactZone: chat.contact.timeZone,
      conferenceUrl: chat.conferenceUrl,
      location: chat.location,
    },
    chatId: chat.id,
  };
  const opts = { templatesDir: app.config.TEMPLATES_DIR ?? null };
  return {
    title: renderPrepTitle(model, opts),
    description: renderPrepDescription(model, opts),
    start: entry.startUtc,
    end: entry.endUtc,
    timeZone: chat.user.timeZone,
    showAs: 'busy',
    marker: entryMarker(entry),
  };
}
