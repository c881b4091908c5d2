import { describe, expect, it } from '@jest/globals';
import { Duration } from 'luxon';
import { planCheckIn } from '../../worker/pipeline/plan-check-in.ts';
import type { CheckInFacts, Policy } from '../../worker/pipeline/types.ts';

const policy: Policy = {
  prepLead: Duration.fromISO('PT30M'),
  thankYouDelay: Duration.fromISO('PT30M'),
  checkInCadence: [Duration.fromISO('P6W'), Duration.fromISO('P3M')],
};
const at = (iso: string) => new Date(iso);

function facts(over: Partial<CheckInFacts> = {}): CheckInFacts {
  return {
    contactId: 'c1',
    status: 'active',
    step: 0,
    // Tue 10 Mar 2026, 11:00 in New York
    anchorAt: at('2026-03-10T15:00:00Z'),
    unansweredCount: 0,
    consecutiveDiscards: 0,
    snoozedUntil: null,
    doNotContact: false,
    lastMailExchangedAt: null,
    contactTimeZone: 'America/New_York',
    userTimeZone: 'Europe/London',
    ...over,
  };
}

const now = at('2026-03-11T00:00:00Z');

describe('planCheckIn', () => {
  it('the first check-in is due six weeks after the anchor, in the contact’s business hours', () => {
    const plan = planCheckIn(facts(), policy, now);
    // Tue 21 Apr 2026, 11:00 EDT (the anchor's wall time, kept across the DST change)
    expect(plan).toEqual({
      action: { kind: 'check_in', key: 'check_in-c1-0', dueAt: at('2026-04-21T15:00:00Z'), contactId: 'c1' },
    });
  });

  it('the last step repeats: step 5 waits three months like step 1', () => {
    const plan = planCheckIn(facts({ step: 5 }), policy, now);
    expect(plan.action!.key).toBe('check_in-c1-5');
    expect(plan.action!.dueAt).toEqual(at('2026-06-10T15:00:00Z'));
  });

  it('mail exchanged within the current step skips it and restarts the clock from that mail', () => {
    const mail = at('2026-04-01T14:00:00Z'); // Wed 10:00 EDT
    const plan = planCheckIn(facts({ lastMailExchangedAt: mail }), policy, now);
    expect(plan.reanchor).toEqual(mail);
    expect(plan.action!.key).toBe('check_in-c1-0');
    expect(plan.action!.dueAt).toEqual(at('2026-05-13T14:00:00Z'));
  });

  it('mail from before the anchor changes nothing', () => {
    const plan = planCheckIn(facts({ lastMailExchangedAt: at('2026-03-01T10:00:00Z') }), policy, now);
    expect(plan.reanchor).toBeUndefined();
    expect(plan.action!.dueAt).toEqual(at('2026-04-21T15:00:00Z'));
  });

  it('a check-in that would land on a weekend moves to Monday 10:00 in the contact’s zone', () => {
    // Sat 14 Mar 2026, 11:00 New York → six weeks later is Sat 25 Apr
    const plan = planCheckIn(facts({ anchorAt: at('2026-03-14T15:00:00Z') }), policy, now);
    expect(plan.action!.dueAt).toEqual(at('2026-04-27T14:00:00Z'));
  });

  it('a check-in that would land in the evening moves to 10:00 the next weekday', () => {
    // Fri 13 Mar 2026, 20:00 New York → Fri 24 Apr 20:00 → Mon 27 Apr 10:00
    const plan = planCheckIn(facts({ anchorAt: at('2026-03-14T00:00:00Z') }), policy, now);
    expect(plan.action!.dueAt).toEqual(at('2026-04-27T14:00:00Z'));
  });

  it('a check-in that would land before 9:00 moves to 10:00 the same day', () => {
    // Tue 10 Mar 2026, 07:00 New York
    const plan = planCheckIn(facts({ anchorAt: at('2026-03-10T11:00:00Z') }), policy, now);
    expect(plan.action!.dueAt).toEqual(at('2026-04-21T14:00:00Z'));
  });

  it('with the contact’s zone unknown, the user’s business hours are used', () => {
    // Sat 14 Mar 2026 15:00 UTC → Sat 25 Apr → Mon 27 Apr 10:00 London (BST)
    const plan = planCheckIn(
      facts({ contactTimeZone: null, anchorAt: at('2026-03-14T15:00:00Z') }),
      policy,
      now,
    );
    expect(plan.action!.dueAt).toEqual(at('2026-04-27T09:00:00Z'));
  });

  it('steps shorter than a day (tests, demos) are taken as they are, weekend or night', () => {
    const fast = { ...policy, checkInCadence: [Duration.fromISO('PT20S')] };
    const anchor = at('2026-03-14T03:00:00Z'); // Friday night in New York
    const plan = planCheckIn(facts({ anchorAt: anchor }), fast, anchor);
    expect(plan.action!.dueAt).toEqual(at('2026-03-14T03:00:20Z'));
  });

  it('a snoozed contact is not checked in on before the snooze ends', () => {
    const plan = planCheckIn(facts({ snoozedUntil: at('2026-05-05T15:00:00Z') }), policy, now);
    expect(plan.action!.dueAt).toEqual(at('2026-05-05T15:00:00Z'));
  });

  it('an overdue check-in is due now, but still inside business hours', () => {
    const late = at('2026-06-06T16:00:00Z'); // Saturday
    const plan = planCheckIn(facts(), policy, late);
    expect(plan.action!.dueAt).toEqual(at('2026-06-08T14:00:00Z'));
  });

  it('stops after 3 unanswered check-ins', () => {
    expect(planCheckIn(facts({ unansweredCount: 3 }), policy, now)).toEqual({
      action: null,
      stop: '3 check-ins went unanswered',
    });
    expect(planCheckIn(facts({ unansweredCount: 2 }), policy, now).action).not.toBeNull();
  });

  it('stops for a do-not-contact contact', () => {
    expect(planCheckIn(facts({ doNotContact: true }), policy, now)).toEqual({
      action: null,
      stop: 'contact is marked do-not-contact',
    });
  });

  it('stops when two drafts in a row were deleted unsent (the user said no)', () => {
    expect(planCheckIn(facts({ consecutiveDiscards: 2 }), policy, now).action).toBeNull();
    expect(planCheckIn(facts({ consecutiveDiscards: 1 }), policy, now).action).not.toBeNull();
  });

  it('a stopped cadence stays stopped', () => {
    expect(planCheckIn(facts({ status: 'stopped' }), policy, now).action).toBeNull();
  });
});
