// One way to seed and read a sandbox mailbox on either provider, so that the end-to-end tests,
// the demo's week and the benchmark describe people and events once, in neutral terms, and this
// file writes them the way each provider stores them (Google: an event resource with IANA zones;
// Graph: Windows zone names, `organizer` as an attendee response). Seeding goes through the typed
// admin API (`sandbox.google.*`, `sandbox.microsoft.*`), not HTTP, so 10,000 mailboxes stay cheap.
import { randomUUID } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import { findIana, findWindows } from 'windows-iana';
import type { Sandbox } from './server.ts';
import type { SandboxProvider } from './context.ts';

export interface Person {
  email: string;
  name?: string;
}

/** A person's answer to an invitation. */
export type Response = 'accepted' | 'declined' | 'tentative' | 'none';

export interface Guest extends Person {
  /** Default: accepted (the organizer, if a guest, answers as organizer). */
  response?: Response;
  /** A room or other resource. */
  resource?: boolean;
}

export interface MailboxSeed {
  provider: SandboxProvider;
  email: string;
  name: string;
  /** The mailbox's zone, IANA ("America/New_York") or Windows ("Eastern Standard Time"). */
  timeZone: string;
  /** The refresh token the account accepts. Generated when absent. */
  refreshToken?: string;
  /**
   * Microsoft only: a personal account (outlook.com), whose calendars cannot make Teams meetings
   * (an invite asked to carry one comes back without a join link). Google ignores it.
   */
  personal?: boolean;
}

export interface EventSeed {
  title: string;
  start: Date;
  /** Length in minutes; an all-day event lasts one day. */
  minutes: number;
  allDay?: boolean;
  /** The zone the event was scheduled in, IANA or Windows. Default: the mailbox's. */
  timeZone?: string;
  description?: string;
  /** Provider calendar id. Default: the primary/default calendar. */
  calendarId?: string;
  /** Who organised it. Default: the mailbox's owner. */
  organizer?: Person;
  /** Everyone invited besides the owner. None: an entry only the owner sees. */
  guests?: Guest[];
  /** The owner's own answer when invited (default accepted). */
  response?: Response;
  /** Repeats every week, this many times in all. */
  weeklyCount?: number;
  /** A video meeting link (Google Meet / Teams). */
  onlineMeeting?: boolean;
  /** Shown as busy (Graph's showAs; Google events are opaque unless marked otherwise). */
  busy?: boolean;
  /**
   * The meeting's iCalendar UID (RFC 5545), the same on every calendar one invite reached (the
   * same meeting on two mailboxes). Google reports it as `iCalUID`; Graph wraps it in the global
   * object id it reports as `iCalUId`. Default: a new one per event.
   */
  uid?: string;
  /**
   * Properties on this mailbox's copy of the event, by name: Google's extendedProperties.private;
   * Graph's single-value extended properties (String type) in the property set `propertySet`. For
   * copies carrying what someone else put there.
   */
  privateProperties?: { propertySet: string; values: Record<string, string> };
}

export interface MailboxDraft {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  messageId: string;
  to: string[];
  subject: string;
}

export interface CreatedEvent {
  id: string;
  title: string;
  start: string;
  end: string;
  attendees: number;
}

export interface Mailbox {
  provider: SandboxProvider;
  email: string;
  name: string;
  refreshToken: string;
  /** Adds a secondary calendar; returns its provider id. */
  addCalendar(name: string): string;
  /** Seeds an event as if someone (or the user in the provider's own UI) made it; returns its id. */
  addEvent(e: EventSeed): string;
  /** A reschedule made in the provider's own UI. */
  moveEvent(id: string, start: Date, minutes: number): void;
  /** A cancellation made in the provider's own UI. */
  cancelEvent(id: string): void;
  /**
   * Mail that arrives from someone: to the owner, plus `to` and `cc` (an introduction copies
   * both people). `inReplyTo`: the Message-ID of the message it answers (see `sentMail`), which
   * threads it the way each provider threads a reply.
   */
  receiveMail(m: {
    from: string;
    subject: string;
    at: Date;
    text?: string;
    to?: string[];
    cc?: string[];
    inReplyTo?: string;
    /** Its own Message-ID (so a later message can answer it). */
    messageId?: string;
    /**
     * An automatic answer, as each provider's responder writes it: Gmail's vacation responder sets
     * `Auto-Submitted: auto-replied` (RFC 3834); Exchange's Automatic Replies prefix the subject
     * "Automatic reply:" (and set the header, which Graph's message list does not return).
     */
    automatic?: boolean;
  }): Promise<void>;
  /** Mail the owner sent, newest first: its Message-ID (to answer it), recipients and subject. */
  sentMail(): SentMail[];
  /** Drafts in the mailbox. */
  drafts(): MailboxDraft[];
  /**
   * The user sends a draft from the provider's own mail client: Gmail's composer (Gmail's own
   * Message-ID); Outlook, as classic Outlook desktop when `newInternetMessageId` is set.
   */
  sendDraft(id: string, opts?: { newInternetMessageId?: boolean }): Promise<void>;
  /** Events made through the API (by the worker: prep blocks, invites), cancelled ones left out. */
  createdEvents(): CreatedEvent[];
}

const isoZ = (d: Date) => DateTime.fromJSDate(d).toUTC().toISO({ suppressMilliseconds: true })!;
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const addressesIn = (header: string) =>
  (header.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).map((a) => a.toLowerCase());

/** IANA name for an IANA or Windows zone name. */
export function ianaZone(name: string): string {
  if (IANAZone.isValidZone(name)) return name;
  const z = findIana(name).find((x) => IANAZone.isValidZone(x));
  if (!z) throw new Error(`unknown time zone ${name}`);
  return z;
}

/** Windows name (as Graph and Outlook write it) for an IANA or Windows zone name. */
export function windowsZone(name: string): string {
  if (!IANAZone.isValidZone(name)) return name;
  const w = findWindows(name)[0];
  if (!w) throw new Error(`no Windows name for time zone ${name}`);
  return w;
}

/** The date of an all-day event: the start's calendar day in the event's zone. */
function dayOf(start: Date, zone: string, plusDays = 0): string {
  return DateTime.fromJSDate(start).setZone(ianaZone(zone)).plus({ days: plusDays }).toISODate()!;
}

/** Creates the account (or updates it, when it exists) and returns a handle on it. */
export function seedMailbox(sandbox: Sandbox, seed: MailboxSeed): Mailbox {
  return seed.provider === 'google' ? googleMailbox(sandbox, seed) : microsoftMailbox(sandbox, seed);
}

function googleMailbox(sandbox: Sandbox, seed: MailboxSeed): Mailbox {
  const g = sandbox.google;
  const zone = ianaZone(seed.timeZone);
  const { email, refreshToken } = g.seedAccount({
    email: seed.email,
    name: seed.name,
    timeZone: zone,
    refreshToken: seed.refreshToken,
  });
  // https://developers.google.com/calendar/api/v3/reference/events#attendees[].responseStatus
  const status = (r: Response | undefined) => (r === 'none' ? 'needsAction' : (r ?? 'accepted'));
  return {
    provider: 'google',
    email,
    name: seed.name,
    refreshToken,
    addCalendar: (name) => g.seedCalendar(email, { summary: name, timeZone: zone }),
    addEvent(e) {
      const tz = ianaZone(e.timeZone ?? zone);
      const end = new Date(e.start.getTime() + e.minutes * 60_000);
      const organizer = e.organizer ?? { email, name: seed.name };
      const guests = e.guests ?? [];
      const body: Record<string, unknown> = {
        summary: e.title,
        ...(e.description !== undefined ? { description: e.description } : {}),
        start: e.allDay ? { date: dayOf(e.start, tz) } : { dateTime: isoZ(e.start), timeZone: tz },
        end: e.allDay ? { date: dayOf(e.start, tz, 1) } : { dateTime: isoZ(end), timeZone: tz },
        organizer: { email: organizer.email, displayName: organizer.name },
        ...(guests.length
          ? {
              attendees: [
                {
                  email,
                  displayName: seed.name,
                  responseStatus: same(organizer.email, email) ? 'accepted' : status(e.response),
                },
                ...guests.map((x) => ({
                  email: x.email,
                  displayName: x.name,
                  responseStatus: same(organizer.email, x.email) ? 'accepted' : status(x.response),
                  ...(x.resource ? { resource: true } : {}),
                })),
              ],
            }
          : {}),
        ...(e.weeklyCount ? { recurrence: [`RRULE:FREQ=WEEKLY;COUNT=${e.weeklyCount}`] } : {}),
        ...(e.uid ? { iCalUID: e.uid } : {}),
        ...(e.privateProperties
          ? { extendedProperties: { private: { ...e.privateProperties.values } } }
          : {}),
        ...(e.onlineMeeting
          ? {
              conferenceData: {
                createRequest: { requestId: randomUUID(), conferenceSolutionKey: { type: 'hangoutsMeet' } },
              },
            }
          : {}),
      };
      return String(g.seedEvent(email, e.calendarId ?? 'primary', body).id);
    },
    moveEvent(id, start, minutes) {
      const ev = g.events(email).find((x) => x.id === id);
      const tz = (ev?.start as { timeZone?: string } | undefined)?.timeZone ?? zone;
      g.patchEvent(email, 'primary', id, {
        start: { dateTime: isoZ(start), timeZone: tz },
        end: { dateTime: isoZ(new Date(start.getTime() + minutes * 60_000)), timeZone: tz },
      });
    },
    cancelEvent: (id) => g.deleteEvent(email, 'primary', id),
    async receiveMail(m) {
      await g.seedMail(email, {
        direction: 'received',
        from: m.from,
        to: [email, ...(m.to ?? [])].join(', '),
        ...(m.cc?.length ? { cc: m.cc.join(', ') } : {}),
        subject: m.subject,
        text: m.text ?? 'Great to hear from you!',
        date: m.at,
        ...(m.automatic ? { headers: { 'Auto-Submitted': 'auto-replied' } } : {}),
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        ...(m.messageId ? { messageId: m.messageId } : {}),
      });
    },
    sentMail: () =>
      g.messages(email, { label: 'SENT' }).map((x) => ({
        messageId: x.messageId,
        to: addressesIn(x.to),
        subject: x.subject,
      })),
    drafts: () =>
      g
        .drafts(email)
        .map((d) => ({ id: d.draftId, to: d.to, subject: d.subject, text: d.text, html: d.html })),
    async sendDraft(id) {
      await g.sendDraftAsUser(email, id);
    },
    createdEvents: () =>
      g
        .events(email, 'primary', { createdViaApi: true })
        .filter((e) => e.status !== 'cancelled')
        .map((e) => ({
          id: String(e.id),
          title: String(e.summary),
          start: String((e.start as { dateTime: string }).dateTime),
          end: String((e.end as { dateTime: string }).dateTime),
          attendees: ((e.attendees as unknown[] | undefined) ?? []).length,
        })),
  };
}

function microsoftMailbox(sandbox: Sandbox, seed: MailboxSeed): Mailbox {
  const m = sandbox.microsoft;
  const { email, refreshToken } = m.seedAccount({
    email: seed.email,
    name: seed.name,
    windowsTimeZone: windowsZone(seed.timeZone),
    refreshToken: seed.refreshToken,
    ...(seed.personal ? { personal: true } : {}),
  });
  // https://learn.microsoft.com/en-us/graph/api/resources/responsestatus
  const status = (r: Response | undefined): 'tentativelyAccepted' | 'accepted' | 'declined' | 'none' =>
    r === 'tentative' ? 'tentativelyAccepted' : (r ?? 'accepted');
  return {
    provider: 'microsoft',
    email,
    name: seed.name,
    refreshToken,
    addCalendar: (name) => m.addCalendar(email, { name }).id,
    addEvent(e) {
      const tz = e.timeZone ? windowsZone(e.timeZone) : undefined;
      const end = new Date(e.start.getTime() + e.minutes * 60_000);
      const organizer = e.organizer ?? { email, name: seed.name };
      const guests = e.guests ?? [];
      const allDayZone = tz ?? windowsZone(seed.timeZone);
      const ev = m.addEvent(email, {
        subject: e.title,
        ...(e.description !== undefined ? { body: e.description } : {}),
        start: e.allDay ? dayOf(e.start, allDayZone) : isoZ(e.start),
        end: e.allDay ? dayOf(e.start, allDayZone, 1) : isoZ(end),
        ...(e.allDay ? { isAllDay: true } : {}),
        ...(tz ? { timeZone: tz } : {}),
        ...(e.calendarId ? { calendarId: e.calendarId } : {}),
        organizer,
        ...(guests.length
          ? {
              attendees: [
                {
                  email,
                  name: seed.name,
                  type: 'required' as const,
                  response: same(organizer.email, email) ? ('organizer' as const) : status(e.response),
                },
                ...guests.map((x) => ({
                  email: x.email,
                  name: x.name,
                  type: x.resource ? ('resource' as const) : ('required' as const),
                  response: same(organizer.email, x.email) ? ('organizer' as const) : status(x.response),
                })),
              ],
            }
          : {}),
        ...(e.weeklyCount ? { recurrence: { frequency: 'weekly' as const, count: e.weeklyCount } } : {}),
        ...(e.onlineMeeting ? { isOnlineMeeting: true } : {}),
        ...(e.busy ? { showAs: 'busy' } : {}),
        ...(e.uid ? { uid: e.uid } : {}),
        ...(e.privateProperties
          ? {
              // Property ids: https://learn.microsoft.com/en-us/graph/api/resources/extended-properties-overview#id-formats
              extendedProperties: Object.fromEntries(
                Object.entries(e.privateProperties.values).map(([name, value]) => [
                  `String ${e.privateProperties!.propertySet} Name ${name}`,
                  value,
                ]),
              ),
            }
          : {}),
      });
      return String(ev.id);
    },
    moveEvent(id, start, minutes) {
      m.updateEvent(email, id, {
        start: isoZ(start),
        end: isoZ(new Date(start.getTime() + minutes * 60_000)),
      });
    },
    cancelEvent: (id) => m.deleteEvent(email, id),
    async receiveMail(msg) {
      m.addMessage(email, {
        folder: 'inbox',
        from: { email: msg.from },
        to: [{ email }, ...(msg.to ?? []).map((x) => ({ email: x }))],
        cc: (msg.cc ?? []).map((x) => ({ email: x })),
        subject: msg.automatic ? `Automatic reply: ${msg.subject.replace(/^re:\s*/i, '')}` : msg.subject,
        text: msg.text ?? 'Great to hear from you!',
        at: msg.at.toISOString(),
        ...(msg.inReplyTo ? { inReplyTo: msg.inReplyTo } : {}),
        ...(msg.messageId ? { internetMessageId: msg.messageId } : {}),
      });
    },
    sentMail: () =>
      m
        .messages(email, 'sentitems')
        .sort((a, b) => b.sentDateTime!.localeCompare(a.sentDateTime!))
        .map((x) => ({ messageId: x.internetMessageId, to: x.to, subject: x.subject })),
    drafts: () =>
      m
        .drafts(email)
        .map((d) => ({ id: d.id, to: d.to.join(','), subject: d.subject, text: d.text, html: d.html ?? '' })),
    async sendDraft(id, opts) {
      m.sendDraft(email, id, opts);
    },
    createdEvents: () =>
      m.createdEvents(email).map((e) => {
        const ev = e as Record<string, unknown>;
        return {
          id: String(ev.id),
          title: String(ev.subject),
          start: String((ev.start as { dateTime: string }).dateTime),
          end: String((ev.end as { dateTime: string }).dateTime),
          attendees: ((ev.attendees as unknown[] | undefined) ?? []).length,
        };
      }),
  };
}
