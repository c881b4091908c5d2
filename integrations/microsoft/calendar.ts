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
import { isDuplicateTransactionId } from './errors.ts';
import type { GraphHandle } from './graph-client.ts';
import { COFFEE_CHAT_MARKER_ID, markerFilter } from './markers.ts';
import { ianaToWindows, windowsToIana } from './time-zones.ts';
import { deleteSubscription, subscribeToEvents } from './push.ts';
import { TX_PREFIX, toNeutralEvent } from './neutral-event.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PAGE_SIZE = 50;
/** The one online meeting provider Graph makes links for on event create. */
const TEAMS = 'teamsForBusiness';
/** A runaway round (a server that never hands out a deltaLink) stops here. */
const MAX_PAGES = 2000;
/** Start a new round once the asked window reaches this far past the stored one. */
const WINDOW_ROLL_MS = 7 * 86_400_000;

/** Our cursor: the deltaLink plus the end of the window it tracks. A bare deltaLink is accepted too. */
function parseCursor(cursor: string): { deltaLink: string; windowEnd?: number } {
  if (cursor.startsWith('{')) {
    try {
      const c = JSON.parse(cursor) as { deltaLink?: unknown; windowEnd?: unknown };
      if (typeof c.deltaLink === 'string')
        return {
          deltaLink: c.deltaLink,
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
      c.api('/me').select('displayName,mail,userPrincipalName').get(),
    );
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

  async syncCalendar(calendarId: string, cursor: string | null, window: SyncWindow): Promise<SyncPage> {
    // A delta token keeps the window of its first request, while the caller's window rolls forward
    // with time: once the stored window ends a week before the asked one, start a new round (a
    // full sync of the new window) so events far ahead are not missed.
    const stored = cursor ? parseCursor(cursor) : null;
    const rolled = stored?.windowEnd !== undefined && window.to.getTime() - stored.windowEnd > WINDOW_ROLL_MS;
    const full = !stored || rolled;
    const windowEnd = full ? window.to.getTime() : stored!.windowEnd;
    let calls = 0;
    // In page order: a later entry for the same id wins (changed, then removed, or the reverse).
    const changedById = new Map<string, Json>();
    const removed = new Set<string>();
    let deltaLink: string;
    let page: Json;
    if (full) {
      page = await this.graph.call('calendar delta', (c) =>
        c
          .api(`/me/calendars/${calendarId}/calendarView/delta`)
          .query({ startDateTime: window.from.toISOString(), endDateTime: window.to.toISOString() })
          .header('Prefer', PREFER)
          .get(),
      );
    } else {
      const link = stored!.deltaLink;
      page = await this.graph.call('calendar delta', (c) => c.api(link).header('Prefer', PREFER).get());
    }
    calls++;
    for (let pages = 1; ; pages++) {
      for (const item of page.value ?? []) {
        const id = String(item.id);
        if (item['@removed']) {
          changedById.delete(id);
          removed.add(id);
        } else {
          removed.delete(id);
          changedById.set(id, item);
        }
      }
      const next: string | undefined = page['@odata.nextLink'];
      const delta: string | undefined = page['@odata.deltaLink'];
      if (delta) {
        deltaLink = delta;
        break;
      }
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
    const changed = [...changedById.values()];

    // Series masters, once per series and only for occurrences (their recurrence is on the master).
    const masters = new Map<string, Json | null>();
    for (const ev of changed) {
      const mid = ev.seriesMasterId;
      if (!mid || masters.has(mid) || ev.recurrence) continue;
      try {
        masters.set(
          mid,
          await this.graph.call('series master', (c) =>
            c
              .api(`/me/events/${mid}`)
              .select('id,recurrence,subject,body,attendees,organizer,onlineMeeting,location')
              .header('Prefer', PREFER)
              .get(),
          ),
        );
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found') masters.set(mid, null);
        else throw e;
      } finally {
        calls++;
      }
    }

    const events = changed.map((ev) =>
      toNeutralEvent(
        ev,
        calendarId,
        ev.seriesMasterId ? (masters.get(ev.seriesMasterId) ?? null) : null,
        this.accountEmail(),
      ),
    );
    return {
      changed: events,
      removed: [...removed],
      cursor: JSON.stringify({ deltaLink, windowEnd }),
      full,
      calls,
    };
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
      ...(ev.iCalUId ? { iCalUid: String(ev.iCalUId) } : {}),
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
        .select('id,iCalUId,webLink,onlineMeeting')
        .top(1)
        .get(),
    );
    const ev = res.value?.[0];
    return ev ? this.created(ev) : null;
  }
}
