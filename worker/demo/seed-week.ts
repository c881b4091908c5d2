// The demo's believable week, seeded into the provider sandbox from a clock reading: two people, one
// on Google (Los Angeles) and one on Microsoft 365 (New York), with the chats and the non-chats the
// detector must tell apart. Times come from the users' zones and the next suitable days, never from
// "now + N hours", so the week is believable at whatever hour the demo (or CI) runs.
import { DateTime, IANAZone } from 'luxon';
import type { Sandbox } from '../../sandbox/server.ts';
import { seedMailbox } from '../../sandbox/scenario.ts';
import { SYNC_WINDOW } from '../jobs/sync-account.ts';

export const DEMO_GOOGLE = {
  email: 'maya.chen@example.com',
  name: 'Maya Chen',
  timeZone: 'America/Los_Angeles',
};
export const DEMO_MICROSOFT = {
  email: 'sam.okafor@contoso.example',
  name: 'Sam Okafor',
  windowsTimeZone: 'Eastern Standard Time',
};

export const CONTACTS = {
  priya: { email: 'priya.raman@example.org', name: 'Priya Raman' },
  oliver: { email: 'oliver.bennett@example.co.uk', name: 'Oliver Bennett' },
  kenji: { email: 'kenji.watanabe@example.jp', name: 'Kenji Watanabe' },
  lena: { email: 'lena.fischer@example.de', name: 'Lena Fischer' },
  jordan: { email: 'jordan.lee@example.com', name: 'Jordan Lee' },
  valentina: { email: 'valentina.rojas@example.cl', name: 'Valentina Rojas' },
};

export interface SeededWeek {
  google: { email: string; refreshToken: string };
  microsoft: { email: string; refreshToken: string };
  /** Titles the demo expects to be detected as chats. */
  expectedChats: string[];
  /** Titles the demo expects to be ignored. */
  expectedIgnored: string[];
}

export const ZONES = { maya: DEMO_GOOGLE.timeZone, sam: 'America/New_York', kenji: 'Asia/Tokyo' } as const;

/** Someone whose clocks change on other dates than Maya's, so the gap on the chat's day is not today's. */
export interface DstContact {
  email: string;
  name: string;
  zone: string;
  about: string;
}

/**
 * Candidates for the demo's DST chat, one per hemisphere: between them the gap to Los Angeles
 * changes at least every ~5 months (US: March and November; UK: late March and late October;
 * Chile: early April and early September), so one such change is always well inside the sync
 * window, whatever the date.
 */
export const DST_CONTACTS: DstContact[] = [
  {
    ...CONTACTS.oliver,
    zone: 'Europe/London',
    about: 'Oliver is a staff PM at a London fintech. 20 minutes, career advice.',
  },
  {
    ...CONTACTS.valentina,
    zone: 'America/Santiago',
    about: 'Valentina leads product at a payments company in Santiago. 20 minutes, career advice.',
  },
];

/** Start times a person would accept for a meeting, in their own zone. */
const acceptable = (t: DateTime, earliest = 8, latest = 20) =>
  t.hour >= earliest && (t.hour < latest || (t.hour === latest && t.minute === 0));
const weekday = (t: DateTime) => t.weekday <= 5;
const DAY_MS = 24 * 60 * 60_000;

export interface DemoWeek {
  /** Maya's chat with Priya, which ended a little while ago (gets a thank-you). */
  priya: DateTime;
  /** Sam's chat with Kenji: a weekday morning in New York, late evening in Tokyo. */
  kenji: DateTime;
  /** Maya's chat just after a DST change on one side only. */
  dst: { contact: DstContact; start: DateTime; gapToday: number; gapThatDay: number } | null;
  standup: DateTime;
  weekly: DateTime;
  offsite: DateTime;
  focus: DateTime;
  declined: DateTime;
}

/** The latest half-hour slot starting 09:00–18:30 in `zone` that ended at least 10 minutes ago. */
function lastSlotEnded(now: DateTime, zone: string, minutes: number): DateTime {
  let t = now.setZone(zone).minus({ minutes: minutes + 10 });
  t = t.set({ minute: t.minute < 30 ? 0 : 30, second: 0, millisecond: 0 });
  while (!(acceptable(t, 9, 18) || (t.hour === 18 && t.minute === 30))) t = t.minus({ minutes: 30 });
  return t;
}

/** The first weekday at `hour:minute` in `zone` that is at least `leadMs` away. */
function nextWeekdayAt(now: DateTime, zone: string, hour: number, minute: number, leadMs: number): DateTime {
  for (let d = now.setZone(zone).startOf('day'); ; d = d.plus({ days: 1 })) {
    const t = d.set({ hour, minute });
    if (weekday(t) && t.toMillis() >= now.toMillis() + leadMs) return t;
  }
}

/**
 * The nearest weekday, at least two days ahead and at most `maxDays`, on which the gap between
 * Maya's zone and one of the DST contacts' differs from today's, at 9:00 for Maya (an afternoon in
 * London, midday in Santiago). Null only if no zone changes its clocks in that span.
 */
export function nextDstChat(now: DateTime, maxDays: number): DemoWeek['dst'] {
  let best: DemoWeek['dst'] = null;
  const mine = IANAZone.create(ZONES.maya);
  for (const contact of DST_CONTACTS) {
    const theirs = IANAZone.create(contact.zone);
    const gap = (ms: number) => mine.offset(ms) - theirs.offset(ms);
    const gapToday = gap(now.toMillis());
    const first = now.setZone(mine).startOf('day').set({ hour: 9 });
    const differs = (d: number) => gap(first.toMillis() + d * DAY_MS) !== gapToday;
    // Raw offsets in 3-day strides (an unusual gap lasts a week or more), then back to its first
    // day; a DateTime only for the few candidate days.
    let d = 2;
    while (d <= maxDays && !differs(d)) d += 3;
    while (d > 2 && differs(d - 1)) d -= 1;
    for (; d <= maxDays; d += 1) {
      const start = first.plus({ days: d });
      if (best && start >= best.start) break;
      const gapThatDay = gap(start.toMillis());
      const there = start.setZone(theirs);
      if (gapThatDay !== gapToday && weekday(start) && weekday(there) && acceptable(there)) {
        best = { contact, start, gapToday, gapThatDay };
        break;
      }
    }
  }
  return best;
}

/**
 * When each event of the demo's week happens, from the clock alone: every chat at an hour both
 * people would accept, every one inside what the worker syncs, whatever the date and hour.
 */
export function planDemoWeek(nowDate: Date): DemoWeek {
  const now = DateTime.fromJSDate(nowDate);
  const maya = now.setZone(ZONES.maya);
  const sam = now.setZone(ZONES.sam);
  const at = (d: DateTime, hour: number) => d.set({ hour, minute: 0, second: 0, millisecond: 0 });
  return {
    priya: lastSlotEnded(now, ZONES.maya, 30),
    // More than 2 h ahead, so the confirmation is still worth drafting (CONFIRMATION_CUTOFF_MS).
    kenji: nextWeekdayAt(now, ZONES.sam, 8, 30, 2 * 60 * 60_000 + 15 * 60_000),
    dst: nextDstChat(now, SYNC_WINDOW.aheadDays - 10),
    standup: at(maya.plus({ days: 1 }), 10),
    weekly: at(maya.plus({ days: 1 }), 15),
    offsite: maya.plus({ days: 2 }).startOf('day'),
    focus: at(sam.plus({ days: 1 }), 13),
    declined: at(sam.plus({ days: 3 }), 11),
  };
}

export function seedWeek(sandbox: Sandbox, nowDate: Date): SeededWeek {
  const week = planDemoWeek(nowDate);
  const g = seedMailbox(sandbox, { provider: 'google', ...DEMO_GOOGLE });
  const m = seedMailbox(sandbox, {
    provider: 'microsoft',
    email: DEMO_MICROSOFT.email,
    name: DEMO_MICROSOFT.name,
    timeZone: DEMO_MICROSOFT.windowsTimeZone,
  });
  const expectedChats: string[] = [];

  // 1. A chat that ended a little while ago (Google): gets its thank-you draft.
  expectedChats.push('Coffee chat: Priya / Maya');
  g.addEvent({
    title: 'Coffee chat: Priya / Maya',
    description:
      'Priya leads design systems at Northwind. Ask about moving from visual design into systems work.',
    start: week.priya.toJSDate(),
    minutes: 30,
    guests: [CONTACTS.priya],
    onlineMeeting: true,
  });

  // 2. An informational interview just after the clocks changed on one side only (in March, the
  //    US moves three weeks before the UK: London is 7 hours ahead of Los Angeles, not 8).
  if (week.dst) {
    const { contact, start } = week.dst;
    const title = `Informational interview with ${contact.name.split(' ')[0]}`;
    expectedChats.push(title);
    g.addEvent({
      title,
      description: contact.about,
      start: start.toJSDate(),
      minutes: 20,
      timeZone: contact.zone,
      guests: [{ email: contact.email, name: contact.name }],
    });
  }

  // 3. A team meeting (five people, a room): not a chat.
  g.addEvent({
    title: 'Design team sync',
    start: week.standup.toJSDate(),
    minutes: 45,
    guests: [
      { email: 'alex@example.com' },
      { email: 'bo@example.com' },
      { email: 'chris@example.com', response: 'tentative' },
      { email: 'room-4b@resource.calendar.google.com', name: 'Room 4B', resource: true },
    ],
  });

  // 4. An all-day event: not a chat.
  g.addEvent({
    title: 'Team offsite (coffee provided)',
    start: week.offsite.toJSDate(),
    minutes: 24 * 60,
    allDay: true,
  });

  // 5. A recurring weekly 1:1 with her manager titled "catch up": not a coffee chat.
  g.addEvent({
    title: 'Weekly catch up: Jordan / Maya',
    start: week.weekly.toJSDate(),
    minutes: 30,
    weeklyCount: 12,
    organizer: CONTACTS.jordan,
    guests: [CONTACTS.jordan],
  });

  // 6. Soon (Microsoft): a virtual coffee Kenji organised from Tokyo, a weekday morning in New
  //    York and late evening in Tokyo.
  expectedChats.push('Virtual coffee — Kenji & Sam');
  m.addEvent({
    title: 'Virtual coffee — Kenji & Sam',
    start: week.kenji.toJSDate(),
    minutes: 30,
    timeZone: 'Tokyo Standard Time',
    description: 'Kenji runs developer relations for APAC. Sam wants advice on moving into DevRel.',
    organizer: CONTACTS.kenji,
    guests: [CONTACTS.kenji],
    onlineMeeting: true,
  });

  // 7. A solo focus block: nobody else, not a chat.
  m.addEvent({ title: 'Focus: portfolio write-up', start: week.focus.toJSDate(), minutes: 120, busy: true });

  // 8. A coffee chat Sam declined: not a chat.
  m.addEvent({
    title: 'Coffee chat with Lena?',
    start: week.declined.toJSDate(),
    minutes: 30,
    timeZone: 'W. Europe Standard Time',
    organizer: CONTACTS.lena,
    guests: [CONTACTS.lena],
    response: 'declined',
  });

  return {
    google: { email: g.email, refreshToken: g.refreshToken },
    microsoft: { email: m.email, refreshToken: m.refreshToken },
    expectedChats,
    expectedIgnored: [
      'Design team sync',
      'Team offsite (coffee provided)',
      'Weekly catch up: Jordan / Maya',
      'Focus: portfolio write-up',
      'Coffee chat with Lena?',
    ],
  };
}
