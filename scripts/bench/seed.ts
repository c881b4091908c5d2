// The benchmark's people and weeks, written through the sandbox's one seeding API
// (sandbox/scenario.ts): accounts on either provider, an ordinary working week (meetings with
// several people: never coffee chats), and one-to-one coffee chats that the detector picks up.
import { DateTime } from 'luxon';
import { seedMailbox, type Mailbox } from '../../sandbox/scenario.ts';
import type { Sandbox } from '../../sandbox/server.ts';

export type Kind = 'google' | 'microsoft';
export type SeededAccount = Mailbox;

export const HOUR = 3_600_000;
const ZONE = 'America/New_York';
const MEETINGS = [
  'Sprint planning',
  'Design review',
  'Roadmap review',
  'Budget review',
  'All hands',
  'Incident retro',
  'Hiring sync',
];

export function seedAccount(sandbox: Sandbox, kind: Kind, email: string): SeededAccount {
  return seedMailbox(sandbox, { provider: kind, email, name: 'Bench User', timeZone: ZONE });
}

/** `count` ordinary meetings (3 people) spread over the next week, working hours. */
export function seedWeek(a: SeededAccount, now: Date, count = 5, calendarId?: string): void {
  const day0 = DateTime.fromJSDate(now).setZone(ZONE).startOf('day').plus({ days: 1 });
  for (let i = 0; i < count; i++) {
    a.addEvent({
      title: MEETINGS[i % MEETINGS.length]!,
      description: '',
      start: day0.plus({ days: i % 7, hours: 9 + ((i * 3) % 8) }).toJSDate(),
      minutes: 30 + (i % 2) * 30,
      timeZone: ZONE,
      calendarId,
      guests: [
        { email: `colleague.a${i}@corp.example`, name: 'Alex Colleague' },
        { email: `colleague.b${i}@corp.example`, name: 'Blair Colleague' },
      ],
    });
  }
}

/** A one-to-one coffee chat with a contact (detected by its title and the single other person). */
export function seedChat(
  a: SeededAccount,
  start: Date,
  contact: { email: string; name: string },
  minutes = 30,
): string {
  return a.addEvent({
    title: `Coffee chat with ${contact.name}`,
    description: `${contact.name} works on platform teams. Ask about moving into staff roles.`,
    start,
    minutes,
    timeZone: ZONE,
    guests: [contact],
  });
}
