// The demo's believable week, seeded into the provider sandbox relative to "now": two people, one
// on Google and one on Microsoft 365, with the chats and the non-chats the detector must tell apart.
import { DateTime } from 'luxon';
import type { Sandbox } from '../../sandbox/server.ts';

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

const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;

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
  const g = sandbox.google.seedAccount({ email: DEMO_GOOGLE.email, name: DEMO_GOOGLE.name, timeZone: DEMO_GOOGLE.timeZone });
  const m = sandbox.microsoft.seedAccount({ email: DEMO_MICROSOFT.email, name: DEMO_MICROSOFT.name, windowsTimeZone: DEMO_MICROSOFT.windowsTimeZone });
  const maya = { email: DEMO_GOOGLE.email, displayName: DEMO_GOOGLE.name, self: true };
  const la = (d: DateTime) => ({ dateTime: iso(d), timeZone: DEMO_GOOGLE.timeZone });

  // 1. A chat that ended an hour ago (Google): gets its thank-you draft.
  const pastStart = now.minus({ minutes: 90 }).startOf('minute');
  sandbox.google.seedEvent(g.email, 'primary', {
    summary: 'Coffee chat: Priya / Maya',
    description: 'Priya leads design systems at Northwind. Ask about moving from visual design into systems work.',
    start: la(pastStart),
    end: la(pastStart.plus({ minutes: 30 })),
    organizer: { email: maya.email, displayName: maya.displayName, self: true },
    attendees: [
      { ...maya, organizer: true, responseStatus: 'accepted' },
      { email: CONTACTS.priya.email, displayName: CONTACTS.priya.name, responseStatus: 'accepted' },
    ],
    conferenceData: { createRequest: { requestId: 'demo-priya', conferenceSolutionKey: { type: 'hangoutsMeet' } } },
  });

  // 2. An informational interview with a contact in London, on a day the US has changed its clocks
  //    and the UK has not: the gap is 7 hours that day, not the usual 8.
  const dst = dstGapDate(now);
  sandbox.google.seedEvent(g.email, 'primary', {
    summary: 'Informational interview with Oliver',
    description: 'Oliver is a staff PM at a London fintech. 20 minutes, career advice.',
    start: { dateTime: iso(dst), timeZone: 'Europe/London' },
    end: { dateTime: iso(dst.plus({ minutes: 20 })), timeZone: 'Europe/London' },
    organizer: { email: maya.email, displayName: maya.displayName, self: true },
    attendees: [
      { ...maya, organizer: true, responseStatus: 'accepted' },
      { email: CONTACTS.oliver.email, displayName: CONTACTS.oliver.name, responseStatus: 'accepted' },
    ],
  });

  // 3. A team meeting (five people, a room): not a chat.
  const standup = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  sandbox.google.seedEvent(g.email, 'primary', {
    summary: 'Design team sync',
    start: la(standup),
    end: la(standup.plus({ minutes: 45 })),
    attendees: [
      { ...maya, responseStatus: 'accepted' },
      { email: 'alex@example.com', responseStatus: 'accepted' },
      { email: 'bo@example.com', responseStatus: 'accepted' },
      { email: 'chris@example.com', responseStatus: 'tentative' },
      { email: 'room-4b@resource.calendar.google.com', displayName: 'Room 4B', resource: true, responseStatus: 'accepted' },
    ],
  });

  // 4. An all-day event: not a chat.
  const offsite = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 2 }).toISODate()!;
  sandbox.google.seedEvent(g.email, 'primary', {
    summary: 'Team offsite (coffee provided)',
    start: { date: offsite },
    end: { date: DateTime.fromISO(offsite).plus({ days: 1 }).toISODate() },
  });

  // 5. A recurring weekly 1:1 with her manager titled "catch up": not a coffee chat.
  const weekly = now.setZone(DEMO_GOOGLE.timeZone).plus({ days: 1 }).set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
  sandbox.google.seedEvent(g.email, 'primary', {
    summary: 'Weekly catch up: Jordan / Maya',
    start: la(weekly),
    end: la(weekly.plus({ minutes: 30 })),
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=12'],
    organizer: { email: CONTACTS.jordan.email, displayName: CONTACTS.jordan.name },
    attendees: [
      { ...maya, responseStatus: 'accepted' },
      { email: CONTACTS.jordan.email, displayName: CONTACTS.jordan.name, organizer: true, responseStatus: 'accepted' },
    ],
  });

  // 6. Tomorrow (Microsoft): a virtual coffee Kenji organised from Tokyo.
  const tokyoStart = now.plus({ hours: 20 }).startOf('hour');
  sandbox.microsoft.addEvent(m.email, {
    subject: 'Virtual coffee — Kenji & Sam',
    start: iso(tokyoStart),
    end: iso(tokyoStart.plus({ minutes: 30 })),
    timeZone: 'Tokyo Standard Time',
    body: 'Kenji runs developer relations for APAC. Sam wants advice on moving into DevRel.',
    organizer: { email: CONTACTS.kenji.email, name: CONTACTS.kenji.name },
    attendees: [
      { email: DEMO_MICROSOFT.email, name: DEMO_MICROSOFT.name, type: 'required', response: 'accepted' },
      { email: CONTACTS.kenji.email, name: CONTACTS.kenji.name, type: 'required', response: 'organizer' },
    ],
    isOnlineMeeting: true,
  });

  // 7. A solo focus block: nobody else, not a chat.
  const focus = now.plus({ days: 1 }).set({ minute: 0, second: 0, millisecond: 0 }).plus({ hours: 2 });
  sandbox.microsoft.addEvent(m.email, {
    subject: 'Focus: portfolio write-up',
    start: iso(focus),
    end: iso(focus.plus({ hours: 2 })),
    showAs: 'busy',
  });

  // 8. A coffee chat Sam declined: not a chat.
  const declined = now.plus({ days: 3 }).startOf('hour');
  sandbox.microsoft.addEvent(m.email, {
    subject: 'Coffee chat with Lena?',
    start: iso(declined),
    end: iso(declined.plus({ minutes: 30 })),
    timeZone: 'W. Europe Standard Time',
    organizer: { email: CONTACTS.lena.email, name: CONTACTS.lena.name },
    attendees: [
      { email: DEMO_MICROSOFT.email, name: DEMO_MICROSOFT.name, type: 'required', response: 'declined' },
      { email: CONTACTS.lena.email, name: CONTACTS.lena.name, type: 'required', response: 'organizer' },
    ],
  });

  return {
    google: g,
    microsoft: { email: m.email, refreshToken: m.refreshToken },
    expectedChats: ['Coffee chat: Priya / Maya', 'Informational interview with Oliver', 'Virtual coffee — Kenji & Sam'],
    expectedIgnored: ['Design team sync', 'Team offsite (coffee provided)', 'Weekly catch up: Jordan / Maya', 'Focus: portfolio write-up', 'Coffee chat with Lena?'],
  };
}
