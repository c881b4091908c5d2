// The demo's week is believable whatever the clock says: it is computed from the users' zones and
// the next suitable days, so these checks run it at anchors spread over every hour of the week and
// across the DST changes of both hemispheres, instead of at whatever hour the suite happens to run.
import { DateTime } from 'luxon';
import { planDemoWeek, ZONES } from '../../worker/demo/seed-week.ts';
import { SYNC_WINDOW } from '../../worker/jobs/sync-account.ts';
import { CONFIRMATION_CUTOFF_MS, THANK_YOU_DEADLINE_MS } from '../../worker/pipeline/plan-chat-actions.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every 14 h 37 min over two years from 2026-11-01: every hour of the day and every weekday, many times. */
function anchors(): Date[] {
  const out: Date[] = [];
  for (let t = Date.UTC(2026, 10, 1); t < Date.UTC(2028, 10, 1); t += 14 * HOUR + 37 * 60_000)
    out.push(new Date(t));
  // The named days: the 2027 spring-forwards (US, Europe), Sydney's April change, and days
  // when a March chat would be behind or beyond a 180-day sync window.
  for (const s of [
    '2027-03-14T09:30:00Z',
    '2027-03-28T00:30:00Z',
    '2027-04-04T01:00:00Z',
    '2027-04-15T12:00:00Z',
    '2027-07-01T12:00:00Z',
    '2026-11-29T10:30:00Z',
  ]) {
    out.push(new Date(s));
  }
  return out;
}

const local = (d: DateTime, zone: string) => d.setZone(zone);
const startsAtAcceptableHour = (d: DateTime, zone: string) => {
  const t = local(d, zone);
  return t.hour >= 8 && (t.hour < 20 || (t.hour === 20 && t.minute === 0));
};

describe('the demo week at any hour of any day', () => {
  const all = anchors();
  const plans = new Map(all.map((now) => [now, planDemoWeek(now)]));
  const planDemoWeekAt = (now: Date) => plans.get(now) ?? planDemoWeek(now);

  test('every chat starts between 08:00 and 20:00 for the user, and inside the sync window', () => {
    const bad: string[] = [];
    for (const now of all) {
      const w = planDemoWeekAt(now);
      const chats: [string, DateTime, string][] = [
        ['Priya', w.priya, ZONES.maya],
        ['Kenji', w.kenji, ZONES.sam],
      ];
      if (w.dst) chats.push([w.dst.contact.name, w.dst.start, ZONES.maya]);
      for (const [who, start, zone] of chats) {
        if (!startsAtAcceptableHour(start, zone))
          bad.push(`${now.toISOString()}: ${who} at ${local(start, zone).toISO()}`);
        if (start.toMillis() > now.getTime() + SYNC_WINDOW.aheadDays * DAY)
          bad.push(`${now.toISOString()}: ${who} beyond the sync window`);
        if (start.toMillis() < now.getTime() - SYNC_WINDOW.backDays * DAY)
          bad.push(`${now.toISOString()}: ${who} before the sync window`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("Priya's chat ended a little while ago, in time for a thank-you within 24 hours", () => {
    for (const now of all) {
      const end = planDemoWeekAt(now).priya.plus({ minutes: 30 }).toMillis();
      expect(end).toBeLessThanOrEqual(now.getTime());
      expect(now.getTime() - end).toBeLessThan(THANK_YOU_DEADLINE_MS);
    }
  });

  test("Kenji's chat: a weekday morning in New York, late evening the same weekday in Tokyo, soon enough to confirm", () => {
    for (const now of all) {
      const { kenji } = planDemoWeekAt(now);
      const ny = local(kenji, ZONES.sam);
      const tokyo = local(kenji, ZONES.kenji);
      expect({ at: now.toISOString(), nyWeekday: ny.weekday <= 5, tokyoWeekday: tokyo.weekday <= 5 }).toEqual(
        { at: now.toISOString(), nyWeekday: true, tokyoWeekday: true },
      );
      expect(ny.hour).toBeGreaterThanOrEqual(8);
      expect(ny.hour).toBeLessThan(10);
      expect(tokyo.hour).toBeGreaterThanOrEqual(21);
      expect(kenji.toMillis() - now.getTime()).toBeGreaterThan(CONFIRMATION_CUTOFF_MS);
      // Never further than the weekend in between.
      expect(kenji.toMillis() - now.getTime()).toBeLessThan(4 * DAY);
    }
  });

  test('the DST chat is on a weekday just after one side changed its clocks, at an hour both accept', () => {
    for (const now of all) {
      const { dst } = planDemoWeekAt(now);
      expect(dst).not.toBeNull();
      const { start, contact, gapToday, gapThatDay } = dst!;
      // The gap really differs: measured here from the IANA rules, not taken from the plan.
      const gap = (t: DateTime) => t.setZone(ZONES.maya).offset - t.setZone(contact.zone).offset;
      expect(gap(DateTime.fromJSDate(now))).toBe(gapToday);
      expect(gap(start)).toBe(gapThatDay);
      expect(gapThatDay).not.toBe(gapToday);
      expect(local(start, ZONES.maya).weekday).toBeLessThanOrEqual(5);
      expect(local(start, contact.zone).weekday).toBeLessThanOrEqual(5);
      expect(startsAtAcceptableHour(start, contact.zone)).toBe(true);
      expect(start.toMillis() - now.getTime()).toBeGreaterThan(DAY);
    }
  });

  test('on the US spring-forward of 2027, Oliver in London is 7 hours ahead of Los Angeles, not 8', () => {
    const { dst } = planDemoWeek(new Date('2027-03-14T09:30:00Z'));
    expect(dst!.contact.zone).toBe('Europe/London');
    expect(local(dst!.start, ZONES.maya).toFormat('ccc d LLL yyyy HH:mm')).toBe('Tue 16 Mar 2027 09:00');
    expect(local(dst!.start, 'Europe/London').toFormat('HH:mm')).toBe('16:00');
  });

  test('in mid-April, when the next US/UK change is half a year away, the chat uses the southern hemisphere', () => {
    const now = new Date('2027-04-15T12:00:00Z');
    const { dst } = planDemoWeek(now);
    expect(dst!.contact.zone).toBe('America/Santiago');
    expect(dst!.start.toMillis() - now.getTime()).toBeLessThan((SYNC_WINDOW.aheadDays - 10) * DAY);
  });

  test('the ignored events fall at believable hours too', () => {
    for (const now of all) {
      const w = planDemoWeekAt(now);
      for (const [t, zone] of [
        [w.standup, ZONES.maya],
        [w.weekly, ZONES.maya],
        [w.focus, ZONES.sam],
        [w.declined, ZONES.sam],
      ] as const) {
        expect(startsAtAcceptableHour(t, zone)).toBe(true);
        expect(t.toMillis()).toBeGreaterThan(now.getTime());
      }
    }
  });
});
