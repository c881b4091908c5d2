import { describe, expect, it } from '@jest/globals';
import { Duration } from 'luxon';
import { planChatActions } from '../../worker/pipeline/plan-chat-actions.ts';
import type { ChatFacts, DesiredAction, Policy } from '../../worker/pipeline/types.ts';

const policy: Policy = {
  prepLead: Duration.fromISO('PT30M'),
  thankYouDelay: Duration.fromISO('PT30M'),
  checkInCadence: [Duration.fromISO('P6W'), Duration.fromISO('P3M')],
};

const start = new Date('2026-03-10T16:00:00Z');
const end = new Date('2026-03-10T16:30:00Z');
const at = (iso: string) => new Date(iso);
const minutesBefore = (d: Date, m: number) => new Date(d.getTime() - m * 60_000);

function chat(over: Partial<ChatFacts> = {}): ChatFacts {
  return {
    id: 'chat1',
    status: 'upcoming',
    startUtc: start,
    endUtc: end,
    seenLate: false,
    contactDoNotContact: false,
    done: [],
    ...over,
  };
}

const byKind = (actions: DesiredAction[]) => Object.fromEntries(actions.map((a) => [a.kind, a]));

describe('planChatActions', () => {
  it('a chat three days out gets its prep block, a confirmation the day before and a thank-you after it ends', () => {
    const now = at('2026-03-07T12:00:00Z');
    const a = byKind(planChatActions(chat(), policy, now));
    expect(a.prep).toEqual({
      kind: 'prep',
      key: 'prep-chat1',
      // written three days before the block (PREP_AHEAD_MS)
      dueAt: at('2026-03-07T15:30:00Z'),
      chatId: 'chat1',
      window: { start: at('2026-03-10T15:30:00Z'), end: start },
    });
    expect(a.confirmation).toEqual({
      kind: 'confirmation',
      key: 'confirmation-chat1',
      dueAt: at('2026-03-09T16:00:00Z'),
      chatId: 'chat1',
    });
    expect(a.thank_you).toEqual({
      kind: 'thank_you',
      key: 'thank_you-chat1',
      dueAt: at('2026-03-10T17:00:00Z'),
      chatId: 'chat1',
    });
  });

  it('keys are deterministic and never contain ":" (BullMQ job ids)', () => {
    const actions = planChatActions(chat({ id: 'acct:1:evt' }), policy, at('2026-03-07T12:00:00Z'));
    for (const a of actions) expect(a.key).not.toContain(':');
    expect(
      planChatActions(chat({ id: 'acct:1:evt' }), policy, at('2026-03-07T12:00:00Z')).map((a) => a.key),
    ).toEqual(actions.map((a) => a.key));
  });

  it('a rescheduled chat keeps its keys and moves its due times', () => {
    const now = at('2026-03-07T12:00:00Z');
    const before = byKind(planChatActions(chat(), policy, now));
    const moved = byKind(
      planChatActions(
        chat({ startUtc: at('2026-03-12T16:00:00Z'), endUtc: at('2026-03-12T16:30:00Z') }),
        policy,
        now,
      ),
    );
    expect(Object.keys(moved).sort()).toEqual(Object.keys(before).sort());
    for (const kind of Object.keys(before)) expect(moved[kind]!.key).toBe(before[kind]!.key);
    expect(moved.confirmation!.dueAt).toEqual(at('2026-03-11T16:00:00Z'));
    expect(moved.thank_you!.dueAt).toEqual(at('2026-03-12T17:00:00Z'));
    expect(moved.prep!.window).toEqual({
      start: at('2026-03-12T15:30:00Z'),
      end: at('2026-03-12T16:00:00Z'),
    });
  });

  describe('prep block', () => {
    it('with less than the lead time left, runs from now to the start', () => {
      const now = minutesBefore(start, 12);
      expect(byKind(planChatActions(chat(), policy, now)).prep!.window).toEqual({ start: now, end: start });
    });
    it('is skipped with under 5 minutes left', () => {
      expect(byKind(planChatActions(chat(), policy, minutesBefore(start, 4))).prep).toBeUndefined();
      expect(byKind(planChatActions(chat(), policy, minutesBefore(start, 5))).prep).toBeDefined();
    });
    it('is skipped once the chat has started', () => {
      expect(byKind(planChatActions(chat(), policy, at('2026-03-10T16:10:00Z'))).prep).toBeUndefined();
    });
    it('is not planned again once created, unless the chat moved', () => {
      const now = at('2026-03-07T12:00:00Z');
      const created = { start: at('2026-03-10T15:30:00Z'), end: start };
      expect(
        byKind(planChatActions(chat({ done: ['prep'], prepWindow: created }), policy, now)).prep,
      ).toBeUndefined();
      const moved = chat({
        done: ['prep'],
        prepWindow: created,
        startUtc: at('2026-03-11T16:00:00Z'),
        endUtc: at('2026-03-11T16:30:00Z'),
      });
      expect(byKind(planChatActions(moved, policy, now)).prep!.window).toEqual({
        start: at('2026-03-11T15:30:00Z'),
        end: at('2026-03-11T16:00:00Z'),
      });
    });
    it('is still planned for a do-not-contact contact: it is on the user’s own calendar and reaches nobody', () => {
      const a = byKind(
        planChatActions(chat({ contactDoNotContact: true }), policy, at('2026-03-07T12:00:00Z')),
      );
      expect(a.prep).toBeDefined();
      expect(a.confirmation).toBeUndefined();
      expect(a.thank_you).toBeUndefined();
    });
  });

  describe('confirmation', () => {
    it('a chat under 24 h but more than 2 h away is confirmed at once', () => {
      const now = minutesBefore(start, 5 * 60);
      expect(byKind(planChatActions(chat(), policy, now)).confirmation!.dueAt).toEqual(now);
    });
    it('a chat 2 hours away or closer gets no confirmation', () => {
      expect(byKind(planChatActions(chat(), policy, minutesBefore(start, 120))).confirmation).toBeUndefined();
      expect(byKind(planChatActions(chat(), policy, minutesBefore(start, 30))).confirmation).toBeUndefined();
    });
    it('inside 2 hours, one a run may already have made is kept to be found, never made new', () => {
      const now = minutesBefore(start, 30);
      const kept = byKind(planChatActions(chat({ attempted: ['confirmation'] }), policy, now)).confirmation;
      expect(kept).toMatchObject({ dueAt: now, adoptOnly: true });
      // Further out it is an ordinary confirmation again.
      const far = byKind(
        planChatActions(chat({ attempted: ['confirmation'] }), policy, minutesBefore(start, 5 * 60)),
      ).confirmation;
      expect(far?.adoptOnly).toBeUndefined();
      // Not once the chat has begun.
      expect(
        byKind(planChatActions(chat({ attempted: ['confirmation'] }), policy, at('2026-03-10T16:05:00Z')))
          .confirmation,
      ).toBeUndefined();
    });
    it('a chat already under way gets no confirmation', () => {
      expect(
        byKind(planChatActions(chat(), policy, at('2026-03-10T16:05:00Z'))).confirmation,
      ).toBeUndefined();
    });
    it('is not planned again once done', () => {
      expect(
        byKind(planChatActions(chat({ done: ['confirmation'] }), policy, at('2026-03-07T12:00:00Z')))
          .confirmation,
      ).toBeUndefined();
    });
  });

  describe('thank-you', () => {
    it('is due at the end plus the delay', () => {
      const fast = { ...policy, thankYouDelay: Duration.fromISO('PT5S') };
      expect(byKind(planChatActions(chat(), fast, at('2026-03-07T12:00:00Z'))).thank_you!.dueAt).toEqual(
        at('2026-03-10T16:30:05Z'),
      );
    });
    it('is never due later than 24 h after the end, whatever the delay', () => {
      const slow = { ...policy, thankYouDelay: Duration.fromISO('P3D') };
      expect(byKind(planChatActions(chat(), slow, at('2026-03-07T12:00:00Z'))).thank_you!.dueAt).toEqual(
        at('2026-03-11T16:30:00Z'),
      );
    });
    it('a past chat still gets its one thank-you', () => {
      const a = planChatActions(chat({ status: 'done' }), policy, at('2026-03-10T18:00:00Z'));
      expect(a.map((x) => x.kind)).toEqual(['thank_you']);
    });
    it('a chat first seen more than 24 h after it ended gets none', () => {
      expect(
        planChatActions(chat({ status: 'done', seenLate: true }), policy, at('2026-03-14T18:00:00Z')),
      ).toEqual([]);
    });
    it('is planned exactly once: not again once done', () => {
      expect(
        planChatActions(chat({ status: 'done', done: ['thank_you'] }), policy, at('2026-03-10T18:00:00Z')),
      ).toEqual([]);
    });
  });

  it('a cancelled chat plans nothing (the reconciler drops its jobs)', () => {
    expect(planChatActions(chat({ status: 'cancelled' }), policy, at('2026-03-07T12:00:00Z'))).toEqual([]);
  });
});
