// Every draft read as the person it is for. An email to a contact is read by the contact: "your
// time" must be the time on *their* clock, the subject's day *their* day, "since we spoke in …"
// *their* month. The prep block is read by the user, on the user's calendar: the user's side first.
// What a reader's clock shows is worked out here with Intl, not with the code under test.
import { describe, expect, it } from '@jest/globals';
import {
  renderDraft,
  renderPrepDescription,
  type ChatWhen,
  type DraftKind,
  type DraftModels,
  type RenderedDraft,
} from '../../worker/pipeline/render-draft.ts';

const NEW_YORK = 'America/New_York';
const TOKYO = 'Asia/Tokyo';
const LONDON = 'Europe/London';

const maya = { name: 'Maya Chen', email: 'maya@example.com' };
const kenji = { name: 'Kenji Watanabe', email: 'kenji@example.jp' };

/** What a wall clock in `zone` shows at `instant`: { day: "Monday, Nov 30", clock: "4:00 PM" }. */
function wallClock(instant: Date, zone: string): { day: string; clock: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'long',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      hour12: true,
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    day: `${parts.weekday}, ${parts.month} ${parts.day}`,
    clock: `${parts.hour}:${parts.minute} ${parts.dayPeriod}`,
  };
}

/** The part of a text that speaks of the reader's time: "Monday, Nov 30, 4:00 PM your time (JST)". */
function yourTime(text: string): { day: string; clock: string; zone: string } | null {
  const m = /(\w+day, \w{3} \d{1,2}), (\d{1,2}:\d\d [AP]M) your time(?: and mine)? \(([^)]+)\)/.exec(text);
  return m ? { day: m[1]!, clock: m[2]!, zone: m[3]! } : null;
}

/** The sender's side: "2:00 AM for me in New York (EST)", with its day when it differs. */
function senderTime(text: string): { day: string | null; clock: string; where: string; zone: string } | null {
  const m = /(?:(\w+day, \w{3} \d{1,2}), )?(\d{1,2}:\d\d [AP]M) for me in ([^(]+?) \(([^)]+)\)/.exec(text);
  return m ? { day: m[1] ?? null, clock: m[2]!, where: m[3]!, zone: m[4]! } : null;
}

function confirmation(
  start: string,
  userZone: string,
  contactZone: string | null,
): { draft: RenderedDraft; instant: Date } {
  const instant = new Date(start);
  const chat: ChatWhen = {
    start: instant,
    end: new Date(instant.getTime() + 30 * 60_000),
    userZone,
    contactZone,
    conferenceUrl: 'https://meet.google.com/abc-defg-hij',
  };
  return { draft: renderDraft('confirmation', { from: maya, to: kenji, chat }), instant };
}

/** Reads a confirmation as its recipient in `readerZone`, and as the sender's side names itself. */
function expectReadsRight(
  draft: RenderedDraft,
  instant: Date,
  readerZone: string,
  readerAbbr: string,
  senderZone: string,
  senderCity: string,
) {
  const reader = wallClock(instant, readerZone);
  const sender = wallClock(instant, senderZone);
  for (const part of [draft.text, draft.html]) {
    expect(yourTime(part)).toEqual({ ...reader, zone: readerAbbr });
    const mine = senderTime(part);
    expect(mine).toMatchObject({ clock: sender.clock, where: senderCity });
    // The sender's day is named whenever it is not the reader's day.
    expect(mine!.day).toBe(sender.day === reader.day ? null : sender.day);
    // The reader's side comes first.
    expect(part.indexOf('your time')).toBeLessThan(part.indexOf('for me in'));
  }
  expect(draft.subject).toBe(`Confirming our chat on ${reader.day}`);
}

describe('the confirmation, read by the contact', () => {
  it('Kenji in Tokyo reads 4:00 PM as his time, with Maya’s 2:00 AM in New York beside it', () => {
    const { draft, instant } = confirmation('2026-11-30T07:00:00Z', NEW_YORK, TOKYO);
    expect(draft.text).toContain(
      'When: Monday, Nov 30, 4:00 PM your time (JST) / 2:00 AM for me in New York (EST)',
    );
    expectReadsRight(draft, instant, TOKYO, 'JST', NEW_YORK, 'New York');
  });

  it('across midnight each side names its own day, and the subject gives Kenji’s day', () => {
    const { draft, instant } = confirmation('2026-12-01T00:00:00Z', NEW_YORK, TOKYO);
    expect(draft.text).toContain(
      'Tuesday, Dec 1, 9:00 AM your time (JST) / Monday, Nov 30, 7:00 PM for me in New York (EST)',
    );
    expect(draft.subject).toBe('Confirming our chat on Tuesday, Dec 1');
    expectReadsRight(draft, instant, TOKYO, 'JST', NEW_YORK, 'New York');
  });

  it('the reverse: a contact in New York reads their evening, the user in Tokyo is the next morning', () => {
    const { draft, instant } = confirmation('2026-12-01T00:00:00Z', TOKYO, NEW_YORK);
    expect(draft.text).toContain(
      'Monday, Nov 30, 7:00 PM your time (EST) / Tuesday, Dec 1, 9:00 AM for me in Tokyo (JST)',
    );
    expect(draft.subject).toBe('Confirming our chat on Monday, Nov 30');
    expectReadsRight(draft, instant, NEW_YORK, 'EST', TOKYO, 'Tokyo');
  });

  describe('in March 2027, the week the US has changed to summer time and Europe has not', () => {
    // US: Sun Mar 14 2027. EU: Sun Mar 28 2027. 14:00 UTC is 2:00 PM in London throughout.
    it('a contact in London, before the US change: 5 hours apart', () => {
      const { draft, instant } = confirmation('2027-03-09T14:00:00Z', NEW_YORK, LONDON);
      expect(draft.text).toContain(
        'Tuesday, Mar 9, 2:00 PM your time (GMT) / 9:00 AM for me in New York (EST)',
      );
      expectReadsRight(draft, instant, LONDON, 'GMT', NEW_YORK, 'New York');
    });
    it('a contact in London, in the gap week: 4 hours apart, still GMT on their side', () => {
      const { draft, instant } = confirmation('2027-03-16T14:00:00Z', NEW_YORK, LONDON);
      expect(draft.text).toContain(
        'Tuesday, Mar 16, 2:00 PM your time (GMT) / 10:00 AM for me in New York (EDT)',
      );
      expectReadsRight(draft, instant, LONDON, 'GMT', NEW_YORK, 'New York');
    });
    it('the reverse in the gap week: a contact in New York reads EDT, the user in London GMT', () => {
      const { draft, instant } = confirmation('2027-03-16T14:00:00Z', LONDON, NEW_YORK);
      expect(draft.text).toContain(
        'Tuesday, Mar 16, 10:00 AM your time (EDT) / 2:00 PM for me in London (GMT)',
      );
      expectReadsRight(draft, instant, NEW_YORK, 'EDT', LONDON, 'London');
    });
    it('after both changes: 5 hours apart again, EDT / BST', () => {
      const { draft, instant } = confirmation('2027-03-30T14:00:00Z', NEW_YORK, LONDON);
      expectReadsRight(draft, instant, LONDON, 'BST', NEW_YORK, 'New York');
    });
  });

  it('when both sides read the same clock, it says so once, as the reader’s time', () => {
    const { draft } = confirmation('2026-11-30T15:00:00Z', NEW_YORK, 'America/Toronto');
    expect(draft.text).toContain('When: Monday, Nov 30, 10:00 AM your time and mine (EST)\n');
    expect(draft.subject).toBe('Confirming our chat on Monday, Nov 30');
  });

  describe('a contact whose zone is unknown', () => {
    for (const contactZone of [null, 'Mars/Olympus_Mons']) {
      it(`never reads "your time" (${String(contactZone)}): gets the sender’s time with its zone, and is told plainly`, () => {
        const { draft } = confirmation('2026-11-30T07:00:00Z', NEW_YORK, contactZone);
        for (const part of [draft.subject, draft.text, draft.html]) expect(part).not.toMatch(/your time/i);
        expect(draft.text).toContain('When: Monday, Nov 30, 2:00 AM my time in New York (EST).');
        expect(draft.text).toMatch(/I don't know which time zone you're in/);
        expect(draft.html).toContain('2:00 AM my time in New York (EST).');
        // The subject's day is not passed off as theirs either.
        expect(draft.subject).toBe('Confirming our chat on Monday, Nov 30 (New York time)');
      });
    }
  });
});

describe('the check-in, read by the contact', () => {
  // Wed Mar 31 2027, 7:30 PM in New York: already Thursday, April 1 in Tokyo.
  const chatStart = new Date('2027-03-31T23:30:00Z');

  it('"since we spoke in …" is the month on the contact’s calendar', () => {
    const d = renderDraft('check-in', {
      from: maya,
      to: kenji,
      chatStart,
      userZone: NEW_YORK,
      contactZone: TOKYO,
    });
    expect(d.subject).toBe('A quick update since we spoke in April');
    expect(d.text).toContain('since we spoke in April');
    expect(d.html).toContain('since we spoke in April');
  });

  it('the reverse: a contact in New York spoke with a user in Tokyo in March', () => {
    const d = renderDraft('check-in', {
      from: maya,
      to: kenji,
      chatStart,
      userZone: TOKYO,
      contactZone: NEW_YORK,
    });
    expect(d.subject).toBe('A quick update since we spoke in March');
  });

  it('with the contact’s zone unknown, the user’s calendar is the only one we have', () => {
    const d = renderDraft('check-in', {
      from: maya,
      to: kenji,
      chatStart,
      userZone: NEW_YORK,
      contactZone: null,
    });
    expect(d.subject).toBe('A quick update since we spoke in March');
  });
});

describe('no email to a contact calls the sender’s time theirs', () => {
  const models: { [K in DraftKind]: DraftModels[K] } = {
    confirmation: {
      from: maya,
      to: kenji,
      chat: {
        start: new Date('2026-11-30T07:00:00Z'),
        end: new Date('2026-11-30T07:30:00Z'),
        userZone: NEW_YORK,
        contactZone: TOKYO,
      },
    },
    'thank-you': { from: maya, to: kenji, note: 'write down what you ship' },
    'check-in': {
      from: maya,
      to: kenji,
      chatStart: new Date('2026-11-30T07:00:00Z'),
      userZone: NEW_YORK,
      contactZone: TOKYO,
    },
    outreach: { from: maya, to: kenji, why: 'you moved from research into product in Tokyo' },
    'intro-request': {
      from: maya,
      to: kenji,
      target: { name: 'Ana Lopez', email: 'ana@example.org', company: 'Acme', role: 'PM' },
      reason: 'she moved from research into product',
    },
    'follow-up': {
      from: maya,
      to: kenji,
      originalSubject: 'Could I ask your advice, Kenji? (15–20 minutes)',
      sentAt: new Date('2026-11-30T07:00:00Z'),
      userZone: NEW_YORK,
      contactZone: TOKYO,
    },
    'propose-times': {
      from: maya,
      to: kenji,
      slots: [{ start: new Date('2026-11-30T07:00:00Z'), end: new Date('2026-11-30T07:30:00Z') }],
      minutes: 30,
      userZone: NEW_YORK,
      contactZone: TOKYO,
    },
  };
  for (const kind of Object.keys(models) as DraftKind[]) {
    it(`${kind}: greets the contact, signs as the user, and any "your time" is on the contact’s clock`, () => {
      const d = renderDraft(kind, models[kind] as never);
      expect(d.text).toMatch(/^Hi Kenji,/);
      expect(d.text.trimEnd().endsWith('Maya Chen')).toBe(true);
      for (const part of [d.subject, d.text, d.html]) {
        const yours = yourTime(part);
        if (yours)
          expect(yours).toEqual({ ...wallClock(new Date('2026-11-30T07:00:00Z'), TOKYO), zone: 'JST' });
        // The user's clock (2:00 AM in New York) is never presented as the contact's.
        expect(part).not.toMatch(/2:00 AM your time/);
      }
    });
  }
});

describe('the prep block, read by the user', () => {
  it('keeps the user’s side first: New York is "your time", Tokyo is Kenji’s', () => {
    const text = renderPrepDescription({
      contact: kenji,
      chat: {
        title: 'Coffee with Kenji',
        start: new Date('2026-12-01T00:00:00Z'),
        end: new Date('2026-12-01T00:30:00Z'),
        userZone: NEW_YORK,
        contactZone: TOKYO,
      },
    });
    expect(text).toContain(
      'When: Mon, Nov 30, 7:00 PM your time (EST) / Tue, Dec 1, 9:00 AM Tokyo time (JST)',
    );
    expect(text).toContain('Start wrapping up at 7:25 PM (your time)');
  });
});
