import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import {
  DEFAULT_SLOT_POLICY,
  describeSlot,
  proposeSlots,
  type BusyLike,
  type ProposedSlot,
} from '../../worker/pipeline/propose-slots.ts';

const NY = 'America/New_York';
const LONDON = 'Europe/London';
const TOKYO = 'Asia/Tokyo';
// Monday 7 Dec 2026, 10:00 in New York: every date below comes from this instant.
const MONDAY = new Date('2026-12-07T15:00:00Z');
const HOUR = 3_600_000;

const wall = (t: Date, zone: string) => DateTime.fromJSDate(t, { zone });
const minutesOfDay = (t: Date, zone: string) => wall(t, zone).hour * 60 + wall(t, zone).minute;

/** What every proposal must hold, whatever the clock. */
function expectSound(
  slots: ProposedSlot[],
  now: Date,
  zones: { user: string; contact: string | null },
  busy: BusyLike[],
  userHours = DEFAULT_SLOT_POLICY.userHours,
) {
  for (const s of slots) {
    expect(s.end.getTime() - s.start.getTime()).toBe(DEFAULT_SLOT_POLICY.minutes * 60_000);
    expect(s.start.getTime()).toBeGreaterThanOrEqual(now.getTime() + 24 * HOUR);
    for (const [zone, hours] of [
      [zones.user, userHours],
      [zones.contact, DEFAULT_SLOT_POLICY.contactHours],
    ] as const) {
      if (!zone) continue;
      expect(wall(s.start, zone).weekday).toBeLessThanOrEqual(5);
      expect(minutesOfDay(s.start, zone)).toBeGreaterThanOrEqual(hours.start);
      expect(minutesOfDay(s.start, zone) + DEFAULT_SLOT_POLICY.minutes).toBeLessThanOrEqual(hours.end);
    }
    for (const b of busy.filter((x) => x.status !== 'workingElsewhere'))
      expect(s.start < b.end && s.end > b.start).toBe(false);
  }
}

describe('proposeSlots', () => {
  it('offers three 20-minute slots on three different days, inside working hours in New York and London', () => {
    const slots = proposeSlots({ now: MONDAY, userZone: NY, contactZone: LONDON, busy: [] });
    expect(slots).toHaveLength(3);
    expectSound(slots, MONDAY, { user: NY, contact: LONDON }, []);
    expect(new Set(slots.map((s) => wall(s.start, NY).toISODate())).size).toBe(3);
    // New York 9:00–12:30 is London 14:00–17:30: only the New York morning fits both.
    for (const s of slots) expect(minutesOfDay(s.start, NY)).toBeLessThanOrEqual(12 * 60);
  });

  it('keeps clear of busy and tentative time, and counts "working elsewhere" as free', () => {
    const free = proposeSlots({ now: MONDAY, userZone: NY, contactZone: LONDON, busy: [] });
    const busy: BusyLike[] = [
      {
        start: new Date(free[0]!.start.getTime() - HOUR),
        end: new Date(free[0]!.end.getTime() + HOUR),
        status: 'busy',
      },
      { start: free[1]!.start, end: free[1]!.end, status: 'tentative' },
      { start: free[2]!.start, end: free[2]!.end, status: 'oof' },
    ];
    const slots = proposeSlots({ now: MONDAY, userZone: NY, contactZone: LONDON, busy });
    expect(slots).toHaveLength(3);
    expectSound(slots, MONDAY, { user: NY, contact: LONDON }, busy);
    for (const s of slots) expect(free.map((f) => f.start.getTime())).not.toContain(s.start.getTime());

    const elsewhere = proposeSlots({
      now: MONDAY,
      userZone: NY,
      contactZone: LONDON,
      busy: [{ start: free[0]!.start, end: free[0]!.end, status: 'workingElsewhere' }],
    });
    expect(elsewhere[0]!.start).toEqual(free[0]!.start);
  });

  it('never offers a slot within 24 hours of now, nor on a weekend in either zone', () => {
    // Friday 11 Dec, 16:00 in New York: the next working day is Monday.
    const friday = new Date('2026-12-11T21:00:00Z');
    const slots = proposeSlots({ now: friday, userZone: NY, contactZone: LONDON, busy: [] });
    expect(slots).toHaveLength(3);
    expectSound(slots, friday, { user: NY, contact: LONDON }, []);
    expect(wall(slots[0]!.start, NY).toISODate()).toBe('2026-12-14');
  });

  it('with zones far apart (New York and Tokyo) stretches the user’s hours, never the contact’s', () => {
    const slots = proposeSlots({ now: MONDAY, userZone: NY, contactZone: TOKYO, busy: [] });
    expect(slots).toHaveLength(3);
    expectSound(slots, MONDAY, { user: NY, contact: TOKYO }, [], DEFAULT_SLOT_POLICY.userStretchHours);
  });

  it('with the contact’s zone unknown uses the user’s working hours only', () => {
    const slots = proposeSlots({ now: MONDAY, userZone: NY, contactZone: null, busy: [] });
    expect(slots).toHaveLength(3);
    expectSound(slots, MONDAY, { user: NY, contact: null }, []);
  });

  it('offers fewer (or none) when the calendar is full', () => {
    const busy = [
      { start: MONDAY, end: new Date(MONDAY.getTime() + 30 * 24 * HOUR), status: 'busy' as const },
    ];
    expect(proposeSlots({ now: MONDAY, userZone: NY, contactZone: LONDON, busy })).toEqual([]);
  });

  it('uses the same day twice only when there are too few days, two hours apart', () => {
    const policy = { horizonDays: 2 };
    const slots = proposeSlots({ now: MONDAY, userZone: NY, contactZone: null, busy: [], policy });
    expect(slots).toHaveLength(3);
    const [a, b, c] = slots.map((s) => s.start.getTime());
    expect(Math.min(Math.abs(a! - b!), Math.abs(b! - c!), Math.abs(a! - c!))).toBeGreaterThanOrEqual(
      2 * HOUR,
    );
  });

  it('never offers a slot across a DST change (US spring forward, 14 Mar 2027, 2:00 → 3:00)', () => {
    // A policy whose hours cover the gap (night owls, every day), to be sure it is the gap that decides.
    const policy = {
      workdays: [1, 2, 3, 4, 5, 6, 7],
      userHours: { start: 60, end: 4 * 60 },
      userStretchHours: { start: 60, end: 4 * 60 },
      leadMinutes: 0,
      horizonDays: 1,
      count: 10,
    };
    const now = new Date('2027-03-14T05:00:00Z'); // 0:00 EST
    const slots = proposeSlots({ now, userZone: NY, contactZone: null, busy: [], policy });
    expect(slots.length).toBeGreaterThan(0);
    for (const s of slots) {
      expect(wall(s.start, NY).offset).toBe(wall(s.end, NY).offset);
      // 2:00–2:59 does not exist that night; 1:30 EST + 30 min would read "1:30–3:00".
      expect(wall(s.start, NY).hour).not.toBe(2);
      expect(s.start.getTime()).not.toBe(Date.parse('2027-03-14T06:30:00Z'));
    }
  });

  it('holds at every hour of every weekday (a week of clocks, two zone pairs, a busy calendar)', () => {
    for (let h = 0; h < 24 * 7; h++) {
      const now = new Date(MONDAY.getTime() + h * HOUR + 7 * 60_000);
      const busy: BusyLike[] = [];
      for (let d = 0; d < 16; d++) {
        const dayStart = now.getTime() + d * 24 * HOUR;
        busy.push({
          start: new Date(dayStart + 26 * HOUR),
          end: new Date(dayStart + 27 * HOUR),
          status: 'busy',
        });
        busy.push({
          start: new Date(dayStart + 29 * HOUR),
          end: new Date(dayStart + 30 * HOUR),
          status: 'tentative',
        });
      }
      // Two zone pairs in turn: near (New York, London) and far, half-hour offset (Kolkata, Los Angeles).
      for (const [user, contact] of [
        h % 2 ? (['Asia/Kolkata', 'America/Los_Angeles'] as const) : ([NY, LONDON] as const),
      ]) {
        const slots = proposeSlots({ now, userZone: user, contactZone: contact, busy });
        expect(slots).toHaveLength(3);
        expectSound(slots, now, { user, contact }, busy, DEFAULT_SLOT_POLICY.userStretchHours);
        expect(new Set(slots.map((s) => wall(s.start, user).toISODate())).size).toBe(3);
        // Sorted, on the half-hour grid of the user's clock.
        for (const s of slots) expect(wall(s.start, user).minute % 30).toBe(0);
        expect(slots.map((s) => s.start.getTime())).toEqual([...slots.map((s) => s.start.getTime())].sort());
      }
    }
  });
});

describe('describeSlot', () => {
  const slot = { start: new Date('2026-12-08T15:00:00Z'), end: new Date('2026-12-08T15:30:00Z') };
  it('writes the contact’s time first, then the user’s', () => {
    expect(describeSlot(slot, NY, LONDON)).toBe(
      'Tuesday, Dec 8, 3:00 PM your time (GMT) / 10:00 AM for me in New York (EST)',
    );
    expect(describeSlot(slot, NY, TOKYO)).toBe(
      'Wednesday, Dec 9, 12:00 AM your time (JST) / Tuesday, Dec 8, 10:00 AM for me in New York (EST)',
    );
  });
  it('with their zone unknown, says whose time it is and leaves the asking to the draft', () => {
    expect(describeSlot(slot, NY, null)).toBe('Tuesday, Dec 8, 10:00 AM my time in New York (EST)');
  });
});
