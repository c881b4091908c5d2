// The demo's believable week, seeded into the provider sandbox relative to "now": two people, one
// on Google and one on Microsoft 365, with the chats and the non-chats the detector must tell apart.
import { DateTime } from 'luxon';
import type { Sandbox } from '../../sandbox/server.ts';
import { seedMailbox } from '../../sandbox/scenario.ts';

export const DEMO_GOOGLE = { email: 'maya.chen@example.com', name: 'Maya Chen', timeZone: 'America/Los_Angeles' };
export const DEMO_MICROSOFT = { email: 'sam.okafor@contoso.example', name: 'Sam Okafor', windowsTimeZone: 'Eastern Standard Time' };

export const CONTACTS = {
  priya: { email: 'priya.raman@example.org', name: 'Priya Raman' },
  oliver: { email: 'oliver.bennett@example.co.uk', name: 'Oliver Bennett' },
  kenji: { email: 'kenji.watanabe@example.jp', name: 'Kenji Watanabe' },
  lena: { email: 'lena.fischer@example.de', name: 'Lena Fischer' },
  jordan: { email: 'jordan.lee@example.com', name: 'Jordan Lee' },
};

export interface SeededWeek {
  google: { email: string; refreshToken: string };
  microsoft: { email: string; refreshToken: string };
  /** Titles the demo expects to be detected as chats. */
  expectedChats: string[];
  /** Titles the demo expects to be ignored. */
  expectedIgnored: string[];
}

/** The next date in March when the US has moved its clocks and the UK not yet (7 h apart, not 8). */
export function dstGapDate(now: DateTime): DateTime {
  let year = now.year;
  for (;;) {
    const d = DateTime.fromObject({ year, month: 3, day: 20, hour: 9, minute: 0 }, { zone: 'America/Los_Angeles' });
    const london = d.setZone('Europe/London');
    if (d > now.plus({ days: 1 }) && d.offset - london.offset === -7 * 60) return d;
    year += 1;
  }
}

export function seedWeek(sandbox: Sandbox, nowDate: Date): SeededWeek {
  const now = DateTime.fromJSDate(nowDate);
  const g = seedMailbox(sandbox, { provider: 'google', ...DEMO_GOOGLE });
  const m = seedMailbox(sandbox, { provider: 'microsoft', email: DEMO_MICROSOFT.email, name: DEMO_MICROSOFT.name, timeZone: DEMO_MICROSOFT.windowsTimeZone });

  // 1. A chat that ended an hour ago (Google): gets its thank-you draft.
  const pastStart = now.minus({ minutes: 90 }).startOf('minute');
  g.addEvent({
    title: 'Coffee chat: Priya / Maya',
    description: 'Priya leads design systems at Northwind. Ask about moving from visual design into systems work.',
    start: pastStart.toJSDate(),
    minutes: 30,
    guests: [CONTACTS.priya],
    onlineMeeting: true,
  });

  // 2. An informational interview with a contact in London, on a day the US has changed its clocks
  //    and the UK has not: the gap is 7 hours that day, not the usual 8.
  const dst = dstGapDate(now);
  g.addEvent({
    title: 'Informational interview with Oliver',
    description: 'Oliver is a staff PM at a London fintech. 20 minutes, career advice.',
    start: dst.toJSDate(),
    minutes: 20,
    timeZone: 'Europe/London',
    guests: [CONTACTS.oliver],
  });

  // 3. A team meeting (five people, a room): not a chat.
  const standup = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  g.addEvent({
    title: 'Design team sync',
    start: standup.toJSDate(),
    minutes: 45,
    guests: [
      { email: 'alex@example.com' },
      { email: 'bo@example.com' },
      { email: 'chris@example.com', response: 'tentative' },
      { email: 'room-4b@resource.calendar.google.com', name: 'Room 4B', resource: true },
    ],
  });

  // 4. An all-day event: not a chat.
  const offsite = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 2 });
  g.addEvent({ title: 'Team offsite (coffee provided)', start: offsite.toJSDate(), minutes: 24 * 60, allDay: true });

  // 5. A recurring weekly 1:1 with her manager titled "catch up": not a coffee chat.
  const weekly = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 1 }).set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
  g.addEvent({
    title: 'Weekly catch up: Jordan / Maya',
    start: weekly.toJSDate(),
    minutes: 30,
    weeklyCount: 12,
    organizer: CONTACTS.jordan,
    guests: [CONTACTS.jordan],
  });

  // 6. Tomorrow (Microsoft): a virtual coffee Kenji organised from Tokyo.
  const tokyoStart = now.plus({ hours: 20 }).startOf('hour');
  m.addEvent({
    title: 'Virtual coffee — Kenji & Sam',
    start: tokyoStart.toJSDate(),
    minutes: 30,
    timeZone: 'Tokyo Standard Time',
    description: 'Kenji runs developer relations for APAC. Sam wants advice on moving into DevRel.',
    organizer: CONTACTS.kenji,
    guests: [CONTACTS.kenji],
    onlineMeeting: true,
  });

  // 7. A solo focus block: nobody else, not a chat.
  const focus = now.plus({ days: 1 }).set({ minute: 0, second: 0, millisecond: 0 }).plus({ hours: 2 });
  m.addEvent({ title: 'Focus: portfolio write-up', start: focus.toJSDate(), minutes: 120, busy: true });

  // 8. A coffee chat Sam declined: not a chat.
  const declined = now.plus({ days: 3 }).startOf('hour');
  m.addEvent({
    title: 'Coffee chat with Lena?',
    start: declined.toJSDate(),
    minutes: 30,
    timeZone: 'W. Europe Standard Time',
    organizer: CONTACTS.lena,
    guests: [CONTACTS.lena],
    response: 'declined',
  });

  return {
    google: { email: g.email, refreshToken: g.refreshToken },
    microsoft: { email: m.email, refreshToken: m.refreshToken },
    expectedChats: ['Coffee chat: Priya / Maya', 'Informational interview with Oliver', 'Virtual coffee — Kenji & Sam'],
    expectedIgnored: ['Design team sync', 'Team offsite (coffee provided)', 'Weekly catch up: Jordan / Maya', 'Focus: portfolio write-up', 'Coffee chat with Lena?'],
  };
}
