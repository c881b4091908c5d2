// CalendarProvider on Microsoft Graph.
// Sync: one calendarView/delta round per calendar and window
// (https://learn.microsoft.com/en-us/graph/delta-query-events): the first round names the window,
// later rounds replay the stored @odata.deltaLink (our cursor). Pages of 50 via
// `Prefer: odata.maxpagesize`, times in UTC via `Prefer: outlook.timezone` (then mapped with the
// event's originalStartTimeZone). Events are never fetched one by one: only a series master, when
// an occurrence needs its recurrence pattern, once per series per sync.
import { DateTime } from 'luxon';
import type {
  AccountProfile,
  BusyInterval,
  CalendarInfo,
  CalendarProvider,
  CreatedEvent,
  NewEvent,
  SyncPage,
  SyncWindow,
  WatchChannel,
  WatchOptions,
} from '../provider.ts';
import { ProviderError } from '../provider.ts';
import type { Client } from '@microsoft/microsoft-graph-client';
import { isDuplicateTransactionId, isEditConflict } from './errors.ts';
import { weakEtag } from './mail.ts';
import { originOf, type GraphHandle } from './graph-client.ts';
import { COFFEE_CHAT_MARKER_ID, markerFilter } from './markers.ts';
import { ianaToWindows, windowsToIana } from './time-zones.ts';
import { deleteSubscription, subscribeToEvents } from './push.ts';
import { TX_PREFIX, addressesOf, toNeutralEvent, utcMillis } from './neutral-event.ts';
import { iCalUidOfGraph } from './ical-uid.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PAGE_SIZE = 50;
/** The one online meeting provider Graph makes links for on event create. */
const TEAMS = 'teamsForBusiness';
/** A runaway round (a server that never hands out a deltaLink) stops here. */
const MAX_PAGES = 2000;
/** Start a new round once the asked window reaches this far past the stored one. */
const WINDOW_ROLL_MS = 7 * 86_400_000;

/**
 * Our cursor: the deltaLink plus the window its round tracks. A bare deltaLink, or one stored
 * without its window start (older cursors), is read to its end and then replaced by a new round.
 */
interface Cursor {
  deltaLink: string;
  windowStart?: number;
  windowEnd?: number;
}

function parseCursor(cursor: string, graphOrigin: string): Cursor {
  const c = readCursor(cursor);
  // The cursor lives in the database; a deltaLink to another host would get the access token.
  if (originOf(c.deltaLink) !== graphOrigin) {
    throw new ProviderError(
      'microsoft',
      'cursor_expired',
      `Microsoft calendar delta: the stored deltaLink is not on ${graphOrigin} (MICROSOFT_GRAPH_BASE_URL); starting over`,
    );
  }
  return c;
}

function readCursor(cursor: string): Cursor {
  if (cursor.startsWith('{')) {
    try {
      const c = JSON.parse(cursor) as { deltaLink?: unknown; windowStart?: unknown; windowEnd?: unknown };
      if (typeof c.deltaLink === 'string')
        return {
          deltaLink: c.deltaLink,
          ...(typeof c.windowStart === 'number' ? { windowStart: c.windowStart } : {}),
          ...(typeof c.windowEnd === 'number' ? { windowEnd: c.windowEnd } : {}),
        };
    } catch {
      // fall through
    }
    throw new ProviderError(
      'microsoft',
      'cursor_expired',
      'Microsoft calendar delta: unreadable sync cursor',
    );
  }
  return { deltaLink: cursor };
}

/** One delta round read to its deltaLink: entries in page order (a later entry for an id wins). */
interface Round {
  changed: Map<string, Json>;
  removed: Set<string>;
  deltaLink: string;
  calls: number;
}

/** The fields of an occurrence that delta leaves out (it sends stubs) and the master holds. */
const MASTER_FIELDS =
  'id,type,recurrence,subject,body,attendees,organizer,onlineMeeting,location,' +
  'responseStatus,isCancelled,isAllDay,originalStartTimeZone,isOrganizer';
/** An exception (one occurrence changed on its own) differs from its master: read it itself. */
const EXCEPTION_FIELDS = `${MASTER_FIELDS},seriesMasterId,start,end,iCalUId,webLink,lastModifiedDateTime,transactionId`;

// UTC times, plain-text bodies (Graph converts HTML itself), pages of 50.
// https://learn.microsoft.com/en-us/graph/api/event-get#request-headers
const PREFER = `outlook.timezone="UTC", outlook.body-content-type="text", odata.maxpagesize=${PAGE_SIZE}`;
export class MicrosoftCalendar implements CalendarProvider {
  readonly provider = 'microsoft' as const;

  constructor(
    private graph: GraphHandle,
    private accountEmail: () => string,
  ) {}

  /** https://learn.microsoft.com/en-us/graph/api/user-get + user-get-mailboxsettings (Windows zone). */
  async getProfile(): Promise<AccountProfile> {
    const me = await this.graph.call('profile', (c) =>
      c.api('/me').select('displayName,mail,userPrincipalName,proxyAddresses').get(),
    );
    this.selfAddresses = Promise.resolve(addressesOf(me, this.accountEmail()));
    const settings = await this.graph.call('mailbox settings', (c) => c.api('/me/mailboxSettings').get());
    const email = String(me.mail ?? me.userPrincipalName ?? '').toLowerCase();
    return {
      email,
      ...(me.displayName ? { name: String(me.displayName) } : {}),
      // Unmappable (custom) mailbox zones fall back to UTC, visibly.
      timeZone: windowsToIana(settings.timeZone) ?? 'UTC',
    };
  }

  /**
   * https://learn.microsoft.com/en-us/graph/api/user-list-calendars. Graph has no `primary` alias:
   * the default calendar is the one with isDefaultCalendar. allowedOnlineMeetingProviders says
   * whether Teams meetings can be made here (https://learn.microsoft.com/en-us/graph/api/resources/calendar);
   * a personal account offers `skypeForConsumer` at most, which makes no link on event create
   * (https://github.com/elie222/inbox-zero/pull/3442).
   */
  async listCalendars(): Promise<CalendarInfo[]> {
    const out: CalendarInfo[] = [];
    let page: Json = await this.graph.call('calendars', (c) =>
      c
        .api('/me/calendars')
        .select(
          'id,name,isDefaultCalendar,canEdit,allowedOnlineMeetingProviders,defaultOnlineMeetingProvider',
        )
        .get(),
    );
    for (;;) {
      for (const cal of page.value ?? []) {
        const allowed: unknown = cal.allowedOnlineMeetingProviders;
        out.push({
          id: cal.id,
          name: cal.name,
          primary: cal.isDefaultCalendar === true,
          canWrite: cal.canEdit !== false,
          ...(Array.isArray(allowed) ? { onlineMeetings: allowed.includes(TEAMS) } : {}),
        });
      }
      const next = page['@odata.nextLink'];
      if (!next) return out;
      page = await this.graph.call('calendars', (c) => c.api(next).get());
    }
  }

  /**
   * The mailbox's own addresses: `mail`, `userPrincipalName` and every `proxyAddresses` entry
   * ("SMTP:primary@x", "smtp:alias@x"), https://learn.microsoft.com/en-us/graph/api/resources/user.
   * An invitation sent to an alias names the alias among the attendees. Read once per client, and
   * only when a sync has events to convert.
   */
  private selfAddresses: Promise<string[]> | null = null;
  private ownAddresses(): Promise<string[]> {
    this.selfAddresses ??= this.graph
      .call('profile', (c) => c.api('/me').select('mail,userPrincipalName,proxyAddresses').get())
      .then((me: Json) => addressesOf(me, this.accountEmail()))
      .catch((e: unknown) => {
        this.selfAddresses = null;
        throw e;
      });
    return this.selfAddresses;
  }

  /** Reads a delta round from its first request (or a stored deltaLink) to its deltaLink. */
  private async readRound(first: (c: Client) => Promise<Json>): Promise<Round> {
    const changed = new Map<string, Json>();
    const removed = new Set<string>();
    let page: Json = await this.graph.call('calendar delta', first);
    let calls = 1;
    for (let pages = 1; ; pages++) {
      for (const item of page.value ?? []) {
        const id = String(item.id);
        if (item['@removed']) {
          changed.delete(id);
          removed.add(id);
        } else {
          removed.delete(id);
          changed.set(id, item);
        }
      }
      const next: string | undefined = page['@odata.nextLink'];
      const delta: string | undefined = page['@odata.deltaLink'];
      if (delta) return { changed, removed, deltaLink: delta, calls };
      if (!next || pages >= MAX_PAGES) {
        throw new ProviderError(
          'microsoft',
          'transient',
          `Microsoft calendar delta: no deltaLink after ${pages} page(s)`,
        );
      }
      page = await this.graph.call('calendar delta', (c) => c.api(next).header('Prefer', PREFER).get());
      calls++;
    }
  }

  async syncCalendar(calendarId: string, cursor: string | null, window: SyncWindow): Promise<SyncPage> {
    // A delta round keeps the window of its first request, while the caller's window rolls forward
    // with time: once the stored window ends a week before the asked one, start a new round (a
    // full sync of the new window) so events far ahead are not missed. The old round is read to
    // its end first: a new round's pages list only what exists now, never what was deleted
    // (https://learn.microsoft.com/en-us/graph/delta-query-events), so its deletions would be lost.
    const stored = cursor ? parseCursor(cursor, this.graph.origin) : null;
    const storedWindow =
      stored?.windowStart !== undefined && stored.windowEnd !== undefined
        ? { from: new Date(stored.windowStart), to: new Date(stored.windowEnd) }
        : null;
    const full = !storedWindow || window.to.getTime() - storedWindow.to.getTime() > WINDOW_ROLL_MS;
    let calls = 0;
    let changed = new Map<string, Json>();
    let removed = new Set<string>();
    let deltaLink = '';
    let tracked: SyncWindow = storedWindow ?? window;
    if (stored) {
      const link = stored.deltaLink;
      const old = await this.readRound((c) => c.api(link).header('Prefer', PREFER).get());
      ({ changed, removed, deltaLink } = old);
      calls += old.calls;
    }
    if (full) {
      const round = await this.readRound((c) =>
        c
          .api(`/me/calendars/${calendarId}/calendarView/delta`)
          .query({ startDateTime: window.from.toISOString(), endDateTime: window.to.toISOString() })
          .header('Prefer', PREFER)
          .get(),
      );
      calls += round.calls;
      // The new round is the later truth. What the old one reported inside the new window must
      // have come back in it; outside, the old round's word stands.
      const inNew = (ev: Json) => {
        const start = utcMillis(ev.start);
        return start !== null && start >= window.from.getTime() && start < window.to.getTime();
      };
      for (const [id, ev] of changed) if (!round.changed.has(id) && inNew(ev)) changed.delete(id);
      for (const [id, ev] of round.changed) {
        removed.delete(id);
        changed.set(id, ev);
      }
      deltaLink = round.deltaLink;
      tracked = storedWindow
        ? {
            from: new Date(Math.min(storedWindow.from.getTime(), window.from.getTime())),
            to: new Date(Math.max(storedWindow.to.getTime(), window.to.getTime())),
          }
        : window;
    }
    const events = [...changed.values()];
    const fetched = await this.completeOccurrences(events);
    calls += fetched.calls;
    if (events.length && !this.selfAddresses) calls++;
    const self = events.length ? await this.ownAddresses() : [];
    const page: SyncPage = {
      changed: fetched.events.map(({ ev, master }) => toNeutralEvent(ev, calendarId, master, self)),
      removed: [...removed],
      cursor: JSON.stringify({
        deltaLink,
        windowStart: (full ? window : storedWindow!).from.getTime(),
        windowEnd: (full ? window : storedWindow!).to.getTime(),
      }),
      full,
      // Removals count only for events stored inside the windows these rounds tracked.
      window: tracked,
      ...(full ? { fullWindow: window } : {}),
      calls,
    };
    return page;
  }

  /**
   * Occurrences come from delta as stubs (id, type, seriesMasterId, start, end:
   * microsoft-graph-docs#7632, #22197). A plain occurrence is its master at another time, so one
   * GET of the master per series and sync gives its subject, attendees, responseStatus,
   * isCancelled, isAllDay and zone. An exception (one occurrence changed, declined or cancelled on
   * its own) differs from its master: each one delta reports without its own fields is read once
   * (GET /me/events/{id}); there are few (usually 0 or 1 per incremental sync), fewer calls than
   * listing the series' instances.
   */
  private async completeOccurrences(
    events: Json[],
  ): Promise<{ events: { ev: Json; master: Json | null }[]; calls: number }> {
    let calls = 0;
    const get = async (id: string, select: string): Promise<Json | null> => {
      try {
        return await this.graph.call('series master', (c) =>
          c.api(`/me/events/${id}`).select(select).header('Prefer', PREFER).get(),
        );
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found') return null;
        throw e;
      } finally {
        calls++;
      }
    };
    const masters = new Map<string, Json | null>();
    const out: { ev: Json; master: Json | null }[] = [];
    for (let ev of events) {
      const mid: string | undefined = ev.seriesMasterId ?? undefined;
      if (!mid) {
        out.push({ ev, master: null });
        continue;
      }
      if (!masters.has(mid)) masters.set(mid, await get(mid, MASTER_FIELDS));
      if (ev.type === 'exception' && ev.responseStatus === undefined) {
        const own = await get(String(ev.id), EXCEPTION_FIELDS);
        if (own) ev = { ...own, ...ev };
      }
      out.push({ ev, master: masters.get(mid) ?? null });
    }
    return { events: out, calls };
  }

  private body(event: NewEvent): Json {
    // Write local times in a Windows zone Graph knows; fall back to UTC when CLDR has none.
    const win = ianaToWindows(event.timeZone);
    const zone = win ? event.timeZone : 'UTC';
    const local = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    return {
      subject: event.title,
      body: { contentType: 'text', content: event.description },
      start: { dateTime: local(event.start), timeZone: win ?? 'UTC' },
      end: { dateTime: local(event.end), timeZone: win ?? 'UTC' },
      showAs: event.showAs ?? 'busy',
      attendees: (event.attendees ?? []).map((p) => ({
        type: 'required',
        emailAddress: { address: p.email, ...(p.name ? { name: p.name } : {}) },
      })),
      ...(event.withConference ? { isOnlineMeeting: true, onlineMeetingProvider: TEAMS } : {}),
      singleValueExtendedProperties: [{ id: COFFEE_CHAT_MARKER_ID, value: event.marker }],
    };
  }

  private created(ev: Json): CreatedEvent {
    return {
      providerEventId: String(ev.id),
      ...(ev.changeKey ? { version: String(ev.changeKey) } : {}),
      ...(ev.iCalUId ? { iCalUid: iCalUidOfGraph(String(ev.iCalUId)) } : {}),
      ...(ev.onlineMeeting?.joinUrl ? { conferenceUrl: String(ev.onlineMeeting.joinUrl) } : {}),
      ...(ev.webLink ? { webLink: String(ev.webLink) } : {}),
    };
  }

  /**
   * https://learn.microsoft.com/en-us/graph/api/calendar-post-events, with transactionId
   * `coffee-chat:{marker}`. Graph answers a reused transactionId with ErrorDuplicateTransactionId
   * (400 or 409), never with the first event: the marker lookup finds it. When nothing carries the
   * marker any more (the event was deleted), the id stays used: a final bad_request, and a
   * re-created event needs a new marker (the worker's entries carry a generation for that).
   * An ambiguous failure (timeout, 5xx: it may have been carried out) also looks before failing.
   */
  async createEvent(calendarId: string, event: NewEvent): Promise<CreatedEvent> {
    const transactionId = `${TX_PREFIX}${event.marker}`;
    const body = { ...this.body(event), transactionId };
    try {
      const ev = await this.graph.call('create event', (c) =>
        c.api(`/me/calendars/${calendarId}/events`).post(body),
      );
      return this.created(ev);
    } catch (e) {
      if (isDuplicateTransactionId(e)) {
        const found = await this.findEventByMarker(calendarId, event.marker);
        if (found) return found;
        throw new ProviderError(
          'microsoft',
          'bad_request',
          `Microsoft create event: ErrorDuplicateTransactionId: ${transactionId} was used by an event that is gone; a re-created event needs a new marker`,
          { cause: e, ...(e instanceof ProviderError && e.status ? { status: e.status } : {}) },
        );
      }
      if (e instanceof ProviderError && e.kind === 'transient') {
        const found = await this.findEventByMarker(calendarId, event.marker).catch(() => null);
        if (found) return found;
      }
      throw e;
    }
  }

  /** https://learn.microsoft.com/en-us/graph/api/event-update */
  async updateEvent(_calendarId: string, providerEventId: string, event: NewEvent): Promise<CreatedEvent> {
    const ev = await this.graph.call('update event', (c) =>
      c.api(`/me/events/${providerEventId}`).patch(this.body(event)),
    );
    return this.created(ev);
  }

  /**
   * PATCH with `If-Match: W/"<changeKey>"` (the event's @odata.etag), as drafts are updated
   * (mail.ts): a stale one is refused with 412, or 409 ErrorIrresolvableConflict on some tenants
   * (errors.ts isEditConflict). Graph sends no updates for an event without attendees.
   */
  async updateEventIfUnchanged(
    _calendarId: string,
    providerEventId: string,
    version: string,
    event: NewEvent,
  ): Promise<CreatedEvent | null> {
    try {
      const ev = await this.graph.call('update event if unchanged', (c) =>
        c.api(`/me/events/${providerEventId}`).header('If-Match', weakEtag(version)).patch(this.body(event)),
      );
      return this.created(ev);
    } catch (e) {
      if (isEditConflict(e) || (e instanceof ProviderError && e.kind === 'not_found')) return null;
      throw e;
    }
  }

  /**
   * https://learn.microsoft.com/en-us/graph/api/event-delete documents no conditional delete, so
   * the changeKey is read first (one GET) and the event deleted only while it is the one we wrote;
   * a user edit in between those two calls is the one case this cannot see.
   */
  async deleteEventIfUnchanged(
    calendarId: string,
    providerEventId: string,
    version: string,
  ): Promise<'deleted' | 'changed'> {
    let current: Json;
    try {
      current = await this.graph.call('read event', (c) =>
        c.api(`/me/events/${providerEventId}`).select('id,changeKey').get(),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return 'deleted';
      throw e;
    }
    if (current.changeKey && String(current.changeKey) !== version) return 'changed';
    await this.deleteEvent(calendarId, providerEventId);
    return 'deleted';
  }

  async deleteEvent(_calendarId: string, providerEventId: string): Promise<void> {
    try {
      await this.graph.call('delete event', (c) => c.api(`/me/events/${providerEventId}`).delete());
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return;
      throw e;
    }
  }

  /** Push: a Graph subscription on this calendar's events (see push.ts). */
  watchCalendar(calendarId: string, opts: WatchOptions): Promise<WatchChannel> {
    return subscribeToEvents(this.graph, calendarId, opts);
  }

  stopWatch(channel: { channelId: string; resourceId: string }): Promise<void> {
    return deleteSubscription(this.graph, channel);
  }

  /** $filter on our extended property (https://learn.microsoft.com/en-us/graph/api/singlevaluelegacyextendedproperty-get). */
  async findEventByMarker(calendarId: string, marker: string): Promise<CreatedEvent | null> {
    const res: Json = await this.graph.call('find event', (c) =>
      c
        .api(`/me/calendars/${calendarId}/events`)
        .filter(encodeURIComponent(markerFilter(marker)))
        .select('id,iCalUId,webLink,onlineMeeting,changeKey,isOrganizer')
        .top(5)
        .get(),
    );
    // Only an event the mailbox organizes is ours: a copy of someone else's meeting carrying the
    // property is not (isOrganizer: "true if the calendar owner ... is the organizer of the event",
    // https://learn.microsoft.com/en-us/graph/api/resources/event).
    const ev = (res.value ?? []).find((e: Json) => e.isOrganizer === true);
    return ev ? this.created(ev) : null;
  }

  /**
   * getSchedule for the signed-in user (https://learn.microsoft.com/en-us/graph/api/calendar-getschedule),
   * times in UTC through `Prefer: outlook.timezone` (UTC is also the documented default). Items
   * marked free (or unknown) leave the time free; a schedule with an `error` (freeBusyError) must
   * not read as "free all week". Personal accounts are "Not supported" there (permissions table):
   * a refused getSchedule falls back to reading the default calendar's view.
   */
  async freeBusy(window: SyncWindow): Promise<BusyInterval[]> {
    const when = (d: Date) => ({ dateTime: d.toISOString().replace(/Z$/, ''), timeZone: 'UTC' });
    let res: Json;
    try {
      res = await this.graph.call('schedule', (c) =>
        c
          .api('/me/calendar/getSchedule')
          .header('Prefer', 'outlook.timezone="UTC"')
          .post({
            schedules: [this.accountEmail()],
            startTime: when(window.from),
            endTime: when(window.to),
            availabilityViewInterval: 15,
          }),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'bad_request' && e.status === 403)
        return this.busyFromView(window);
      throw e;
    }
    const info: Json | undefined = res.value?.[0];
    if (!info || info.error) {
      const why = info?.error
        ? `${info.error.responseCode ?? ''} ${info.error.message ?? ''}`.trim()
        : 'no answer';
      throw new ProviderError('microsoft', 'bad_request', `Microsoft free/busy: ${why}`);
    }
    return busyOf(
      ((info.scheduleItems ?? []) as Json[]).map((it) => ({
        status: it.status,
        start: it.start,
        end: it.end,
      })),
      window,
    );
  }

  /** The same answer from calendarView (https://learn.microsoft.com/en-us/graph/api/user-list-calendarview): showAs per event. */
  private async busyFromView(window: SyncWindow): Promise<BusyInterval[]> {
    const items: Json[] = [];
    let page: Json = await this.graph.call('calendar view', (c) =>
      c
        .api('/me/calendarView')
        .query({ startDateTime: window.from.toISOString(), endDateTime: window.to.toISOString() })
        .select('showAs,start,end,isCancelled,responseStatus')
        .header('Prefer', PREFER)
        .get(),
    );
    for (let pages = 1; ; pages++) {
      for (const ev of page.value ?? []) {
        const response = String(ev.responseStatus?.response ?? '');
        if (ev.isCancelled || response === 'declined') continue;
        const tentative = response === 'tentativelyAccepted' || response === 'notResponded';
        items.push({
          status: tentative && ev.showAs === 'busy' ? 'tentative' : ev.showAs,
          start: ev.start,
          end: ev.end,
        });
      }
      const next: string | undefined = page['@odata.nextLink'];
      if (!next || pages >= MAX_PAGES) break;
      page = await this.graph.call('calendar view', (c) => c.api(next).header('Prefer', PREFER).get());
    }
    return busyOf(items, window);
  }
}

const NOT_FREE = new Set(['busy', 'tentative', 'oof', 'workingElsewhere']);

/** scheduleItem statuses (any case: the concept page writes "Busy") to intervals inside the window. */
function busyOf(items: Json[], window: SyncWindow): BusyInterval[] {
  const out: BusyInterval[] = [];
  for (const it of items) {
    const raw = String(it.status ?? '');
    const status = [...NOT_FREE].find((s) => s.toLowerCase() === raw.toLowerCase());
    const s = utcMillis(it.start);
    const e = utcMillis(it.end);
    if (!status || s === null || e === null) continue;
    const start = Math.max(s, window.from.getTime());
    const end = Math.min(e, window.to.getTime());
    if (end > start)
      out.push({ start: new Date(start), end: new Date(end), status: status as BusyInterval['status'] });
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}
