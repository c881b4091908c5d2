// In-memory state of the Microsoft 365 sandbox: accounts, tokens, calendars, events, mail and
// subscriptions. Kept flat and lazy so 10,000 seeded accounts stay cheap (an account with no
// events holds a few small maps).
import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { ianaFor } from './time.ts';
import { htmlToText } from './html-text.ts';

export type AttendeeType = 'required' | 'optional' | 'resource';
/** https://learn.microsoft.com/en-us/graph/api/resources/responsestatus */
export type GraphResponse =
  'none' | 'organizer' | 'tentativelyAccepted' | 'accepted' | 'declined' | 'notResponded';

export interface EmailAddress {
  name?: string;
  address: string;
}

export interface StoredAttendee {
  type: AttendeeType;
  emailAddress: EmailAddress;
  status: { response: GraphResponse; time: string };
}

/** https://learn.microsoft.com/en-us/graph/api/resources/patternedrecurrence */
export interface Recurrence {
  pattern: {
    type: 'daily' | 'weekly' | 'absoluteMonthly' | 'absoluteYearly';
    interval: number;
    daysOfWeek?: string[];
    dayOfMonth?: number;
    month?: number;
    firstDayOfWeek?: string;
  };
  range: {
    type: 'endDate' | 'noEnd' | 'numbered';
    startDate: string;
    endDate?: string;
    numberOfOccurrences?: number;
    recurrenceTimeZone?: string;
  };
}

export interface ExtendedProperty {
  id: string;
  value: string;
}

export interface StoredEvent {
  id: string;
  calendarId: string;
  iCalUId: string;
  changeKey: string;
  seq: number;
  createdMs: number;
  modifiedMs: number;
  transactionId: string | null;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  startMs: number;
  endMs: number;
  isAllDay: boolean;
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  location: string;
  attendees: StoredAttendee[];
  organizer: EmailAddress;
  isCancelled: boolean;
  showAs: string;
  isOnlineMeeting: boolean;
  joinUrl: string | null;
  recurrence: Recurrence | null;
  extendedProperties: ExtendedProperty[];
  /** Set once deleted: a tombstone kept for delta rounds. */
  deleted: boolean;
  /**
   * Occurrences of this series changed on their own (exceptions), by occurrence id: cancelled by
   * the organizer, or answered on their own by the user.
   * https://learn.microsoft.com/en-us/graph/api/resources/event (type: exception)
   */
  exceptions?: Map<string, OccurrenceException>;
  /** Who made it: the admin API (seeded, "the user's calendar") or a Graph client. */
  origin: 'admin' | 'graph';
}

export interface OccurrenceException {
  isCancelled?: boolean;
  /** The user's own answer to this occurrence. */
  response?: GraphResponse;
  seq: number;
  changeKey: string;
  modifiedMs: number;
}

export type FolderName = 'drafts' | 'sentitems' | 'inbox';

export interface StoredMessage {
  id: string;
  folder: FolderName;
  isDraft: boolean;
  changeKey: string;
  createdMs: number;
  modifiedMs: number;
  receivedMs: number;
  sentMs: number | null;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  from: EmailAddress | null;
  toRecipients: EmailAddress[];
  ccRecipients: EmailAddress[];
  bccRecipients: EmailAddress[];
  internetMessageId: string;
  conversationId: string;
  isRead: boolean;
  extendedProperties: ExtendedProperty[];
}

export interface StoredCalendar {
  id: string;
  name: string;
  isDefault: boolean;
  canEdit: boolean;
}

export interface Subscription {
  id: string;
  email: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  clientState: string | null;
  expirationDateTime: string;
}

export interface Account {
  email: string;
  userId: string;
  name: string;
  windowsTimeZone: string;
  /**
   * Other SMTP addresses of the mailbox (Exchange proxy addresses): mail sent to any of them lands
   * in this mailbox, and an invitation to one shows that address among the attendees.
   * https://learn.microsoft.com/en-us/graph/api/resources/user (proxyAddresses)
   */
  aliases: string[];
  revoked: boolean;
  /** Bumped to invalidate every delta token issued before. */
  deltaEpoch: number;
  seq: number;
  calendars: Map<string, StoredCalendar>;
  events: Map<string, StoredEvent>;
  messages: Map<string, StoredMessage>;
  folderIds: Record<FolderName, string>;
  /**
   * A personal Microsoft account (outlook.com): its calendars offer no Teams meetings, and a create
   * that asks for one is answered 201 with `isOnlineMeeting: false` (see operations.ts).
   */
  personal: boolean;
}

export function newId(prefix = 'AAMkAG'): string {
  return prefix + randomBytes(24).toString('base64url');
}

export function newChangeKey(): string {
  return randomBytes(12).toString('base64');
}

export function bodyText(body: { contentType: string; content: string }): string {
  return body.contentType === 'html' ? htmlToText(body.content) : body.content;
}

const OCC = '_OCC';

export function occurrenceId(masterId: string, localDate: string): string {
  return `${masterId}${OCC}${localDate.replaceAll('-', '')}`;
}

export function parseOccurrenceId(id: string): { masterId: string; date: string } | null {
  const m = /^(.*)_OCC(\d{4})(\d{2})(\d{2})$/.exec(id);
  return m ? { masterId: m[1]!, date: `${m[2]}-${m[3]}-${m[4]}` } : null;
}

/** One instance of an event inside a calendar view: a single event, or one occurrence of a series. */
export interface Instance {
  event: StoredEvent;
  id: string;
  type: 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';
  startMs: number;
  endMs: number;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** Expands a series into its occurrences overlapping [fromMs, toMs). */
export function expandSeries(ev: StoredEvent, fromMs: number, toMs: number): Instance[] {
  const rec = ev.recurrence;
  if (!rec) return [];
  const zone = ianaFor(rec.range.recurrenceTimeZone ?? ev.originalStartTimeZone) ?? 'UTC';
  const firstStart = DateTime.fromMillis(ev.startMs, { zone });
  const duration = ev.endMs - ev.startMs;
  const rangeStart = DateTime.fromISO(rec.range.startDate, { zone });
  const rangeEnd =
    rec.range.type === 'endDate' && rec.range.endDate
      ? DateTime.fromISO(rec.range.endDate, { zone }).endOf('day')
      : null;
  const maxCount = rec.range.type === 'numbered' ? (rec.range.numberOfOccurrences ?? 1) : Infinity;
  const interval = Math.max(1, rec.pattern.interval || 1);
  const out: Instance[] = [];
  let count = 0;
  const limit = DateTime.fromMillis(toMs, { zone });
  const weekAnchor = rangeStart.startOf('week');
  for (let day = rangeStart.startOf('day'), i = 0; i < 366 * 20; i++, day = day.plus({ days: 1 })) {
    if (rangeEnd && day > rangeEnd) break;
    if (day > limit) break;
    if (count >= maxCount) break;
    let hit = false;
    const daysSince = Math.round(day.diff(rangeStart.startOf('day'), 'days').days);
    switch (rec.pattern.type) {
      case 'daily':
        hit = daysSince % interval === 0;
        break;
      case 'weekly': {
        const weeks = Math.floor(day.startOf('week').diff(weekAnchor, 'weeks').weeks + 1e-9);
        const days = rec.pattern.daysOfWeek?.length
          ? rec.pattern.daysOfWeek
          : [WEEKDAYS[firstStart.weekday - 1]!];
        hit = weeks % interval === 0 && days.map((d) => d.toLowerCase()).includes(WEEKDAYS[day.weekday - 1]!);
        break;
      }
      case 'absoluteMonthly': {
        const months = (day.year - rangeStart.year) * 12 + (day.month - rangeStart.month);
        hit = months % interval === 0 && day.day === (rec.pattern.dayOfMonth ?? firstStart.day);
        break;
      }
      case 'absoluteYearly':
        hit =
          (day.year - rangeStart.year) % interval === 0 &&
          day.month === (rec.pattern.month ?? firstStart.month) &&
          day.day === (rec.pattern.dayOfMonth ?? firstStart.day);
        break;
    }
    if (!hit) continue;
    count++;
    const start = day.set({ hour: firstStart.hour, minute: firstStart.minute, second: firstStart.second });
    const s = start.toMillis();
    const e = s + duration;
    if (e > fromMs && s < toMs) {
      const id = occurrenceId(ev.id, day.toISODate()!);
      out.push({
        event: ev,
        id,
        type: ev.exceptions?.has(id) ? 'exception' : 'occurrence',
        startMs: s,
        endMs: e,
      });
    }
  }
  return out;
}

/** Instances of one event in the view [fromMs, toMs) (calendarView semantics: no series masters). */
export function instancesInView(ev: StoredEvent, fromMs: number, toMs: number): Instance[] {
  if (ev.recurrence) return expandSeries(ev, fromMs, toMs);
  if (ev.endMs > fromMs && ev.startMs < toMs) {
    return [{ event: ev, id: ev.id, type: 'singleInstance', startMs: ev.startMs, endMs: ev.endMs }];
  }
  // A zero-length event at the window start still counts.
  if (ev.startMs === ev.endMs && ev.startMs >= fromMs && ev.startMs < toMs) {
    return [{ event: ev, id: ev.id, type: 'singleInstance', startMs: ev.startMs, endMs: ev.endMs }];
  }
  return [];
}

/** The mailbox's primary address or one of its aliases. */
export function isOwnAddress(acc: Account, address: string): boolean {
  const a = address.toLowerCase();
  return a === acc.email || acc.aliases.includes(a);
}

/** An app registration in Microsoft Entra (App registrations → Authentication). */
export interface EntraApp {
  clientId: string;
  /**
   * 'public': redirect URIs on the "Mobile and desktop applications" platform (a public client: it
   * must not present a secret). 'confidential': redirect URIs on the "Web" platform with a client
   * secret (it must present it).
   */
  kind: 'public' | 'confidential';
  clientSecret?: string;
  redirectUris: string[];
}

export class MicrosoftStore {
  accounts = new Map<string, Account>();
  /** refresh token -> email (rotated tokens stay valid until revoked, as on the identity platform) */
  refreshTokens = new Map<string, string>();
  /** email -> the refresh token seeded last (what the admin API hands out) */
  seededRefreshToken = new Map<string, string>();
  /** access token -> {email, expiresMs} */
  accessTokens = new Map<string, { email: string; expiresMs: number }>();
  authCodes = new Map<
    string,
    { email: string; challenge?: string; method?: string; redirectUri?: string; scope: string }
  >();
  /**
   * App registrations (identity.ts). While none is registered, any client id is accepted unchecked;
   * once one is, authorize and token check every request against them as Entra does.
   */
  apps = new Map<string, EntraApp>();
  /** Delegated permissions an account's consent leaves out (user or admin restriction), by email. */
  withheldScopes = new Map<string, string[]>();
  /** What each account consented to at its last code exchange (refreshes are limited to it). */
  consented = new Map<string, string>();
  subscriptions = new Map<string, Subscription>();
  accessTokenTtlSeconds = 3600;
  /**
   * Status of ErrorDuplicateTransactionId: threads show 400 and 409 for it (see operations.ts); 400
   * by default, 409 to try the other.
   */
  duplicateTransactionIdStatus: 400 | 409 = 400;
  /** Status of a stale If-Match (ErrorIrresolvableConflict): 412 by default, 409 as some tenants answer. */
  ifMatchConflictStatus: 409 | 412 = 412;

  account(email: string): Account | undefined {
    return this.accounts.get(email.toLowerCase());
  }

  addAccount(input: {
    email: string;
    name?: string;
    windowsTimeZone?: string;
    refreshToken?: string;
    aliases?: string[];
    personal?: boolean;
  }): Account {
    const email = input.email.toLowerCase();
    let acc = this.accounts.get(email);
    if (!acc) {
      const calId = newId('AAMkCal');
      acc = {
        email,
        userId: randomUUID(),
        name: input.name ?? email.split('@')[0]!,
        windowsTimeZone: input.windowsTimeZone ?? 'UTC',
        aliases: (input.aliases ?? []).map((x) => x.toLowerCase()),
        revoked: false,
        deltaEpoch: 1,
        seq: 0,
        calendars: new Map([[calId, { id: calId, name: 'Calendar', isDefault: true, canEdit: true }]]),
        events: new Map(),
        messages: new Map(),
        folderIds: { drafts: newId('AQMkDrafts'), sentitems: newId('AQMkSent'), inbox: newId('AQMkInbox') },
        personal: input.personal ?? false,
      };
      this.accounts.set(email, acc);
    } else {
      if (input.name) acc.name = input.name;
      if (input.windowsTimeZone) acc.windowsTimeZone = input.windowsTimeZone;
      if (input.aliases) acc.aliases = input.aliases.map((x) => x.toLowerCase());
      if (input.personal !== undefined) acc.personal = input.personal;
      acc.revoked = false;
    }
    const token = input.refreshToken ?? `M.R3_${randomBytes(24).toString('base64url')}`;
    this.refreshTokens.set(token, email);
    this.seededRefreshToken.set(email, token);
    return acc;
  }

  refreshTokenFor(email: string): string | undefined {
    return this.seededRefreshToken.get(email.toLowerCase());
  }

  defaultCalendar(acc: Account): StoredCalendar {
    for (const c of acc.calendars.values()) if (c.isDefault) return c;
    throw new Error('no default calendar');
  }

  issueAccessToken(email: string, nowMs: number): { token: string; expiresIn: number } {
    const token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(token, { email, expiresMs: nowMs + this.accessTokenTtlSeconds * 1000 });
    return { token, expiresIn: this.accessTokenTtlSeconds };
  }

  rotateRefreshToken(email: string): string {
    const t = `M.R3_${randomBytes(24).toString('base64url')}`;
    this.refreshTokens.set(t, email);
    return t;
  }

  revoke(email: string): void {
    const acc = this.account(email);
    if (acc) acc.revoked = true;
    for (const [t, e] of this.accessTokens) if (e.email === email.toLowerCase()) this.accessTokens.delete(t);
  }

  expireAccessTokens(email: string): void {
    for (const [, e] of this.accessTokens) if (e.email === email.toLowerCase()) e.expiresMs = 0;
  }

  touch(acc: Account, ev: StoredEvent, nowMs: number): void {
    ev.seq = ++acc.seq;
    ev.changeKey = newChangeKey();
    ev.modifiedMs = nowMs;
  }

  /** One of the mailbox's own addresses (primary or alias)? */
  isOwnAddress(acc: Account, address: string): boolean {
    return isOwnAddress(acc, address);
  }

  findEvent(acc: Account, id: string): StoredEvent | undefined {
    const ev = acc.events.get(id);
    return ev && !ev.deleted ? ev : undefined;
  }

  reset(): void {
    this.accounts.clear();
    this.refreshTokens.clear();
    this.seededRefreshToken.clear();
    this.accessTokens.clear();
    this.authCodes.clear();
    this.apps.clear();
    this.withheldScopes.clear();
    this.consented.clear();
    this.subscriptions.clear();
    this.accessTokenTtlSeconds = 3600;
    this.duplicateTransactionIdStatus = 400;
    this.ifMatchConflictStatus = 412;
  }
}
