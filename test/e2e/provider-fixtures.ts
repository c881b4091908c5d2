// One way to seed and read either sandbox provider, so the end-to-end tests read the same for
// Google and Microsoft.
import { DateTime } from 'luxon';
import type { Sandbox } from '../../sandbox/server.ts';

export type Kind = 'google' | 'microsoft';

export interface ChatSeed {
  title: string;
  start: Date;
  minutes: number;
  /** Other people (besides the user). */
  others: { email: string; name?: string }[];
  /** The user's own response. */
  response?: 'accepted' | 'declined';
  /** IANA zone for Google; Windows name for Microsoft. */
  zone?: string;
  allDay?: boolean;
  description?: string;
}

export interface SeededEvent {
  id: string;
}

export interface Fixture {
  kind: Kind;
  email: string;
  refreshToken: string;
  seed(e: ChatSeed): SeededEvent;
  move(id: string, start: Date, minutes: number): void;
  cancel(id: string): void;
  drafts(): { id: string; to: string; subject: string; text: string; html: string }[];
  sendDraft(id: string): Promise<void>;
  receiveMail(from: string, subject: string, at: Date): Promise<void>;
  /** Events our worker created through the API (prep blocks, invites). */
  createdEvents(): { id: string; title: string; start: string; end: string; attendees: number }[];
}

const isoZ = (d: Date) => DateTime.fromJSDate(d).toUTC().toISO({ suppressMilliseconds: true })!;

export function fixture(sandbox: Sandbox, kind: Kind, who: string): Fixture {
  if (kind === 'google') {
    const email = `${who}@gmail.example`;
    const { refreshToken } = sandbox.google.seedAccount({ email, name: 'Maya Chen', timeZone: 'America/Los_Angeles' });
    return {
      kind,
      email,
      refreshToken,
      seed(e) {
        const zone = e.zone ?? 'America/Los_Angeles';
        const end = new Date(e.start.getTime() + e.minutes * 60_000);
        const body: Record<string, unknown> = {
          summary: e.title,
          description: e.description ?? '',
          start: e.allDay ? { date: DateTime.fromJSDate(e.start).toISODate() } : { dateTime: isoZ(e.start), timeZone: zone },
          end: e.allDay ? { date: DateTime.fromJSDate(e.start).plus({ days: 1 }).toISODate() } : { dateTime: isoZ(end), timeZone: zone },
          organizer: { email, self: true },
          attendees: e.others.length
            ? [
                { email, self: true, organizer: true, responseStatus: e.response ?? 'accepted' },
                ...e.others.map((o) => ({ email: o.email, displayName: o.name, responseStatus: 'accepted' })),
              ]
            : undefined,
        };
        const ev = sandbox.google.seedEvent(email, 'primary', body);
        return { id: String(ev.id) };
      },
      move(id, start, minutes) {
        const ev = sandbox.google.events(email).find((x) => x.id === id)!;
        const zone = (ev.start as { timeZone?: string }).timeZone ?? 'UTC';
        sandbox.google.patchEvent(email, 'primary', id, {
          start: { dateTime: isoZ(start), timeZone: zone },
          end: { dateTime: isoZ(new Date(start.getTime() + minutes * 60_000)), timeZone: zone },
        });
      },
      cancel(id) {
        sandbox.google.deleteEvent(email, 'primary', id);
      },
      drafts() {
        return sandbox.google.drafts(email).map((d) => ({ id: d.draftId, to: d.to, subject: d.subject, text: d.text, html: d.html }));
      },
      async sendDraft(id) {
        await sandbox.google.sendDraftAsUser(email, id);
      },
      async receiveMail(from, subject, at) {
        await sandbox.google.seedMail(email, { direction: 'received', from, to: email, subject, text: 'Great to hear from you!', date: at });
      },
      createdEvents() {
        return sandbox.google.events(email, 'primary', { createdViaApi: true })
          .filter((e) => e.status !== 'cancelled')
          .map((e) => ({
            id: String(e.id),
            title: String(e.summary),
            start: String((e.start as { dateTime: string }).dateTime),
            end: String((e.end as { dateTime: string }).dateTime),
            attendees: ((e.attendees as unknown[] | undefined) ?? []).length,
          }));
      },
    };
  }
  const email = `${who}@contoso.example`;
  const seeded = sandbox.microsoft.seedAccount({ email, name: 'Sam Okafor', windowsTimeZone: 'Pacific Standard Time' });
  return {
    kind,
    email,
    refreshToken: seeded.refreshToken,
    seed(e) {
      const end = new Date(e.start.getTime() + e.minutes * 60_000);
      const ev = sandbox.microsoft.addEvent(email, {
        subject: e.title,
        body: e.description ?? '',
        start: e.allDay ? DateTime.fromJSDate(e.start).toISODate()! : isoZ(e.start),
        end: e.allDay ? DateTime.fromJSDate(e.start).plus({ days: 1 }).toISODate()! : isoZ(end),
        isAllDay: e.allDay,
        timeZone: e.zone ?? 'Pacific Standard Time',
        // Declining is what an invitee does: the other person organised that one.
        organizer: e.response === 'declined' ? e.others[0] : { email, name: 'Sam Okafor' },
        attendees: e.others.length
          ? [
              { email, name: 'Sam Okafor', type: 'required', response: e.response === 'declined' ? 'declined' : 'organizer' },
              ...e.others.map((o, i) => ({
                email: o.email,
                name: o.name,
                type: 'required' as const,
                response: e.response === 'declined' && i === 0 ? ('organizer' as const) : ('accepted' as const),
              })),
            ]
          : undefined,
      });
      return { id: String(ev.id) };
    },
    move(id, start, minutes) {
      sandbox.microsoft.updateEvent(email, id, { start: isoZ(start), end: isoZ(new Date(start.getTime() + minutes * 60_000)) });
    },
    cancel(id) {
      sandbox.microsoft.deleteEvent(email, id);
    },
    drafts() {
      return sandbox.microsoft.drafts(email).map((d) => ({ id: d.id, to: d.to.join(','), subject: d.subject, text: d.text, html: d.html ?? '' }));
    },
    async sendDraft(id) {
      sandbox.microsoft.sendDraft(email, id);
    },
    async receiveMail(from, subject, at) {
      sandbox.microsoft.addMessage(email, { folder: 'inbox', from: { email: from }, to: [{ email }], subject, text: 'Great to hear from you!', at: at.toISOString() });
    },
    createdEvents() {
      return sandbox.microsoft.createdEvents(email).map((e) => {
        const ev = e as Record<string, unknown>;
        return {
          id: String(ev.id),
          title: String(ev.subject),
          start: String((ev.start as { dateTime: string }).dateTime),
          end: String((ev.end as { dateTime: string }).dateTime),
          attendees: ((ev.attendees as unknown[] | undefined) ?? []).length,
        };
      });
    },
  };
}
