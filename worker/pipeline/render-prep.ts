// The prep block's title and checklist (plain text: a calendar event description).
import { displayName, durationText, firstNameOf, placeOf, type PersonLike } from './draft-phrases.ts';
import type { ChatWhen, RenderOptions } from './render-types.ts';
import { loadTemplate } from './template-store.ts';
import { formatBothZones, formatClock } from './time-zones.ts';

/** The playbook: stop asking questions five minutes before the end. */
export const WRAP_UP_MS = 5 * 60_000;

export interface PrepModel {
  contact: PersonLike;
  chat: ChatWhen & { title: string };
  /** The chat's id, for the `chats note` hint. */
  chatId?: string | null;
}

export function renderPrepDescription(model: PrepModel, opts: RenderOptions = {}): string {
  const text = loadTemplate('prep/description.txt.hbs', 'text', opts.templatesDir)(prepView(model));
  return (
    text
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}

/** "Prep: Coffee with Ana". */
export function renderPrepTitle(model: PrepModel, opts: RenderOptions = {}): string {
  return loadTemplate(
    'prep/title.hbs',
    'text',
    opts.templatesDir,
  )(prepView(model))
    .replace(/\s+/g, ' ')
    .trim();
}

function prepView(model: PrepModel): Record<string, unknown> {
  const { chat } = model;
  const wrapUp = new Date(Math.max(chat.start.getTime(), chat.end.getTime() - WRAP_UP_MS));
  return {
    chatTitle: chat.title.trim() || `Chat with ${displayName(model.contact)}`,
    firstName: firstNameOf(model.contact) ?? displayName(model.contact),
    contactName: displayName(model.contact),
    contactEmail: model.contact.email,
    when: formatBothZones(chat.start, chat.userZone, chat.contactZone, chat.contactLabel),
    duration: durationText(chat.start, chat.end),
    place: placeOf(chat.conferenceUrl, chat.location),
    wrapUpAt: formatClock(wrapUp, chat.userZone),
    chatId: model.chatId ?? null,
  };
}
