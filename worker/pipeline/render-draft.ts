// Renders a draft (subject, plain text, HTML) from its kind's templates. Pure apart from
// reading the template files once: the caller passes everything, including the templates
// folder (TEMPLATES_DIR) when the user has their own.
import {
  displayName,
  durationText,
  firstNameOf,
  greetingName,
  placeholder,
  placeOf,
  signatureOf,
  type PersonLike,
  type SenderLike,
} from './draft-phrases.ts';
import { loadTemplate } from './template-store.ts';
import { DESCRIPTION_NOTE_CHECK } from './thank-you-note.ts';
import { dayForContact, formatForContact, isValidZone, monthIn, zoneCity } from './time-zones.ts';
import { describeSlot } from './propose-slots.ts';
import type { ChatWhen, RenderOptions } from './render-types.ts';

export type { ChatWhen, RenderOptions } from './render-types.ts';

export { renderPrepDescription, renderPrepTitle } from './render-prep.ts';

export type DraftKind =
  'confirmation' | 'thank-you' | 'check-in' | 'outreach' | 'intro-request' | 'follow-up' | 'propose-times';

export interface DraftModels {
  confirmation: { from: SenderLike; to: PersonLike; chat: ChatWhen };
  'thank-you': {
    from: SenderLike;
    to: PersonLike;
    /** The advice to cite; null shows a placeholder. */ note: string | null;
    /**
     * The note came from the event's description (pipeline/thank-you-note.ts citedNote): it is
     * followed by a visible "[check: …]" the user deletes, whatever the template.
     */
    noteFromDescription?: boolean;
  };
  'check-in': {
    from: SenderLike;
    to: PersonLike;
    /** When the chat was, for "since we spoke in March". */
    chatStart?: Date | null;
    userZone?: string;
    /** The contact's zone: the month is the one on their calendar (the user's when unknown). */
    contactZone?: string | null;
    /** The advice they gave, when the user noted one. */
    note?: string | null;
    /** What the user queued for this check-in (`contacts share` / `contacts update`), if anything. */
    material?: CheckInMaterial | null;
  };
  outreach: {
    from: SenderLike;
    to: PersonLike;
    /** Why this person, specifically (`--why`). */
    why: string;
    /** One line about the user; a placeholder when unset. */
    intro?: string | null;
  };
  /** To the mutual acquaintance (`to`): would they introduce the user to `target`? */
  'intro-request': {
    from: SenderLike;
    to: PersonLike;
    target: PersonLike & { company?: string | null; role?: string | null };
    /** Why the target, specifically. */
    reason: string;
    /** One line about the user (first line of the forwardable note); a placeholder when unset. */
    about?: string | null;
  };
  /** The one follow-up to an unanswered outreach. */
  'follow-up': {
    from: SenderLike;
    to: PersonLike;
    /** The outreach's subject, as sent. */
    originalSubject: string;
    /** When the outreach went out: its day on the contact's calendar. */
    sentAt: Date;
    userZone: string;
    contactZone: string | null;
  };
  'propose-times': {
    from: SenderLike;
    to: PersonLike;
    /** The times offered, in order (none when the calendar was full). */
    slots: { start: Date; end: Date }[];
    minutes: number;
    userZone: string;
    /** null: unknown, and the draft asks for it. */
    contactZone: string | null;
    /** "Re: …" when it answers an outreach. */
    replySubject?: string | null;
  };
}

/** An article the contact would value, or what the user did with their advice. */
export type CheckInMaterial =
  | { kind: 'article'; url: string; /** Why they would value it. */ note?: string | null }
  | { kind: 'update'; /** In the user's words: "I did X after your advice". */ text: string };

export interface RenderedDraft {
  subject: string;
  text: string;
  html: string;
}

export function renderDraft<K extends DraftKind>(
  kind: K,
  model: DraftModels[K],
  opts: RenderOptions = {},
): RenderedDraft {
  const view = viewOf(kind, model);
  const subject = loadTemplate(`${kind}/subject.hbs`, 'text', opts.templatesDir)(view);
  const text = loadTemplate(`${kind}/body.txt.hbs`, 'text', opts.templatesDir)(view);
  const html = loadTemplate(`${kind}/body.html.hbs`, 'html', opts.templatesDir)(view);
  return { subject: subject.replace(/\s+/g, ' ').trim(), text: tidy(text), html: tidy(html) };
}

/**
 * What every template sees: names already resolved, times already in both zones. Every draft is
 * addressed to the contact, so every time and date here is written for them: their time first
 * and called "your time", the subject's day and the check-in's month from their calendar.
 */
function viewOf<K extends DraftKind>(kind: K, model: DraftModels[K]): Record<string, unknown> {
  const common = {
    firstName: greetingName(model.to),
    contactName: displayName(model.to),
    contactEmail: model.to.email,
    signature: signatureOf(model.from),
    senderName: model.from.name?.trim() || model.from.email,
  };
  switch (kind) {
    case 'confirmation': {
      const { chat } = model as DraftModels['confirmation'];
      const place = placeOf(chat.conferenceUrl, chat.location);
      return {
        ...common,
        when: formatForContact(chat.start, chat.userZone, chat.contactZone),
        theirDay: dayForContact(chat.start, chat.userZone, chat.contactZone),
        duration: durationText(chat.start, chat.end),
        place,
        placeMissing: !place.url && !chat.location?.trim(),
      };
    }
    case 'thank-you': {
      const { note, noteFromDescription } = model as DraftModels['thank-you'];
      const sentence = asSentence(note);
      return {
        ...common,
        note: sentence && noteFromDescription ? `${sentence} ${DESCRIPTION_NOTE_CHECK}` : sentence,
        notePlaceholder: placeholder("add the one piece of advice you'll act on"),
      };
    }
    case 'check-in': {
      const m = model as DraftModels['check-in'];
      const since = m.chatStart
        ? monthIn(m.chatStart, isValidZone(m.contactZone) ? m.contactZone : m.userZone)
        : null;
      return {
        ...common,
        since,
        note: m.note?.trim().replace(/[.\s]+$/, '') || null,
        article:
          m.material?.kind === 'article'
            ? { url: m.material.url, why: m.material.note?.trim().replace(/[.\s]+$/, '') || null }
            : null,
        update: m.material?.kind === 'update' ? asSentence(m.material.text) : null,
        updatePlaceholder: placeholder(
          "add a two-line update (something you did with their advice) or a link to an article they'd value",
        ),
      };
    }
    case 'outreach': {
      const m = model as DraftModels['outreach'];
      return {
        ...common,
        why: m.why.trim().replace(/[.\s]+$/, '') || placeholder('add why them, specifically'),
        intro: m.intro?.trim() || null,
        introPlaceholder: placeholder("add one line about you and what you're exploring"),
      };
    }
    case 'intro-request': {
      const m = model as DraftModels['intro-request'];
      const at = [m.target.role?.trim(), m.target.company?.trim()].filter(Boolean).join(' at ');
      return {
        ...common,
        targetName: displayName(m.target),
        targetFirst: firstNameOf(m.target) ?? displayName(m.target),
        targetAt: at || null,
        reason: m.reason.trim().replace(/[.\s]+$/, '') || placeholder('add why them, specifically'),
        about: m.about?.trim().replace(/\s+/g, ' ') || null,
        aboutPlaceholder: placeholder("add one line about you and what you're exploring"),
      };
    }
    case 'follow-up': {
      const m = model as DraftModels['follow-up'];
      return {
        ...common,
        originalSubject: m.originalSubject.trim(),
        sentDay: dayForContact(m.sentAt, m.userZone, m.contactZone),
      };
    }
    case 'propose-times': {
      const m = model as DraftModels['propose-times'];
      const zoneKnown = isValidZone(m.contactZone);
      return {
        ...common,
        replySubject: m.replySubject?.trim() || null,
        minutes: m.minutes,
        zoneKnown,
        slots: m.slots.map((s, i) => ({ n: i + 1, when: describeSlot(s, m.userZone, m.contactZone) })),
        noSlots: m.slots.length === 0,
        senderPlace: zoneCity(m.userZone),
      };
    }
  }
  throw new Error(`unknown draft kind: ${String(kind)}`);
}

/** A note as the user typed it, ending like a sentence. */
function asSentence(note: string | null | undefined): string | null {
  const n = note?.trim();
  if (!n) return null;
  return /[.!?…"'”’)]$/.test(n) ? n : `${n}.`;
}

/** Template whitespace is for template authors: no runs of blank lines, one final newline. */
function tidy(s: string): string {
  return (
    s
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}
