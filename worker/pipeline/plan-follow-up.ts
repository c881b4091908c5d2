// When an outreach left unanswered gets its one gentle follow-up. Pure: the caller passes what it
// read and `now`. "Business days" are the contact's (they read it): Monday to Friday on their
// calendar, and the follow-up lands in their working hours, never on their weekend.
import { DateTime } from 'luxon';
import { safeZone, isValidZone } from './time-zones.ts';

export interface FollowUpFacts {
  doNotContact: boolean;
  /** When they replied in the outreach's (or the introduction's) thread; any reply is an answer. */
  repliedAt: Date | null;
  /** They declined (a declined invite): no follow-up. */
  declined: boolean;
  /** When the outreach was sent (null: not sent yet, nothing to follow up). */
  outreachSentAt: Date | null;
  /** A follow-up exists in any state (made, sent, deleted, set aside): never a second. */
  followUpExists: boolean;
  /** A chat is on the calendar or happened: the ask was answered another way. */
  hasChat: boolean;
  contactTimeZone: string | null;
  userTimeZone: string;
}

export type FollowUpDecision = { due: Date } | { none: string };

const START_HOUR = 9;
const END_HOUR = 17;
const LANDING_HOUR = 10;

/**
 * `businessDays` weekdays after `sentAt` on the contact's calendar (the user's when theirs is
 * unknown), at the same local time; moved to 10:00 on the next weekday when that is outside
 * 9:00–17:00.
 */
export function followUpDueAt(
  sentAt: Date,
  businessDays: number,
  contactZone: string | null,
  userZone: string,
): Date {
  const zone = isValidZone(contactZone) ? contactZone.trim() : safeZone(userZone);
  const isWeekday = (d: DateTime) => d.weekday <= 5;
  let t: DateTime = DateTime.fromJSDate(sentAt, { zone });
  // Sent on a weekend: counting starts from the next Monday's morning.
  if (!isWeekday(t)) {
    while (!isWeekday(t)) t = t.plus({ days: 1 });
    t = t.set({ hour: LANDING_HOUR, minute: 0, second: 0, millisecond: 0 });
  }
  let left = businessDays;
  while (left > 0) {
    t = t.plus({ days: 1 });
    if (isWeekday(t)) left -= 1;
  }
  if (t.hour < START_HOUR)
    return t.set({ hour: LANDING_HOUR, minute: 0, second: 0, millisecond: 0 }).toJSDate();
  if (t.hour >= END_HOUR) {
    let next = t.plus({ days: 1 });
    while (!isWeekday(next)) next = next.plus({ days: 1 });
    return next.set({ hour: LANDING_HOUR, minute: 0, second: 0, millisecond: 0 }).toJSDate();
  }
  return t.toJSDate();
}

/** Whether (and when) the one follow-up is wanted; why not otherwise. */
export function planFollowUp(facts: FollowUpFacts, businessDays: number): FollowUpDecision {
  if (facts.doNotContact) return { none: 'do not contact' };
  if (facts.followUpExists) return { none: 'already followed up once' };
  if (facts.repliedAt) return { none: 'they replied' };
  if (facts.declined) return { none: 'they declined' };
  if (facts.hasChat) return { none: 'a chat is on the calendar' };
  if (!facts.outreachSentAt) return { none: 'outreach not sent yet' };
  return {
    due: followUpDueAt(facts.outreachSentAt, businessDays, facts.contactTimeZone, facts.userTimeZone),
  };
}
