import { describe, expect, it } from '@jest/globals';
import type { NeutralAttendee, NeutralEvent } from '../../integrations/provider.ts';
import { DEFAULT_CHAT_KEYWORDS, detectChat } from '../../worker/pipeline/detect-chat.ts';

const me = 'me@example.com';

function person(email: string, extra: Partial<NeutralAttendee> = {}): NeutralAttendee {
  return { email, self: false, organizer: false, resource: false, response: 'accepted', ...extra };
}

function event(over: Partial<NeutralEvent> = {}): NeutralEvent {
  return {
    providerEventId: 'e1',
    calendarId: 'primary',
    status: 'confirmed',
    title: 'Coffee with Ana',
    description: '',
    start: { kind: 'timed', utc: '2026-03-10T16:00:00Z', timeZone: 'America/Los_Angeles' },
    end: { kind: 'timed', utc: '2026-03-10T16:30:00Z', timeZone: 'America/Los_Angeles' },
    organizer: { email: me, self: true },
    attendees: [person(me, { self: true, organizer: true }), person('ana@x.com', { name: 'Ana Lopez' })],
    markers: {},
    ...over,
  };
}

const ctx = { selfEmails: [me] };

describe('detectChat', () => {
  it('a 30-minute "Coffee with Ana" 1:1 is a chat, with Ana as the contact and the reasons', () => {
    const d = detectChat(event(), ctx);
    expect(d.isChat).toBe(true);
    expect(d.reasons).toEqual(['1:1 with ana@x.com', 'title mentions "coffee"']);
    expect(d.contact).toEqual({ email: 'ana@x.com', name: 'Ana Lopez', isOrganizer: false });
  });

  it('the default keywords are the ones the issue lists', () => {
    expect(DEFAULT_CHAT_KEYWORDS).toEqual(
      expect.arrayContaining([
        'coffee',
        'chat',
        'informational interview',
        'info interview',
        'virtual coffee',
        'catch up',
        'intro call',
        'career advice',
        'networking',
      ]),
    );
  });

  it('a keyword in the description counts, and "catch-up" matches "catch up"', () => {
    const d = detectChat(event({ title: 'Ana / Me', description: 'Quick catch-up about the PM role' }), ctx);
    expect(d.isChat).toBe(true);
    expect(d.reasons).toContain('description mentions "catch up"');
  });

  it('keywords match whole words only: "ChatGPT demo" and "Coffeehouse planning" are not chats', () => {
    expect(detectChat(event({ title: 'ChatGPT demo' }), ctx).isChat).toBe(false);
    expect(detectChat(event({ title: 'Coffeehouse planning' }), ctx).isChat).toBe(false);
  });

  it('keywords match regardless of case', () => {
    expect(detectChat(event({ title: 'INFORMATIONAL INTERVIEW — Ana' }), ctx).reasons).toContain(
      'title mentions "informational interview"',
    );
  });

  it('a caller-given keyword list replaces the default', () => {
    expect(
      detectChat(event({ title: 'Mentoring session' }), { ...ctx, keywords: ['mentoring'] }).isChat,
    ).toBe(true);
    expect(detectChat(event(), { ...ctx, keywords: ['mentoring'] }).isChat).toBe(false);
  });

  it('the explicit #coffeechat marker makes any 1:1 a chat', () => {
    const d = detectChat(event({ title: 'Ana', description: 'see you then #coffeechat' }), ctx);
    expect(d.isChat).toBe(true);
    expect(d.reasons).toContain('description is marked #coffeechat');
  });

  it('events the tool created count, by their marker', () => {
    const d = detectChat(event({ title: 'Ana / Me', markers: { coffeeChatKey: 'k1' } }), ctx);
    expect(d.isChat).toBe(true);
    expect(d.reasons).toContain('created by coffee-chat');
  });

  // Someone else's invite: the copy on the user's calendar carries whatever its organizer put there.
  const theirs = (markers: Record<string, string>, title = 'Ana / Me') =>
    event({
      title,
      organizer: { email: 'ana@x.com', self: false },
      attendees: [person(me, { self: true }), person('ana@x.com', { organizer: true })],
      markers,
    });

  it("our marker on someone else's invite does not make it a chat", () => {
    const d = detectChat(theirs({ coffeeChatKey: 'k1' }), ctx);
    expect(d.isChat).toBe(false);
    expect(d.reasons).not.toContain('created by coffee-chat');
  });

  it("a prep-block marker on someone else's invite does not hide it: it is judged like any event", () => {
    const d = detectChat(theirs({ coffeeChatKey: 'prep-abc' }, 'Coffee with Ana'), ctx);
    expect(d.isChat).toBe(true);
    expect(d.reasons).toEqual(['1:1 with ana@x.com', 'title mentions "coffee"']);
  });

  it('a prep-block marker on an event the user organizes is our prep block', () => {
    const d = detectChat(
      event({ title: 'Prep: coffee with Ana', markers: { coffeeChatKey: 'prep-abc' } }),
      ctx,
    );
    expect(d).toEqual({ isChat: false, reasons: ['ignored: prep block made by coffee-chat'] });
  });

  it('an event that does not say it is a chat is ignored, saying so', () => {
    const d = detectChat(event({ title: 'Quarterly review' }), ctx);
    expect(d.isChat).toBe(false);
    expect(d.reasons).toEqual(['ignored: nothing says it is a coffee chat (no keyword or #coffeechat)']);
    expect(d.contact?.email).toBe('ana@x.com');
  });

  it('an all-day event is ignored', () => {
    const d = detectChat(
      event({ start: { kind: 'allDay', date: '2026-03-10' }, end: { kind: 'allDay', date: '2026-03-11' } }),
      ctx,
    );
    expect(d.isChat).toBe(false);
    expect(d.reasons).toContain('ignored: all-day event');
  });

  it('a cancelled event is ignored', () => {
    expect(detectChat(event({ status: 'cancelled' }), ctx).reasons).toContain('ignored: cancelled');
  });

  it('an event the user declined is ignored', () => {
    const d = detectChat(
      event({
        organizer: { email: 'ana@x.com', self: false },
        attendees: [
          person('ana@x.com', { organizer: true }),
          person(me, { self: true, response: 'declined' }),
        ],
      }),
      ctx,
    );
    expect(d.isChat).toBe(false);
    expect(d.reasons).toEqual(['ignored: you declined']);
  });

  it('a team meeting with three other people is ignored', () => {
    const d = detectChat(
      event({
        title: 'Team coffee',
        attendees: [person(me, { self: true }), person('a@x.com'), person('b@x.com'), person('c@x.com')],
      }),
      ctx,
    );
    expect(d.isChat).toBe(false);
    expect(d.reasons).toContain('ignored: 3 other attendees');
    expect(d.contact).toBeUndefined();
  });

  it('a solo event (no other attendee) is ignored', () => {
    const d = detectChat(event({ title: 'Coffee break', attendees: [] }), ctx);
    expect(d.isChat).toBe(false);
    expect(d.reasons).toContain('ignored: no other attendee');
  });

  it('rooms and resources do not count as people', () => {
    const d = detectChat(
      event({
        attendees: [
          person(me, { self: true }),
          person('ana@x.com'),
          person('room-4@resource.x.com', { resource: true }),
        ],
      }),
      ctx,
    );
    expect(d.isChat).toBe(true);
  });

  it('the user is recognised by selfEmails even without the provider self flag, whatever the case', () => {
    const d = detectChat(event({ attendees: [person('ME@Example.com'), person('ana@x.com')] }), ctx);
    expect(d.isChat).toBe(true);
    expect(d.contact?.email).toBe('ana@x.com');
  });

  it('the contact who organized is flagged as organizer', () => {
    const d = detectChat(
      event({
        organizer: { email: 'ana@x.com', self: false, name: 'Ana' },
        attendees: [person('ana@x.com', { organizer: true, name: 'Ana' }), person(me, { self: true })],
      }),
      ctx,
    );
    expect(d.contact).toEqual({ email: 'ana@x.com', name: 'Ana', isOrganizer: true });
  });

  it('an organizer missing from the attendee list is still the other person', () => {
    const d = detectChat(
      event({ organizer: { email: 'ana@x.com', self: false }, attendees: [person(me, { self: true })] }),
      ctx,
    );
    expect(d.isChat).toBe(true);
    expect(d.contact).toEqual({ email: 'ana@x.com', isOrganizer: true });
  });

  it('a 90-minute event is too long to be a coffee chat; exactly 60 minutes is fine', () => {
    const long = detectChat(
      event({ end: { kind: 'timed', utc: '2026-03-10T17:30:00Z', timeZone: null } }),
      ctx,
    );
    expect(long.isChat).toBe(false);
    expect(long.reasons).toContain('ignored: 90 minutes long (chats are at most 60 minutes)');
    expect(
      detectChat(event({ end: { kind: 'timed', utc: '2026-03-10T17:00:00Z', timeZone: null } }), ctx).isChat,
    ).toBe(true);
  });

  it('a weekly recurring 1:1 is not a chat even when titled "chat", unless marked', () => {
    const weekly = { recurringEventId: 's1', recurrenceFrequency: 'WEEKLY', title: 'Weekly chat with Ana' };
    const d = detectChat(event(weekly), ctx);
    expect(d.isChat).toBe(false);
    expect(d.reasons).toContain('ignored: weekly recurring 1:1 (mark with #coffeechat to include)');
    expect(detectChat(event({ ...weekly, title: 'Weekly chat #coffeechat' }), ctx).isChat).toBe(true);
  });

  it('the caller can say a series is a weekly 1:1 when the event lacks the frequency', () => {
    expect(
      detectChat(event({ recurringEventId: 's1' }), { ...ctx, seriesIsWeeklyOneOnOne: true }).isChat,
    ).toBe(false);
  });

  it('a monthly recurring coffee is still a chat', () => {
    expect(detectChat(event({ recurringEventId: 's1', recurrenceFrequency: 'MONTHLY' }), ctx).isChat).toBe(
      true,
    );
  });

  it('the user including an event wins over every rule', () => {
    const d = detectChat(
      event({
        title: 'Quarterly review',
        end: { kind: 'timed', utc: '2026-03-10T18:00:00Z', timeZone: null },
      }),
      { ...ctx, override: 'include' },
    );
    expect(d.isChat).toBe(true);
    expect(d.reasons[0]).toBe('included by you');
    expect(d.contact?.email).toBe('ana@x.com');
  });

  it('the user excluding an event wins over every rule', () => {
    const d = detectChat(event(), { ...ctx, override: 'exclude' });
    expect(d).toEqual({ isChat: false, reasons: ['excluded by you'], endsChat: true });
  });

  it('an ignored event lists every reason, not just the first', () => {
    const d = detectChat(
      event({
        status: 'cancelled',
        title: 'Standup',
        attendees: [person(me, { self: true }), person('a@x.com'), person('b@x.com')],
      }),
      ctx,
    );
    expect(d.reasons).toEqual([
      'ignored: cancelled',
      'ignored: 2 other attendees',
      'ignored: nothing says it is a coffee chat (no keyword or #coffeechat)',
    ]);
  });
});

describe('what ends a chat already detected (issue 12, "Nothing unwanted" 8)', () => {
  it('a cancel, a decline or the user excluding it ends it', () => {
    expect(detectChat(event({ status: 'cancelled' }), ctx).endsChat).toBe(true);
    const declined = event({
      organizer: { email: 'ana@x.com', self: false },
      attendees: [person('ana@x.com', { organizer: true }), person(me, { self: true, response: 'declined' })],
    });
    expect(detectChat(declined, ctx).endsChat).toBe(true);
    expect(detectChat(event(), { ...ctx, override: 'exclude' }).endsChat).toBe(true);
  });

  it('growing past an hour or gaining a guest does not: it just stops looking like a chat', () => {
    const longer = detectChat(
      event({ end: { kind: 'timed', utc: '2026-03-10T17:30:00Z', timeZone: null } }),
      ctx,
    );
    expect(longer.isChat).toBe(false);
    expect(longer.endsChat).toBeUndefined();
    const guest = detectChat(event({ attendees: [...event().attendees, person('bo@x.com')] }), ctx);
    expect(guest.isChat).toBe(false);
    expect(guest.endsChat).toBeUndefined();
  });
});
