import { describe, expect, it } from '@jest/globals';
import { contactStage, type ContactStageFacts } from '../../worker/pipeline/contact-stage.ts';
import { renderDraft } from '../../worker/pipeline/render-draft.ts';
import { followUpDueAt, planFollowUp, type FollowUpFacts } from '../../worker/pipeline/plan-follow-up.ts';

const at = (iso: string) => new Date(iso);
// Every instant below is fixed: nothing depends on when the suite runs.
const NOW = at('2026-12-01T15:00:00Z'); // Tue 1 Dec 2026

function facts(over: Partial<ContactStageFacts> = {}): ContactStageFacts {
  return {
    email: 'ana@example.org',
    doNotContact: false,
    introducer: null,
    introducedAt: null,
    repliedAt: null,
    drafts: [],
    chats: [],
    checkIn: null,
    contactTimeZone: 'Asia/Tokyo',
    userTimeZone: 'America/New_York',
    followUpBusinessDays: 7,
    ...over,
  };
}

const sentOutreach = {
  kind: 'outreach' as const,
  status: 'sent' as const,
  sentAt: at('2026-11-24T14:00:00Z'),
};
const pastChat = {
  status: 'done' as const,
  startUtc: at('2026-11-30T01:00:00Z'),
  endUtc: at('2026-11-30T01:30:00Z'),
};
const futureChat = {
  status: 'upcoming' as const,
  startUtc: at('2026-12-03T01:00:00Z'),
  endUtc: at('2026-12-03T01:30:00Z'),
};

describe('a contact’s stage is derived from what happened', () => {
  it('someone just added is a target, and the next step is to ask them', () => {
    const v = contactStage(facts(), NOW);
    expect(v.stage).toBe('target');
    expect(v.next).toContain('coffee-chat outreach --to ana@example.org');
  });

  it('with an introducer, the next step is the introduction request, then waiting for it', () => {
    expect(contactStage(facts({ introducer: 'kenji@example.org' }), NOW).next).toContain(
      'coffee-chat intro --via kenji@example.org --to ana@example.org',
    );
    const waiting = contactStage(
      facts({
        introducer: 'kenji@example.org',
        drafts: [{ kind: 'intro_request', status: 'sent', sentAt: at('2026-11-25T14:00:00Z') }],
      }),
      NOW,
    );
    expect(waiting).toEqual({ stage: 'target', next: 'waiting for kenji@example.org to introduce you' });
  });

  it('an outreach drafted but not sent keeps them a target; sent, they are asked', () => {
    expect(
      contactStage(facts({ drafts: [{ kind: 'outreach', status: 'created', sentAt: null }] }), NOW).stage,
    ).toBe('target');
    const asked = contactStage(facts({ drafts: [sentOutreach] }), NOW);
    expect(asked.stage).toBe('asked');
    // Sent Tue 24 Nov 23:00 Tokyo: 7 Tokyo business days later is Thu 3 Dec 23:00, after hours,
    // so Fri 4 Dec 10:00 there, which the user (New York) reads as Thu, Dec 3.
    expect(asked.next).toBe('waiting for a reply; one gentle follow-up drafted Thu, Dec 3 if none');
  });

  it('an introduction that arrived moves the target on to asked', () => {
    const v = contactStage(
      facts({ introducer: 'kenji@example.org', introducedAt: at('2026-11-26T10:00:00Z') }),
      NOW,
    );
    expect(v.stage).toBe('asked');
    expect(v.next).toContain('introduced by kenji@example.org');
  });

  it('a reply makes them replied, and the next step is agreeing a time', () => {
    const v = contactStage(facts({ drafts: [sentOutreach], repliedAt: at('2026-11-25T01:00:00Z') }), NOW);
    expect(v).toEqual({ stage: 'replied', next: 'agree a time: coffee-chat propose --with ana@example.org' });
  });

  it('scheduled → met → thanked → in touch, in order', () => {
    const base = { drafts: [sentOutreach], repliedAt: at('2026-11-25T01:00:00Z') };
    expect(contactStage(facts({ ...base, chats: [futureChat] }), NOW).stage).toBe('scheduled');
    expect(contactStage(facts({ ...base, chats: [pastChat] }), NOW).stage).toBe('met');
    const thanked = contactStage(
      facts({
        ...base,
        chats: [pastChat],
        drafts: [...base.drafts, { kind: 'thank_you', status: 'sent', sentAt: at('2026-11-30T03:00:00Z') }],
        checkIn: {
          status: 'active',
          stopReason: null,
          nextAt: at('2027-01-11T15:00:00Z'),
          snoozedUntil: null,
        },
      }),
      NOW,
    );
    expect(thanked).toEqual({ stage: 'thanked', next: 'check-in drafted around Mon, Jan 11' });
    expect(
      contactStage(
        facts({
          ...base,
          chats: [pastChat],
          drafts: [
            ...base.drafts,
            { kind: 'thank_you', status: 'sent', sentAt: at('2026-11-30T03:00:00Z') },
            { kind: 'check_in', status: 'sent', sentAt: at('2026-11-30T05:00:00Z') },
          ],
        }),
        NOW,
      ).stage,
    ).toBe('in_touch');
  });

  it('a cancelled chat does not count as scheduled or met', () => {
    expect(
      contactStage(facts({ drafts: [sentOutreach], chats: [{ ...futureChat, status: 'cancelled' }] }), NOW)
        .stage,
    ).toBe('asked');
  });

  it('do-not-contact stops them; a snooze pauses them', () => {
    expect(contactStage(facts({ doNotContact: true, drafts: [sentOutreach] }), NOW).stage).toBe('stopped');
    const snoozed = contactStage(
      facts({
        chats: [pastChat],
        checkIn: {
          status: 'active',
          stopReason: null,
          nextAt: at('2027-02-01T15:00:00Z'),
          snoozedUntil: at('2027-01-15T15:00:00Z'),
        },
      }),
      NOW,
    );
    expect(snoozed).toEqual({ stage: 'paused', next: 'snoozed until Fri, Jan 15' });
  });

  it('after the one follow-up, the board says to leave it with them', () => {
    const v = contactStage(
      facts({
        drafts: [sentOutreach, { kind: 'follow_up', status: 'sent', sentAt: at('2026-12-01T01:00:00Z') }],
      }),
      NOW,
    );
    expect(v).toEqual({ stage: 'asked', next: 'followed up once: leave it with them' });
  });
});

describe('the one gentle follow-up', () => {
  const base: FollowUpFacts = {
    doNotContact: false,
    repliedAt: null,
    declined: false,
    outreachSentAt: at('2026-11-24T14:00:00Z'),
    followUpExists: false,
    hasChat: false,
    contactTimeZone: 'Asia/Tokyo',
    userTimeZone: 'America/New_York',
  };

  it('counts 7 business days on the contact’s calendar and lands in their working hours', () => {
    // Sent Wed 25 Nov 23:00 Tokyo → +7 weekdays is Fri 4 Dec 23:00 Tokyo → Mon 7 Dec 10:00 Tokyo.
    expect(followUpDueAt(at('2026-11-25T14:00:00Z'), 7, 'Asia/Tokyo', 'UTC').toISOString()).toBe(
      '2026-12-07T01:00:00.000Z',
    );
    // Sent Tue 24 Nov 23:00 UTC = Wed 25 Nov 08:00 Tokyo → Fri 4 Dec 08:00 → 10:00 that day.
    expect(followUpDueAt(at('2026-11-24T23:00:00Z'), 7, 'Asia/Tokyo', 'UTC').toISOString()).toBe(
      '2026-12-04T01:00:00.000Z',
    );
  });

  it('skips their weekend, not the user’s: a Friday send in New York is already Saturday in Tokyo', () => {
    // Fri 27 Nov 20:00 New York = Sat 28 Nov 10:00 Tokyo: counting starts Mon 30 Nov 10:00 Tokyo.
    const due = followUpDueAt(at('2026-11-28T01:00:00Z'), 1, 'Asia/Tokyo', 'America/New_York');
    expect(due.toISOString()).toBe('2026-12-01T01:00:00.000Z'); // Tue 1 Dec 10:00 Tokyo
    // Same instant counted in New York (zone unknown → the user's): Fri 20:00 → Mon 20:00 → Tue 10:00.
    const theirsUnknown = followUpDueAt(at('2026-11-28T01:00:00Z'), 1, null, 'America/New_York');
    expect(theirsUnknown.toISOString()).toBe('2026-12-01T15:00:00.000Z');
  });

  it('is planned once the outreach is sent, and never after a reply, a decline, do-not-contact or a first one', () => {
    expect(planFollowUp(base, 7)).toEqual({ due: expect.any(Date) });
    expect(planFollowUp({ ...base, outreachSentAt: null }, 7)).toEqual({ none: 'outreach not sent yet' });
    expect(planFollowUp({ ...base, repliedAt: at('2026-11-26T00:00:00Z') }, 7)).toEqual({
      none: 'they replied',
    });
    expect(planFollowUp({ ...base, declined: true }, 7)).toEqual({ none: 'they declined' });
    expect(planFollowUp({ ...base, doNotContact: true }, 7)).toEqual({ none: 'do not contact' });
    expect(planFollowUp({ ...base, followUpExists: true }, 7)).toEqual({ none: 'already followed up once' });
    expect(planFollowUp({ ...base, hasChat: true }, 7)).toEqual({ none: 'a chat is on the calendar' });
  });
});

describe('the drafts of the pipeline', () => {
  const maya = { name: 'Maya Chen', email: 'maya@example.com' };
  it('the introduction request is short, easy to decline, with a two-line note to forward', () => {
    const d = renderDraft('intro-request', {
      from: maya,
      to: { name: 'Kenji Sato', email: 'kenji@example.org' },
      target: { name: 'Ana Lopez', email: 'ana@example.org', company: 'Acme', role: 'PM' },
      reason: 'she moved from research into product.',
      about: 'I am a data scientist in New York, exploring a move into product.',
    });
    expect(d.subject).toBe('Would you introduce me to Ana?');
    expect(d.text).toMatch(/^Hi Kenji,/);
    expect(d.text).toContain('Ana Lopez (PM at Acme)');
    expect(d.text).toContain('no problem at all');
    const note = d.text.split('forward as it is:\n\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(note).toEqual([
      'I am a data scientist in New York, exploring a move into product.',
      "I'd value 15–20 minutes of your advice (not a job or a referral): she moved from research into product.",
    ]);
    expect(d.text.split(/\s+/).length).toBeLessThan(110);
  });

  it('the follow-up names the day the ask went out on their calendar and asks for no reply', () => {
    const d = renderDraft('follow-up', {
      from: maya,
      to: { name: 'Kenji Sato', email: 'kenji@example.org' },
      originalSubject: 'Could I ask your advice, Kenji? (15–20 minutes)',
      sentAt: at('2026-11-24T20:00:00Z'), // Tue evening in New York, Wed morning in Tokyo
      userZone: 'America/New_York',
      contactZone: 'Asia/Tokyo',
    });
    expect(d.subject).toBe('Re: Could I ask your advice, Kenji? (15–20 minutes)');
    expect(d.text).toContain('my note of Wednesday, Nov 25');
    expect(d.text).toContain('no reply is needed');
  });
});
