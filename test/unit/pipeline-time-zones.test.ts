import { describe, expect, it } from '@jest/globals';
import {
  dayForContact,
  eventZone,
  formatBothZones,
  formatClock,
  formatForContact,
  isValidZone,
  monthIn,
  resolveContactZone,
  zoneCity,
} from '../../worker/pipeline/time-zones.ts';

const LA = 'America/Los_Angeles';
const LONDON = 'Europe/London';
const SYDNEY = 'Australia/Sydney';

describe('formatBothZones', () => {
  it('shows both sides with the example from the issue (Los Angeles ↔ Tokyo, across the date line)', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, 'Asia/Tokyo', null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT) / Wed, Mar 11, 1:00 AM Tokyo time (JST)',
    );
  });

  describe('a chat across the US and UK DST changes shows both sides’ correct local times', () => {
    it('before either change (Mar 3): 8 hours apart, PST / GMT', () => {
      expect(formatBothZones(new Date('2026-03-03T17:00:00Z'), LA, LONDON, null)).toBe(
        'Tue, Mar 3, 9:00 AM your time (PST) / Tue, Mar 3, 5:00 PM London time (GMT)',
      );
    });
    it('between the US change (Mar 8) and the UK change (Mar 29): 7 hours apart, PDT / GMT', () => {
      expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, LONDON, null)).toBe(
        'Tue, Mar 10, 9:00 AM your time (PDT) / Tue, Mar 10, 4:00 PM London time (GMT)',
      );
    });
    it('after both changes (Mar 31): 8 hours apart again, PDT / BST', () => {
      expect(formatBothZones(new Date('2026-03-31T16:00:00Z'), LA, LONDON, null)).toBe(
        'Tue, Mar 31, 9:00 AM your time (PDT) / Tue, Mar 31, 5:00 PM London time (BST)',
      );
    });
  });

  describe('a chat across the Sydney DST changes (southern hemisphere) shows both sides’ correct local times', () => {
    it('before summer time ends in April (Apr 2): AEDT, 18 hours ahead of LA', () => {
      expect(formatBothZones(new Date('2026-04-01T22:00:00Z'), SYDNEY, LA, null)).toBe(
        'Thu, Apr 2, 9:00 AM your time (AEDT) / Wed, Apr 1, 3:00 PM Los Angeles time (PDT)',
      );
    });
    it('after summer time ended (Apr 9): AEST, 17 hours ahead of LA', () => {
      expect(formatBothZones(new Date('2026-04-08T23:00:00Z'), SYDNEY, LA, null)).toBe(
        'Thu, Apr 9, 9:00 AM your time (AEST) / Wed, Apr 8, 4:00 PM Los Angeles time (PDT)',
      );
    });
    it('before and after summer time starts in October (Oct 1 vs Oct 8), seen from London', () => {
      expect(formatBothZones(new Date('2026-09-30T23:00:00Z'), LONDON, SYDNEY, null)).toBe(
        'Thu, Oct 1, 12:00 AM your time (BST) / Thu, Oct 1, 9:00 AM Sydney time (AEST)',
      );
      expect(formatBothZones(new Date('2026-10-07T22:00:00Z'), LONDON, SYDNEY, null)).toBe(
        'Wed, Oct 7, 11:00 PM your time (BST) / Thu, Oct 8, 9:00 AM Sydney time (AEDT)',
      );
    });
  });

  it('shows one side when the contact’s zone is unknown', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, null, null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT)',
    );
  });

  it('shows one side when both sides read the same clock', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, LA, null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT)',
    );
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, 'America/Vancouver', null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT)',
    );
  });

  it('an invalid contact zone falls back to one side; an invalid user zone falls back to UTC', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, 'Mars/Olympus_Mons', null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT)',
    );
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), 'Not/AZone', 'Asia/Tokyo', null)).toBe(
      'Tue, Mar 10, 4:00 PM your time (UTC) / Wed, Mar 11, 1:00 AM Tokyo time (JST)',
    );
  });

  it('a caller-given label replaces the city', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, 'Asia/Tokyo', "Ana's")).toContain(
      "1:00 AM Ana's time (JST)",
    );
  });

  it('a zone without a common abbreviation shows its GMT offset', () => {
    expect(formatBothZones(new Date('2026-03-10T16:00:00Z'), LA, 'America/Sao_Paulo', null)).toBe(
      'Tue, Mar 10, 9:00 AM your time (PDT) / Tue, Mar 10, 1:00 PM Sao Paulo time (GMT-3)',
    );
  });
});

describe('formatForContact (written to the contact: their side first)', () => {
  it('the instant of the example above, as the contact in Tokyo reads it', () => {
    expect(formatForContact(new Date('2026-03-10T16:00:00Z'), LA, 'Asia/Tokyo')).toBe(
      'Wednesday, Mar 11, 1:00 AM your time (JST) / Tuesday, Mar 10, 9:00 AM for me in Los Angeles (PDT)',
    );
  });

  it('a contact in Sydney reads the southern summer time (AEDT) against London’s BST', () => {
    expect(formatForContact(new Date('2026-10-07T22:00:00Z'), LONDON, SYDNEY)).toBe(
      'Thursday, Oct 8, 9:00 AM your time (AEDT) / Wednesday, Oct 7, 11:00 PM for me in London (BST)',
    );
  });

  it('a sender in UTC (or with a zone name that is not valid) is not "in" a place', () => {
    expect(formatForContact(new Date('2026-03-10T16:00:00Z'), 'Not/AZone', 'Asia/Tokyo')).toBe(
      'Wednesday, Mar 11, 1:00 AM your time (JST) / Tuesday, Mar 10, 4:00 PM for me (UTC)',
    );
    expect(formatForContact(new Date('2026-03-10T16:00:00Z'), 'UTC', null)).toBe(
      "Tuesday, Mar 10, 4:00 PM my time (UTC). I don't know which time zone you're in, so please check this against your calendar.",
    );
    expect(dayForContact(new Date('2026-03-10T16:00:00Z'), 'UTC', null)).toBe('Tuesday, Mar 10 (UTC)');
  });

  it('a zone without a common abbreviation shows its GMT offset on the reader’s side too', () => {
    expect(formatForContact(new Date('2026-03-10T16:00:00Z'), LA, 'America/Sao_Paulo')).toBe(
      'Tuesday, Mar 10, 1:00 PM your time (GMT-3) / 9:00 AM for me in Los Angeles (PDT)',
    );
  });

  it('monthIn reads the month on the given calendar, falling back to UTC for a bad name', () => {
    expect(monthIn(new Date('2027-03-31T23:30:00Z'), 'Asia/Tokyo')).toBe('April');
    expect(monthIn(new Date('2027-03-31T23:30:00Z'), LA)).toBe('March');
    expect(monthIn(new Date('2027-03-31T23:30:00Z'), 'nope')).toBe('March');
  });
});

describe('zoneCity and formatClock', () => {
  it('names the city from the IANA name', () => {
    expect(zoneCity('America/Argentina/Buenos_Aires')).toBe('Buenos Aires');
    expect(zoneCity('Asia/Tokyo')).toBe('Tokyo');
    expect(zoneCity('UTC')).toBe('UTC');
    expect(zoneCity('Etc/GMT+3')).toBe('UTC-3');
  });
  it('reads a clock time in a zone, across the DST change', () => {
    expect(formatClock(new Date('2026-03-03T17:25:00Z'), LA)).toBe('9:25 AM');
    expect(formatClock(new Date('2026-03-10T16:25:00Z'), LA)).toBe('9:25 AM');
  });
});

describe('eventZone', () => {
  it('a timed event keeps the zone it was scheduled in', () => {
    expect(
      eventZone({ kind: 'timed', utc: '2026-03-10T16:00:00Z', timeZone: 'Asia/Tokyo' }, LONDON, LA),
    ).toBe('Asia/Tokyo');
  });
  it('a floating timed event uses the calendar’s zone, else the user’s', () => {
    expect(eventZone({ kind: 'timed', utc: '2026-03-10T16:00:00Z', timeZone: null }, LONDON, LA)).toBe(
      LONDON,
    );
    expect(eventZone({ kind: 'timed', utc: '2026-03-10T16:00:00Z', timeZone: null }, null, LA)).toBe(LA);
  });
  it('an all-day event has no zone of its own: the calendar’s, else the user’s', () => {
    expect(eventZone({ kind: 'allDay', date: '2026-03-10' }, LONDON, LA)).toBe(LONDON);
    expect(eventZone({ kind: 'allDay', date: '2026-03-10' }, undefined, LA)).toBe(LA);
  });
  it('an invalid zone name falls through to the next candidate', () => {
    expect(
      eventZone(
        { kind: 'timed', utc: '2026-03-10T16:00:00Z', timeZone: 'Pacific Standard Time' },
        'nope',
        LA,
      ),
    ).toBe(LA);
  });
});

describe('resolveContactZone', () => {
  it('the zone the user set for the contact wins', () => {
    expect(
      resolveContactZone({
        contactSetting: 'Asia/Tokyo',
        contactIsOrganizer: true,
        organizerZone: LONDON,
        eventZone: LONDON,
        userZone: LA,
      }),
    ).toEqual({ zone: 'Asia/Tokyo', source: 'user' });
  });
  it('else the organizer’s zone when the contact organized', () => {
    expect(
      resolveContactZone({
        contactSetting: null,
        contactIsOrganizer: true,
        organizerZone: LONDON,
        eventZone: LA,
        userZone: LA,
      }),
    ).toEqual({ zone: LONDON, source: 'organizer' });
  });
  it('else the event’s zone when it differs from the user’s', () => {
    expect(
      resolveContactZone({
        contactIsOrganizer: false,
        organizerZone: LA,
        eventZone: 'Asia/Tokyo',
        userZone: LA,
      }),
    ).toEqual({ zone: 'Asia/Tokyo', source: 'event' });
  });
  it('else unknown', () => {
    expect(resolveContactZone({ contactIsOrganizer: false, eventZone: LA, userZone: LA })).toEqual({
      zone: null,
      source: null,
    });
  });
  it('an invalid zone the user set is skipped, not trusted', () => {
    expect(
      resolveContactZone({
        contactSetting: 'Tokyo',
        contactIsOrganizer: false,
        eventZone: 'Asia/Tokyo',
        userZone: LA,
      }),
    ).toEqual({ zone: 'Asia/Tokyo', source: 'event' });
  });
});

describe('isValidZone', () => {
  it('accepts IANA names and rejects the rest', () => {
    expect(isValidZone('Europe/London')).toBe(true);
    expect(isValidZone('UTC')).toBe(true);
    expect(isValidZone('Pacific Standard Time')).toBe(false);
    expect(isValidZone('')).toBe(false);
    expect(isValidZone(null)).toBe(false);
  });
});
