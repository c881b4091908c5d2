// Mutations shared by the Graph routes and the admin API: each one bumps the account's change
// sequence (for delta rounds), renews the changeKey and notifies subscriptions.
import { createHash, randomBytes } from 'node:crypto';
import { badRequest, duplicateTransactionId, GraphHttpError, notFound } from './graph-errors.ts';
import {
  expandSeries,
  newChangeKey,
  newId,
  parseOccurrenceId,
  type Account,
  type AttendeeType,
  type EmailAddress,
  type ExtendedProperty,
  type FolderName,
  type GraphResponse,
  type MicrosoftStore,
  type Recurrence,
  type StoredAttendee,
  type StoredEvent,
  type StoredMessage,
} from './store.ts';
import { notifyChange } from './subscriptions.ts';
import { ianaFor, parseDateTimeTimeZone } from './time.ts';

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function emailOf(v: unknown): EmailAddress | null {
  const e = (v as { emailAddress?: { address?: unknown; name?: unknown } } | undefined)?.emailAddress;
  if (!e || typeof e.address !== 'string') return null;
  return { address: e.address, ...(typeof e.name === 'string' ? { name: e.name } : {}) };
}

function recipients(v: unknown, field: string): EmailAddress[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw badRequest(`Property '${field}' must be a collection.`, 'ErrorInvalidRecipients');
  return v.map((r) => {
    const e = emailOf(r);
    if (!e) throw badRequest(`At least one recipient in '${field}' is not valid.`, 'ErrorInvalidRecipients');
    return e;
  });
}

function extendedProps(v: unknown): ExtendedProperty[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest("Property 'singleValueExtendedProperties' must be a collection.");
  return v.map((p) => {
    const { id, value } = p as { id?: unknown; value?: unknown };
    if (typeof id !== 'string' || typeof value !== 'string') {
      throw badRequest('An extended property needs a string id and value.', 'ErrorInvalidExtendedProperty');
    }
    // https://learn.microsoft.com/en-us/graph/api/resources/extended-properties-overview
    // id formats: "{type} {guid} Name {name}" or "{type} {guid} Id {0x...}"
    if (
      !/^\w+ \{[0-9a-fA-F-]{36}\} (Name .+|Id 0x[0-9a-fA-F]+)$/.test(id) &&
      !/^\w+ 0x[0-9a-fA-F]+$/.test(id)
    ) {
      throw badRequest(`The extended property id '${id}' is not valid.`, 'ErrorInvalidExtendedProperty');
    }
    return { id, value };
  });
}

function mergeProps(old: ExtendedProperty[], add: ExtendedProperty[]): ExtendedProperty[] {
  const out = [...old];
  for (const p of add) {
    const i = out.findIndex((o) => o.id.toLowerCase() === p.id.toLowerCase());
    if (i >= 0) out[i] = p;
    else out.push(p);
  }
  return out;
}

function zoneName(v: unknown): string {
  const tz = (v as { timeZone?: unknown } | undefined)?.timeZone;
  return typeof tz === 'string' && tz ? tz : 'UTC';
}

function timeOf(v: unknown, field: string): number {
  const tz = zoneName(v);
  if (!ianaFor(tz)) {
    throw badRequest(
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${tz}'.`,
      'TimeZoneNotSupportedException',
    );
  }
  const ms = parseDateTimeTimeZone(v as { dateTime?: string; timeZone?: string });
  if (ms === null) throw badRequest(`Property '${field}' has an invalid dateTime.`, 'ErrorInvalidRequest');
  return ms;
}

function attendees(v: unknown, nowIso: string): StoredAttendee[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest("Property 'attendees' must be a collection.");
  return v.map((a) => {
    const e = emailOf(a);
    if (!e) throw badRequest('An attendee needs an emailAddress.address.', 'ErrorInvalidRecipients');
    const type = (str((a as Json).type) ?? 'required') as AttendeeType;
    if (!['required', 'optional', 'resource'].includes(type))
      throw badRequest(`Invalid attendee type '${type}'.`);
    const response = (str(((a as Json).status as Json | undefined)?.response) ?? 'none') as GraphResponse;
    return {
      type,
      emailAddress: e,
      status: { response, time: response === 'none' ? '0001-01-01T00:00:00Z' : nowIso },
    };
  });
}

function joinUrlFor(id: string): string {
  const h = createHash('sha1').update(id).digest('hex');
  return `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${h}%40thread.v2/0?context=%7b%22Tid%22%3a%22sandbox%22%7d`;
}

export class Operations {
  constructor(
    private store: MicrosoftStore,
    private now: () => Date,
  ) {}

  private emitEvent(acc: Account, ev: StoredEvent, change: 'created' | 'updated' | 'deleted') {
    notifyChange(
      this.store,
      acc,
      'events',
      change,
      { id: ev.id, changeKey: ev.changeKey, calendarId: ev.calendarId },
      this.now().getTime(),
    );
  }

  /** POST /me/events (Graph body). https://learn.microsoft.com/en-us/graph/api/user-post-events */
  createEvent(
    acc: Account,
    calendarId: string,
    body: Json,
    origin: 'admin' | 'graph' = 'graph',
  ): StoredEvent {
    const cal = acc.calendars.get(calendarId);
    if (!cal) throw notFound('The specified object was not found in the store.');
    if (!cal.canEdit)
      throw new GraphHttpError(
        403,
        'ErrorAccessDenied',
        'Access is denied. Check credentials and try again.',
      );
    // transactionId: "A custom identifier specified by a client app for the server to avoid
    // redundant POST operations in case of client retries to create the same event."
    // (https://learn.microsoft.com/en-us/graph/api/resources/event). What a client sees on reuse is
    // ErrorDuplicateTransactionId, not the first event (https://github.com/alcionai/corso/issues/2490;
    // one older blog, https://blog.rykoma.net/2020/10/05/1559, saw a 201 for an identical retry: the
    // less forgiving answer is kept). A deleted event's id counts too: no source says a delete frees
    // it (a deleted Outlook item goes on living in Deleted Items / Recoverable Items), so the less
    // forgiving reading again (not checked live).
    const transactionId = str(body.transactionId) ?? null;
    if (transactionId) {
      for (const ev of acc.events.values())
        if (ev.transactionId === transactionId)
          throw duplicateTransactionId(this.store.duplicateTransactionIdStatus);
    }
    if (!body.start || !body.end)
      throw badRequest('Your request must have a start and an end.', 'ErrorInvalidRequest');
    const nowMs = this.now().getTime();
    const id = newId('AAMkAGEv');
    const isAllDay = body.isAllDay === true;
    const startMs = timeOf(body.start, 'start');
    const endMs = timeOf(body.end, 'end');
    if (endMs < startMs)
      throw badRequest('The end of the event must come after its start.', 'ErrorInvalidRequest');
    // A personal account cannot make Teams meetings: the create still answers 201, with
    // isOnlineMeeting false, provider unknown and no join URL
    // (https://github.com/microsoftgraph/microsoft-graph-docs/issues/9741,
    // https://github.com/elie222/inbox-zero/pull/3442).
    const isOnlineMeeting = body.isOnlineMeeting === true && !acc.personal;
    const bodyIn = (body.body as Json | undefined) ?? {};
    const ev: StoredEvent = {
      id,
      calendarId,
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(28).toString('hex').toUpperCase()}`,
      changeKey: newChangeKey(),
      seq: 0,
      createdMs: nowMs,
      modifiedMs: nowMs,
      transactionId,
      subject: str(body.subject) ?? '',
      body: {
        contentType: str(bodyIn.contentType)?.toLowerCase() === 'html' ? 'html' : 'text',
        content: str(bodyIn.content) ?? '',
      },
      startMs,
      endMs,
      isAllDay,
      originalStartTimeZone: zoneName(body.start),
      originalEndTimeZone: zoneName(body.end),
      location: str((body.location as Json | undefined)?.displayName) ?? '',
      attendees: attendees(body.attendees, new Date(nowMs).toISOString()),
      organizer: emailOf(body.organizer) ?? { name: acc.name, address: acc.email },
      isCancelled: body.isCancelled === true,
      showAs: str(body.showAs) ?? 'busy',
      isOnlineMeeting,
      joinUrl: isOnlineMeeting ? joinUrlFor(id) : null,
      recurrence: (body.recurrence as Recurrence | undefined) ?? null,
      extendedProperties: extendedProps(body.singleValueExtendedProperties),
      deleted: false,
      origin,
    };
    this.store.touch(acc, ev, nowMs);
    acc.events.set(id, ev);
    this.emitEvent(acc, ev, 'created');
    return ev;
  }

  /** PATCH /me/events/{id}. https://learn.microsoft.com/en-us/graph/api/event-update */
  updateEvent(acc: Account, id: string, body: Json): StoredEvent {
    const ev = this.store.findEvent(acc, id);
    if (!ev) throw notFound();
    if (body.subject !== undefined) ev.subject = str(body.subject) ?? '';
    if (body.body !== undefined) {
      const b = body.body as Json;
      ev.body = {
        contentType: str(b.contentType)?.toLowerCase() === 'html' ? 'html' : 'text',
        content: str(b.content) ?? '',
      };
    }
    if (body.start !== undefined) {
      ev.startMs = timeOf(body.start, 'start');
      ev.originalStartTimeZone = zoneName(body.start);
    }
    if (body.end !== undefined) {
      ev.endMs = timeOf(body.end, 'end');
      ev.originalEndTimeZone = zoneName(body.end);
    }
    if (body.isAllDay !== undefined) ev.isAllDay = body.isAllDay === true;
    if (body.location !== undefined) ev.location = str((body.location as Json | null)?.displayName) ?? '';
    if (body.attendees !== undefined) ev.attendees = attendees(body.attendees, this.now().toISOString());
    if (body.showAs !== undefined) ev.showAs = str(body.showAs) ?? 'busy';
    if (body.isCancelled !== undefined) ev.isCancelled = body.isCancelled === true;
    if (body.recurrence !== undefined) ev.recurrence = (body.recurrence as Recurrence | null) ?? null;
    if (body.isOnlineMeeting !== undefined) {
      ev.isOnlineMeeting = body.isOnlineMeeting === true && !acc.personal;
      ev.joinUrl = ev.isOnlineMeeting ? (ev.joinUrl ?? joinUrlFor(ev.id)) : null;
    }
    if (body.singleValueExtendedProperties !== undefined) {
      ev.extendedProperties = mergeProps(
        ev.extendedProperties,
        extendedProps(body.singleValueExtendedProperties),
      );
    }
    this.store.touch(acc, ev, this.now().getTime());
    this.emitEvent(acc, ev, 'updated');
    return ev;
  }

  /**
   * One occurrence changed on its own: the organizer cancelled it, or the user answered it alone.
   * It becomes an exception of its series (https://learn.microsoft.com/en-us/graph/api/resources/event,
   * type "exception"; https://learn.microsoft.com/en-us/graph/api/event-decline on an occurrence id).
   */
  changeOccurrence(acc: Account, id: string, change: { isCancelled?: boolean; response?: GraphResponse }) {
    const occ = parseOccurrenceId(id);
    const master = occ ? this.store.findEvent(acc, occ.masterId) : undefined;
    const day = occ ? Date.parse(`${occ.date}T00:00:00Z`) : 0;
    if (
      !occ ||
      !master ||
      !expandSeries(master, day - 2 * 86_400_000, day + 2 * 86_400_000).some((i) => i.id === id)
    )
      throw notFound();
    master.exceptions ??= new Map();
    const prev = master.exceptions.get(id);
    master.exceptions.set(id, {
      ...prev,
      ...change,
      seq: ++acc.seq,
      changeKey: newChangeKey(),
      modifiedMs: this.now().getTime(),
    });
    this.emitEvent(acc, master, 'updated');
  }

  deleteEvent(acc: Account, id: string): void {
    const ev = this.store.findEvent(acc, id);
    if (!ev) throw notFound();
    ev.deleted = true;
    this.store.touch(acc, ev, this.now().getTime());
    this.emitEvent(acc, ev, 'deleted');
  }

  private emitMessage(acc: Account, m: StoredMessage, change: 'created' | 'updated' | 'deleted') {
    notifyChange(
      this.store,
      acc,
      'messages',
      change,
      { id: m.id, changeKey: m.changeKey },
      this.now().getTime(),
    );
  }

  newMessage(acc: Account, folder: FolderName, input: Partial<StoredMessage>): StoredMessage {
    const nowMs = this.now().getTime();
    const m: StoredMessage = {
      id: newId('AAMkAGMsg'),
      folder,
      isDraft: folder === 'drafts',
      changeKey: newChangeKey(),
      createdMs: nowMs,
      modifiedMs: nowMs,
      receivedMs: nowMs,
      sentMs: folder === 'drafts' ? null : nowMs,
      subject: '',
      body: { contentType: 'text', content: '' },
      from: { name: acc.name, address: acc.email },
      toRecipients: [],
      ccRecipients: [],
      bccRecipients: [],
      internetMessageId: `<${randomBytes(12).toString('hex').toUpperCase()}@sandbox.prod.outlook.com>`,
      conversationId: newId('AAQkAGConv'),
      isRead: folder !== 'inbox',
      extendedProperties: [],
      ...input,
    };
    acc.messages.set(m.id, m);
    this.emitMessage(acc, m, 'created');
    return m;
  }

  /** POST /me/messages creates a draft. https://learn.microsoft.com/en-us/graph/api/user-post-messages */
  createDraft(acc: Account, body: Json): StoredMessage {
    const b = (body.body as Json | undefined) ?? {};
    return this.newMessage(acc, 'drafts', {
      subject: str(body.subject) ?? '',
      body: {
        contentType: str(b.contentType)?.toLowerCase() === 'html' ? 'html' : 'text',
        content: str(b.content) ?? '',
      },
      toRecipients: recipients(body.toRecipients, 'toRecipients'),
      ccRecipients: recipients(body.ccRecipients, 'ccRecipients'),
      bccRecipients: recipients(body.bccRecipients, 'bccRecipients'),
      extendedProperties: extendedProps(body.singleValueExtendedProperties),
    });
  }

  /** PATCH /me/messages/{id}. https://learn.microsoft.com/en-us/graph/api/message-update */
  updateMessage(acc: Account, id: string, body: Json): StoredMessage {
    const m = acc.messages.get(id);
    if (!m) throw notFound();
    const draftOnly = ['subject', 'body', 'toRecipients', 'ccRecipients', 'bccRecipients'];
    if (!m.isDraft && draftOnly.some((k) => body[k] !== undefined)) {
      throw badRequest(
        'Only draft messages can have their content updated.',
        'ErrorInvalidPropertyUpdateSentMessage',
      );
    }
    if (body.subject !== undefined) m.subject = str(body.subject) ?? '';
    if (body.body !== undefined) {
      const b = body.body as Json;
      m.body = {
        contentType: str(b.contentType)?.toLowerCase() === 'html' ? 'html' : 'text',
        content: str(b.content) ?? '',
      };
    }
    if (body.toRecipients !== undefined) m.toRecipients = recipients(body.toRecipients, 'toRecipients');
    if (body.ccRecipients !== undefined) m.ccRecipients = recipients(body.ccRecipients, 'ccRecipients');
    if (body.bccRecipients !== undefined) m.bccRecipients = recipients(body.bccRecipients, 'bccRecipients');
    if (body.isRead !== undefined) m.isRead = body.isRead === true;
    if (body.singleValueExtendedProperties !== undefined) {
      m.extendedProperties = mergeProps(
        m.extendedProperties,
        extendedProps(body.singleValueExtendedProperties),
      );
    }
    m.changeKey = newChangeKey();
    m.modifiedMs = this.now().getTime();
    this.emitMessage(acc, m, 'updated');
    return m;
  }

  deleteMessage(acc: Account, id: string): void {
    const m = acc.messages.get(id);
    if (!m) throw notFound();
    acc.messages.delete(id);
    this.emitMessage(acc, m, 'deleted');
  }

  /**
   * POST /me/messages/{id}/send: the draft leaves Drafts and a copy (new id, same
   * internetMessageId and conversationId) is saved in Sent Items.
   * https://learn.microsoft.com/en-us/graph/api/message-send ; the item id changes with the folder
   * ("a separate copy of the message is created in the Sent Items folder",
   * microsoftgraph/microsoft-graph-docs#6250).
   *
   * `opts` are for a send from a mail client rather than the API: classic Outlook desktop gives
   * the Sent Items copy a NEW internetMessageId (OfficeDev/office-js#2659 "on Outlook Desktop both
   * these ids change", #6066 "after the item is sent we don't get any results from querying Graph
   * with the internetMessageId of the draft"; #1244 the same on Mac). `dropExtendedProperties`:
   * no source says a client drops our extended property (#2659 points to custom properties as the
   * way that works); it is there to exercise the last fallback (conversation + recipient + time).
   */
  sendDraft(
    acc: Account,
    id: string,
    opts: { newInternetMessageId?: boolean; dropExtendedProperties?: boolean } = {},
  ): StoredMessage {
    const m = acc.messages.get(id);
    if (!m) throw notFound();
    if (!m.isDraft) throw badRequest('The message has already been sent.', 'ErrorInvalidOperation');
    if (!m.toRecipients.length && !m.ccRecipients.length && !m.bccRecipients.length) {
      throw badRequest(
        'At least one recipient is not valid., Recipient is missing.',
        'ErrorInvalidRecipients',
      );
    }
    acc.messages.delete(id);
    this.emitMessage(acc, m, 'deleted');
    const nowMs = this.now().getTime();
    const sent = this.newMessage(acc, 'sentitems', {
      ...m,
      id: newId('AAMkAGMsg'),
      folder: 'sentitems',
      isDraft: false,
      changeKey: newChangeKey(),
      sentMs: nowMs,
      receivedMs: nowMs,
      modifiedMs: nowMs,
      isRead: true,
      ...(opts.newInternetMessageId
        ? { internetMessageId: `<${randomBytes(12).toString('hex').toUpperCase()}@sandbox.prod.outlook.com>` }
        : {}),
      ...(opts.dropExtendedProperties ? { extendedProperties: [] } : {}),
    });
    // Deliver to recipients who are sandbox accounts too.
    for (const r of [...m.toRecipients, ...m.ccRecipients, ...m.bccRecipients]) {
      const other = this.store.account(r.address);
      if (!other) continue;
      this.newMessage(other, 'inbox', {
        ...m,
        id: newId('AAMkAGMsg'),
        folder: 'inbox',
        isDraft: false,
        bccRecipients: [],
        changeKey: newChangeKey(),
        sentMs: nowMs,
        receivedMs: nowMs,
        isRead: false,
        extendedProperties: [],
      });
    }
    return sent;
  }
}

/**
 * Graph's `iCalUId` of a meeting whose organizer is not on Exchange: the hex of its global object
 * id, which wraps the sender's iCalendar UID as a "vCal-Uid" (the ThirdPartyGlobalId import of
 * [MS-OXCICAL] 2.1.3.1.1.20.26,
 * https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcical/ac8c1e68-de58-4230-a2e2-79aae754a055;
 * the layout, byte by byte, in [MS-ASEMAIL] 4.3,
 * https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-asemail/e7424ddc-dd10-431e-a0b7-5c794863370e):
 * the class id, a zero instance date (the series), creation time and padding (zeros here), the
 * data size (UInt32 little-endian), then "vCal-Uid", 01 00 00 00, the UID and a NUL.
 */
export function thirdPartyICalUId(uid: string): string {
  const data = Buffer.concat([
    Buffer.from('vCal-Uid', 'ascii'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from(uid, 'utf8'),
    Buffer.from([0]),
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([
    Buffer.from('040000008200E00074C5B7101A82E008', 'hex'),
    Buffer.alloc(4 + 8 + 8),
    size,
    data,
  ])
    .toString('hex')
    .toUpperCase();
}
