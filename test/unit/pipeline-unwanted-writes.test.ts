// Strangers' invites do not drive writes (issue 12, "Nothing unwanted" 7): only a chat the user
// organizes or accepted gets drafts and a prep block, a recurring series one occurrence at a time,
// prep blocks only a few days ahead, and caps per person and per account, each with its reason.
import { describe, expect, it } from '@jest/globals';
import { Duration } from 'luxon';
import type { NeutralAttendee, NeutralEvent } from '../../integrations/provider.ts';
import {
  MAX_PLANNED_PER_ACCOUNT,
  MAX_PLANNED_PER_CONTACT,
  unansweredInvite,
  waitingReason,
  type WaitingFacts,
} from '../../worker/pipeline/chat-waiting.ts';
import { PREP_AHEAD_MS, planChatActions } from '../../worker/pipeline/plan-chat-actions.ts';
import type { ChatFacts, Policy } from '../../worker/pipeline/types.ts';

const policy: Policy = {
  prepLead: Duration.fromISO('PT30M'),
  thankYouDelay: Duration.fromISO('PT30M'),
  checkInCadence: [Duration.fromISO('P6W')],
};
const DAY = 86_400_000;
const now = new Date('2026-03-02T12:00:00Z');
const chat = (over: Partial<ChatFacts> = {}): ChatFacts => ({
  id: 'c1',
  status: 'upcoming',
  startUtc: new Date(now.getTime() + 2 * DAY),
  endUtc: new Date(now.getTime() + 2 * DAY + 30 * 60_000),
  seenLate: false,
  contactDoNotContact: false,
  done: [],
  ...over,
});

const me = 'maya@example.com';
const person = (email: string, over: Partial<NeutralAttendee> = {}): NeutralAttendee => ({
  email,
  self: false,
  organizer: false,
  resource: false,
  response: 'accepted',
  ...over,
});
function invite(myResponse: NeutralAttendee['response'], organizer = 'stranger@example.org') {
  return {
    organizer: { email: organizer, self: organizer === me },
    attendees: [
      person(organizer, { organizer: true }),
      person(me, { self: true, response: myResponse, organizer: organizer === me }),
    ],
  } satisfies Pick<NeutralEvent, 'organizer' | 'attendees'>;
}

describe('whose chat it is', () => {
  it('an invite the user has not answered is pending, with who sent it', () => {
    expect(unansweredInvite(invite('needsAction'), [me])).toBe(
      'pending: you have not accepted the invite from stranger@example.org; accept it to get drafts and a prep block',
    );
    expect(unansweredInvite(invite('tentative'), [me])).toMatch(/^pending: you answered "maybe"/);
    expect(unansweredInvite(invite('unknown'), [me])).toMatch(/^pending: you have not accepted/);
  });

  it('a chat the user organizes or accepted is theirs', () => {
    expect(unansweredInvite(invite('accepted'), [me])).toBeNull();
    expect(unansweredInvite(invite('needsAction', me), [me])).toBeNull();
  });
});

describe('waitingReason', () => {
  const facts = (over: Partial<WaitingFacts> = {}): WaitingFacts => ({
    unanswered: null,
    upcoming: true,
    earlierInSeries: 0,
    plannedEarlierWithContact: 0,
    plannedEarlierOnAccount: 0,
    contactEmail: 'kim@example.org',
    ...over,
  });

  it('plans the next occurrence of a series, and none after it', () => {
    expect(waitingReason(facts())).toBeNull();
    expect(waitingReason(facts({ earlierInSeries: 1 }))).toMatch(/later occurrence of a recurring series/);
  });

  it('caps the chats planned at once per person and per account, saying so', () => {
    expect(waitingReason(facts({ plannedEarlierWithContact: MAX_PLANNED_PER_CONTACT - 1 }))).toBeNull();
    expect(waitingReason(facts({ plannedEarlierWithContact: MAX_PLANNED_PER_CONTACT }))).toBe(
      `waiting: ${MAX_PLANNED_PER_CONTACT} earlier chats with kim@example.org come first (at most ${MAX_PLANNED_PER_CONTACT} planned at once)`,
    );
    expect(waitingReason(facts({ plannedEarlierOnAccount: MAX_PLANNED_PER_ACCOUNT }))).toMatch(
      /earlier chats on this account come first/,
    );
  });

  it('an unanswered invite is pending even once it is over (no thank-you to a stranger)', () => {
    expect(waitingReason(facts({ upcoming: false, unanswered: 'pending: x' }))).toBe('pending: x');
    expect(waitingReason(facts({ upcoming: false, earlierInSeries: 3 }))).toBeNull();
  });
});

describe('planChatActions with a waiting chat and a far-off chat', () => {
  it('plans nothing for a chat that waits (no prep block, no confirmation, no thank-you)', () => {
    expect(planChatActions(chat({ waiting: 'pending: you have not accepted' }), policy, now)).toEqual([]);
    const over = chat({
      status: 'done',
      startUtc: new Date(now.getTime() - DAY),
      endUtc: new Date(now.getTime() - DAY + 1_800_000),
    });
    expect(planChatActions({ ...over, waiting: 'pending: x' }, policy, now)).toEqual([]);
  });

  it(`writes a prep block only ${PREP_AHEAD_MS / DAY} days ahead: a chat further out gets it later`, () => {
    const far = chat({
      startUtc: new Date(now.getTime() + 10 * DAY),
      endUtc: new Date(now.getTime() + 10 * DAY + 1_800_000),
    });
    const prep = planChatActions(far, policy, now).find((a) => a.kind === 'prep')!;
    expect(prep.window!.start).toEqual(new Date(far.startUtc.getTime() - 30 * 60_000));
    expect(prep.dueAt).toEqual(new Date(prep.window!.start.getTime() - PREP_AHEAD_MS));
    // A near chat's block is due at once.
    expect(planChatActions(chat(), policy, now).find((a) => a.kind === 'prep')!.dueAt).toEqual(now);
  });
});
