// Seeding for the benchmark, through the sandbox's typed admin API (no HTTP): accounts on either
// provider, an ordinary working week (meetings with several people: never coffee chats), and
// one-to-one coffee chats that the detector picks up.
import { DateTime } from 'luxon';
import type { Sandbox } from '../../sandbox/server.ts';

export type Kind = 'google' | 'microsoft';

export interface SeededAccount {
  kind: Kind;
  email: string;
  refreshToken: string;
}

const iso = (d: Date) => DateTime.fromJSDate(d).toUTC().toISO({ suppressMilliseconds: true })!;
const HOUR = 3_600_000;
const MEETINGS = ['Sprint planning', 'Design review', 'Roadmap review', 'Budget review', 'All hands', 'Incident retro', 'Hiring sync'];

export function seedAccount(sandbox: Sandbox, kind: Kind, email: string): SeededAccount {
  if (kind === 'google') {
    const { refreshToken } = sandbox.google.seedAccount({ email, name: 'Bench User', timeZone: 'America/New_York' });
    return { kind, email, refreshToken };
  }
  const { refreshToken } = sandbox.microsoft.seedAccount({ email, name: 'Bench User', windowsTimeZone: 'Eastern Standard Time' });
  return { kind, email, refreshToken };
}

export function addCalendar(sandbox: Sandbox, a: SeededAccount, name: string): string {
  return a.kind === 'google' ? sandbox.google.seedCalendar(a.email, { summary: name, timeZone: 'America/New_York' }) : sandbox.microsoft.addCalendar(a.email, { name }).id;
}

export interface EventSeed {
  title: string;
  start: Date;
  minutes: number;
  others: { email: string; name?: string }[];
  description?: string;
  /** Provider calendar id (default: the primary/default calendar). */
  calendarId?: string;
}

export function seedEvent(sandbox: Sandbox, a: SeededAccount, e: EventSeed): string {
  const end = new Date(e.start.getTime() + e.minutes * 60_000);
  if (a.kind === 'google') {
    const ev = sandbox.google.seedEvent(a.email, e.calendarId ?? 'primary', {
      summary: e.title,
      description: e.description ?? '',
      start: { dateTime: iso(e.start), timeZone: 'America/New_York' },
      end: { dateTime: iso(end), timeZone: 'America/New_York' },
      organizer: { email: a.email, self: true },
      attendees: [
        { email: a.email, self: true, organizer: true, responseStatus: 'accepted' },
        ...e.others.map((o) => ({ email: o.email, displayName: o.name, responseStatus: 'accepted' })),
      ],
    });
    return String(ev.id);
  }
  const ev = sandbox.microsoft.addEvent(a.email, {
    subject: e.title,
    body: e.description ?? '',
    start: iso(e.start),
    end: iso(end),
    timeZone: 'Eastern Standard Time',
    ...(e.calendarId ? { calendarId: e.calendarId } : {}),
    organizer: { email: a.email, name: 'Bench User' },
    attendees: [
      { email: a.email, name: 'Bench User', type: 'required', response: 'organizer' },
      ...e.others.map((o) => ({ email: o.email, name: o.name, type: 'required' as const, response: 'accepted' as const })),
    ],
  });
  return String(ev.id);
}

/** Moves an event (a reschedule made in the provider's own UI). */
export function moveEvent(sandbox: Sandbox, a: SeededAccount, id: string, start: Date, minutes: number): void {
  const end = new Date(start.getTime() + minutes * 60_000);
  if (a.kind === 'google') {
    sandbox.google.patchEvent(a.email, 'primary', id, {
      start: { dateTime: iso(start), timeZone: 'America/New_York' },
      end: { dateTime: iso(end), timeZone: 'America/New_York' },
    });
  } else {
    sandbox.microsoft.updateEvent(a.email, id, { start: iso(start), end: iso(end) });
  }
}

/** `count` ordinary meetings (3 people) spread over the next week, working hours. */
export function seedWeek(sandbox: Sandbox, a: SeededAccount, now: Date, count = 5, calendarId?: string): void {
  const day0 = DateTime.fromJSDate(now).setZone('America/New_York').startOf('day').plus({ days: 1 });
  for (let i = 0; i < count; i++) {
    const start = day0.plus({ days: i % 7, hours: 9 + ((i * 3) % 8) }).toJSDate();
    seedEvent(sandbox, a, {
      title: MEETINGS[i % MEETINGS.length]!,
      start,
      minutes: 30 + (i % 2) * 30,
      calendarId,
      others: [
        { email: `colleague.a${i}@corp.example`, name: 'Alex Colleague' },
        { email: `colleague.b${i}@corp.example`, name: 'Blair Colleague' },
      ],
    });
  }
}

/** A one-to-one coffee chat with a contact (detected by its title and the single other person). */
export function seedChat(sandbox: Sandbox, a: SeededAccount, start: Date, contact: { email: string; name: string }, minutes = 30): string {
  return seedEvent(sandbox, a, {
    title: `Coffee chat with ${contact.name}`,
    description: `${contact.name} works on platform teams. Ask about moving into staff roles.`,
    start,
    minutes,
    others: [contact],
  });
}

export { HOUR };
