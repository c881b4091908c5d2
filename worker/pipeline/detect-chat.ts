// Is this calendar event a coffee chat? A pure, explainable decision: every rule that
// fired leaves a short human reason, so `status` can show why an event was (not) picked up.
import { MARKER_KEY, type NeutralEvent } from '../../integrations/provider.ts';

/** Words that say an event is a coffee chat (overridable by CHAT_KEYWORDS). */
export const DEFAULT_CHAT_KEYWORDS: readonly string[] = [
  'coffee',
  'chat',
  'informational interview',
  'info interview',
  'virtual coffee',
  'catch up',
  'intro call',
  'career advice',
  'networking',
];

/** The user's explicit marker, in a title or description. */
export const CHAT_MARKER = '#coffeechat';
/** The reason given for our own prep blocks (lists of ignored events leave them out). */
export const PREP_BLOCK_REASON = 'ignored: prep block made by coffee-chat';

const MAX_CHAT_MINUTES = 60;

export interface DetectChatContext {
  /** The account's own addresses (the provider's `self` flag is used too). */
  selfEmails: string[];
  keywords?: readonly string[];
  /** The user's decision (`coffee-chat chats include|exclude ID`); it wins over every rule. */
  override?: 'include' | 'exclude' | null;
  /** The caller knows the series is a weekly 1:1 with the same person (when the event lacks a frequency). */
  seriesIsWeeklyOneOnOne?: boolean;
}

export interface DetectedContact {
  email: string;
  name?: string;
  isOrganizer: boolean;
}

export interface ChatDetection {
  isChat: boolean;
  reasons: string[];
  /**
   * The event says a chat it was is off: cancelled, declined, or excluded by the user. Anything
   * else that stops it looking like a chat (it grew past an hour, a guest was added) does not
   * cancel a chat already detected: nothing new is planned for it, what was made stays.
   */
  endsChat?: boolean;
  contact?: DetectedContact;
}

export function detectChat(event: NeutralEvent, ctx: DetectChatContext): ChatDetection {
  const selfEmails = new Set(ctx.selfEmails.map(normalizeEmail));
  const isSelf = (email: string, flag: boolean) => flag || selfEmails.has(normalizeEmail(email));
  const others = otherPeople(event, isSelf);
  const contact = others.length === 1 ? others[0] : undefined;

  if (ctx.override === 'include') {
    const reasons = ['included by you'];
    if (contact) reasons.push(`1:1 with ${contact.email}`);
    return withContact({ isChat: true, reasons }, contact ?? others[0]);
  }
  if (ctx.override === 'exclude') return { isChat: false, reasons: ['excluded by you'], endsChat: true };

  const ignored: string[] = [];
  const accepted: string[] = [];
  // Our marker is trusted only on an event the user organizes: everything we write (prep blocks,
  // invites) is organized by the user, while the copy of someone else's invite carries whatever
  // its organizer (or their software) put there, our marker's well-known name included.
  const ours = organizedByUser(event, isSelf) ? event.markers[MARKER_KEY] : undefined;
  // Our own prep blocks carry our marker too; they are the user's time, never a chat.
  if (ours?.startsWith('prep-')) return { isChat: false, reasons: [PREP_BLOCK_REASON] };

  if (event.status === 'cancelled') ignored.push('ignored: cancelled');
  if (event.start.kind === 'allDay' || event.end.kind === 'allDay') ignored.push('ignored: all-day event');

  const me = event.attendees.find((a) => isSelf(a.email, a.self));
  if (me?.response === 'declined') ignored.push('ignored: you declined');

  if (others.length === 0) ignored.push('ignored: no other attendee');
  else if (others.length > 1) ignored.push(`ignored: ${others.length} other attendees`);
  else accepted.push(`1:1 with ${others[0]!.email}`);

  if (event.start.kind === 'timed' && event.end.kind === 'timed') {
    const minutes = Math.round((Date.parse(event.end.utc) - Date.parse(event.start.utc)) / 60_000);
    if (minutes > MAX_CHAT_MINUTES)
      ignored.push(`ignored: ${formatMinutes(minutes)} long (chats are at most ${MAX_CHAT_MINUTES} minutes)`);
  }

  const marked = markerReason(event, ours);
  const keyword = marked ? null : keywordReason(event, ctx.keywords ?? DEFAULT_CHAT_KEYWORDS);
  const weekly =
    (event.recurringEventId !== undefined && event.recurrenceFrequency?.toUpperCase() === 'WEEKLY') ||
    ctx.seriesIsWeeklyOneOnOne === true;

  if (marked) accepted.push(marked);
  else if (weekly && others.length === 1)
    ignored.push(`ignored: weekly recurring 1:1 (mark with ${CHAT_MARKER} to include)`);
  else if (keyword) accepted.push(keyword);
  else ignored.push(`ignored: nothing says it is a coffee chat (no keyword or ${CHAT_MARKER})`);

  if (ignored.length > 0) {
    const ends = event.status === 'cancelled' || me?.response === 'declined';
    return withContact({ isChat: false, reasons: ignored, ...(ends ? { endsChat: true } : {}) }, contact);
  }
  return withContact({ isChat: true, reasons: accepted }, contact);
}

function withContact(result: ChatDetection, contact: DetectedContact | undefined): ChatDetection {
  return contact ? { ...result, contact } : result;
}

/** The people on the event other than the user: rooms and resources don't count, duplicates fold. */
function otherPeople(
  event: NeutralEvent,
  isSelf: (email: string, flag: boolean) => boolean,
): DetectedContact[] {
  const byEmail = new Map<string, DetectedContact>();
  const organizerEmail = event.organizer ? normalizeEmail(event.organizer.email) : undefined;
  for (const a of event.attendees) {
    if (a.resource || !a.email || isSelf(a.email, a.self)) continue;
    const key = normalizeEmail(a.email);
    if (byEmail.has(key)) continue;
    const person: DetectedContact = {
      email: a.email.trim(),
      isOrganizer: a.organizer || key === organizerEmail,
    };
    const name = a.name?.trim();
    if (name && normalizeEmail(name) !== key) person.name = name;
    byEmail.set(key, person);
  }
  // Some providers leave the organizer out of the attendee list.
  const org = event.organizer;
  if (
    org &&
    organizerEmail &&
    !isSelf(org.email, org.self) &&
    !byEmail.has(organizerEmail) &&
    !looksLikeCalendarId(organizerEmail)
  ) {
    const person: DetectedContact = { email: org.email.trim(), isOrganizer: true };
    if (org.name?.trim()) person.name = org.name.trim();
    // Only an addition when the event has attendees at all: an organizer alone on an event
    // that the user merely sees (a shared calendar) is not a meeting with the user.
    if (event.attendees.length > 0) byEmail.set(organizerEmail, person);
  }
  return [...byEmail.values()];
}

/** Google group/resource calendars organize events under ids, not people. */
function looksLikeCalendarId(email: string): boolean {
  return email.endsWith('calendar.google.com');
}

/** The user organizes the event (the provider's flag, or one of the account's own addresses). */
export function organizedByUser(
  event: Pick<NeutralEvent, 'organizer'>,
  isSelf: (email: string, flag: boolean) => boolean,
): boolean {
  return !!event.organizer && isSelf(event.organizer.email ?? '', event.organizer.self);
}

function markerReason(event: NeutralEvent, ours: string | undefined): string | null {
  if (ours) return 'created by coffee-chat';
  const marker = new RegExp(`${CHAT_MARKER}(?![\\p{L}\\p{N}_])`, 'iu');
  if (marker.test(event.title)) return `title is marked ${CHAT_MARKER}`;
  if (marker.test(event.description)) return `description is marked ${CHAT_MARKER}`;
  return null;
}

function keywordReason(event: NeutralEvent, keywords: readonly string[]): string | null {
  for (const [field, text] of [
    ['title', event.title],
    ['description', event.description],
  ] as const) {
    for (const keyword of keywords) {
      if (keywordPattern(keyword)?.test(text)) return `${field} mentions "${keyword.trim().toLowerCase()}"`;
    }
  }
  return null;
}

/** Whole words only ("chat" is not in "ChatGPT"); a space in a keyword also matches a hyphen ("catch-up"). */
function keywordPattern(keyword: string): RegExp | null {
  const words = keyword
    .trim()
    .split(/[\s-]+/)
    .filter(Boolean)
    .map(escapeRegExp);
  if (words.length === 0) return null;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words.join('[\\s-]+')}(?![\\p{L}\\p{N}_])`, 'iu');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function formatMinutes(minutes: number): string {
  if (minutes % 60 === 0 && minutes >= 120) return `${minutes / 60} hours`;
  return `${minutes} minutes`;
}
