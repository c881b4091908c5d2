// Why a detected chat gets nothing planned yet (pure). Writes on the user's behalf (drafts to the
// other person, busy prep blocks) need the user to stand behind the meeting, and a flood of
// invites must not become a flood of writes: an unsolicited daily "Coffee chat?" series once gave
// 180 chats, 180 prep blocks and drafts addressed to its sender.
import type { NeutralEvent } from '../../integrations/provider.ts';

/** At most this many upcoming chats with one person are planned at once (the earliest). */
export const MAX_PLANNED_PER_CONTACT = 2;
/** At most this many upcoming chats of one account are planned at once (the earliest). */
export const MAX_PLANNED_PER_ACCOUNT = 20;
/** Prefix of the reason given while the user has not accepted the invite (`status` shows it as pending). */
export const PENDING_PREFIX = 'pending:';

/**
 * null when the user organizes the event or accepted it; otherwise why not, as the user should
 * read it. An invite left unanswered, answered "maybe", or that does not list the user at all is
 * someone else's proposal, not the user's chat yet.
 */
export function unansweredInvite(
  event: Pick<NeutralEvent, 'organizer' | 'attendees'>,
  selfEmails: string[],
): string | null {
  const selves = new Set(selfEmails.map((e) => e.trim().toLowerCase()));
  const isSelf = (email: string, flag: boolean) => flag || selves.has(email.trim().toLowerCase());
  const org = event.organizer;
  if (org && isSelf(org.email, org.self)) return null;
  const me = event.attendees.find((a) => isSelf(a.email, a.self));
  if (me?.organizer || me?.response === 'accepted') return null;
  const from = org ? ` from ${org.email}` : '';
  const then = 'accept it to get drafts and a prep block';
  if (!me) return `${PENDING_PREFIX} you are not on the guest list of the invite${from}`;
  if (me.response === 'tentative')
    return `${PENDING_PREFIX} you answered "maybe" to the invite${from}; ${then}`;
  return `${PENDING_PREFIX} you have not accepted the invite${from}; ${then}`;
}

export interface WaitingFacts {
  /** unansweredInvite() of the chat's event (null: the user organizes or accepted it). */
  unanswered: string | null;
  /** Still ahead (or under way): the series and caps count only such chats. */
  upcoming: boolean;
  /** Upcoming occurrences of the same recurring series that come before this one. */
  earlierInSeries: number;
  /** Planned upcoming chats with the same person that come before this one. */
  plannedEarlierWithContact: number;
  /** Planned upcoming chats of the same account that come before this one. */
  plannedEarlierOnAccount: number;
  contactEmail: string;
}

/** Why nothing is planned for the chat now (null: plan it). */
export function waitingReason(f: WaitingFacts): string | null {
  if (f.unanswered) return f.unanswered;
  if (!f.upcoming) return null;
  if (f.earlierInSeries > 0)
    return 'waiting: a later occurrence of a recurring series (one at a time: planned once it is the next)';
  if (f.plannedEarlierWithContact >= MAX_PLANNED_PER_CONTACT)
    return `waiting: ${f.plannedEarlierWithContact} earlier chats with ${f.contactEmail} come first (at most ${MAX_PLANNED_PER_CONTACT} planned at once)`;
  if (f.plannedEarlierOnAccount >= MAX_PLANNED_PER_ACCOUNT)
    return `waiting: ${f.plannedEarlierOnAccount} earlier chats on this account come first (at most ${MAX_PLANNED_PER_ACCOUNT} planned at once)`;
  return null;
}
