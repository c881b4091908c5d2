// When the next low-pressure check-in with a contact is due, or why there is none.
// Pure: the caller stores `reanchor` (and resets its unanswered count if it wishes) and
// reconciles `action` like any other desired action.
import { DateTime } from 'luxon';
import { safeZone } from './time-zones.ts';
import type { CheckInFacts, DesiredAction, Policy } from './types.ts';

export const MAX_UNANSWERED_CHECK_INS = 3;
export const MAX_CONSECUTIVE_DISCARDS = 2;

const DAY_MS = 24 * 60 * 60 * 1000;
const BUSINESS_START_HOUR = 9;
const BUSINESS_END_HOUR = 17;
const LANDING_HOUR = 10;

export interface CheckInPlan {
  action: DesiredAction | null;
  /** Why check-ins end for this contact (the caller marks the cadence stopped). */
  stop?: string;
  /** Mail was exchanged within the current step: the clock restarts from it. */
  reanchor?: Date;
}

export function checkInKey(contactId: string, step: number): string {
  return `check_in-${contactId.replace(/:/g, '_')}-${step}`;
}

/** The contact a check-in key was made for, when the key gives it back exactly (else undefined). */
export function checkInContact(key: string): string | undefined {
  const m = /^check_in-(.+)-(\d+)$/.exec(key);
  return m && !m[1]!.includes('_') && checkInKey(m[1]!, Number(m[2])) === key ? m[1] : undefined;
}

/**
 * Cadence steps count from the anchor (the thank-you sent, else the chat); the last step
 * repeats. Any mail exchanged after the anchor restarts the clock from that mail, so a
 * conversation already under way is never interrupted by a scripted check-in.
 */
export function planCheckIn(facts: CheckInFacts, policy: Policy, now: Date): CheckInPlan {
  if (facts.status === 'stopped') return { action: null, stop: 'check-ins stopped' };
  if (facts.doNotContact) return { action: null, stop: 'contact is marked do-not-contact' };
  if (facts.unansweredCount >= MAX_UNANSWERED_CHECK_INS) {
    return { action: null, stop: `${MAX_UNANSWERED_CHECK_INS} check-ins went unanswered` };
  }
  if (facts.consecutiveDiscards >= MAX_CONSECUTIVE_DISCARDS) {
    return {
      action: null,
      stop: `you deleted ${MAX_CONSECUTIVE_DISCARDS} check-in drafts in a row without sending`,
    };
  }
  const cadence = policy.checkInCadence;
  if (cadence.length === 0) return { action: null, stop: 'no check-in cadence configured' };

  const step = Math.max(0, facts.step);
  const interval = cadence[Math.min(step, cadence.length - 1)]!;

  let anchor = facts.anchorAt;
  let reanchor: Date | undefined;
  if (facts.lastMailExchangedAt && facts.lastMailExchangedAt.getTime() > anchor.getTime()) {
    anchor = facts.lastMailExchangedAt;
    reanchor = facts.lastMailExchangedAt;
  }

  const zone = safeZone(facts.contactTimeZone ?? facts.userTimeZone);
  // Calendar arithmetic in the recipient's zone: "P3M" is three calendar months, across DST too.
  let due: DateTime<boolean> = DateTime.fromJSDate(anchor, { zone }).plus(interval);
  if (facts.snoozedUntil && facts.snoozedUntil.getTime() > due.toMillis()) {
    due = DateTime.fromJSDate(facts.snoozedUntil, { zone });
  }
  // Overdue (the worker was down, or the anchor is old): due now, but still in business hours.
  if (due.toMillis() < now.getTime()) due = DateTime.fromJSDate(now, { zone });
  if (interval.toMillis() >= DAY_MS) due = intoBusinessHours(due);

  const action: DesiredAction = {
    kind: 'check_in',
    key: checkInKey(facts.contactId, step),
    dueAt: due.toJSDate(),
    contactId: facts.contactId,
  };
  return reanchor ? { action, reanchor } : { action };
}

/** The same moment when it is a weekday 9:00–17:00 locally, else 10:00 on the next weekday. */
function intoBusinessHours(t: DateTime<boolean>): DateTime<boolean> {
  const isWeekday = (d: DateTime) => d.weekday <= 5;
  if (isWeekday(t) && t.hour >= BUSINESS_START_HOUR && t.hour < BUSINESS_END_HOUR) return t;
  let day = t.startOf('day');
  if (!isWeekday(t) || t.hour >= BUSINESS_END_HOUR) day = day.plus({ days: 1 });
  while (!isWeekday(day)) day = day.plus({ days: 1 });
  return day.set({ hour: LANDING_HOUR, minute: 0, second: 0, millisecond: 0 });
}
