// CalendarProvider over Google Calendar v3.
// Sync: full sync of the window (singleEvents=true, showDeleted, maxResults 250, paging), then
// syncToken increments; a 410 becomes ProviderError 'cursor_expired' and the core resyncs.
// https://developers.google.com/calendar/api/guides/sync
import { createHash } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import type {
  AccountProfile,
  BusyInterval,
  CalendarInfo,
  CalendarProvider,
  CreatedEvent,
  NewEvent,
  NeutralEvent,
  SyncPage,
  SyncWindow,
  WatchChannel,
  WatchOptions,
} from '../provider.ts';
import { MARKER_KEY, ProviderError } from '../provider.ts';
import { isDuplicateId, isPreconditionFailed } from './errors.ts';
import { conferenceUrl, rruleFrequency, toNeutralEvent } from './neutral-event.ts';
import { stopChannel, watchEvents } from './push.ts';
import type { GoogleSession } from './session.ts';

/** Sync the window in full again once the asked window ends this far past the last full sync's. */
const WINDOW_ROLL_MS = 7 * 86_400_000;

/** Our cursor: Google's sync token plus the end of the window of the full sync it came from. */
function parseCursor(cursor: string): { syncToken: string; windowEnd?: number } {
  if (cursor.startsWith('{')) {
    try {
      const c = JSON.parse(cursor) as { syncToken?: unknown; windowEnd?: unknown };
      if (typeof c.syncToken === 'string')
        return {
          syncToken: c.syncToken,
          ...(typeof c.windowEnd === 'number' ? { windowEnd: c.windowEnd } : {}),
        };
    } catch {
      // fall through
    }
    throw new ProviderError('google', 'cursor_expired', 'Google calendar sync: unreadable sync cursor');
  }
  return { syncToken: cursor };
}

/**
 * The event id we ask Google for, from the marker: hex digits are base32hex too, and the prefix
 * keeps it apart from the ids Google makes up.
 */
export function eventIdFor(marker: string): string {
  return `cc${createHash('sha256').update(marker).digest('hex')}`;
}

/** Name of the private extended property holding our idempotency marker. */
export const MARKER_PROPERTY = MARKER_KEY;
const PAGE_SIZE = 250;

export class GoogleCalendarProvider implements CalendarProvider {
  readonly provider = 'google' as const;
  constructor(
    private readonly s: GoogleSession,
    private readonly email: string,
  ) {}

  async getProfile(): Promise<AccountProfile> {
    // https://developers.google.com/calendar/api/v3/reference/settings/get ; gmail users.getProfile
    const [tz, profile] = await Promise.all([
      this.s.call(() => this.s.calendar.settings.get({ setting: 'timezone' })),
      this.s.call(() => this.s.gmail.users.getProfile({ userId: 'me' })),
    ]);
    return { email: (profile.emailAddress ?? this.email).toLowerCase(), timeZone: tz.value ?? 'UTC' };
  }

  async listCalendars(): Promise<CalendarInfo[]> {
    // https://developers.google.com/calendar/api/v3/reference/calendarList/list
    const out: CalendarInfo[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.s.call(() => this.s.calendar.calendarList.list({ pageToken, maxResults: 250 }));
      for (const c of page.items ?? []) {
        if (!c.id || c.deleted) continue;
        out.push({
          id: c.id,
          name: c.summaryOverride ?? c.summary ?? c.id,
          primary: !!c.primary,
          ...(c.timeZone ? { timeZone: c.timeZone } : {}),
          canWrite: c.accessRole === 'owner' || c.accessRole === 'writer',
        });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  async syncCalendar(calendarId: string, cursor: string | null, window: SyncWindow): Promise<SyncPage> {
    // Incremental sync only reports events modified since the token ("Incremental sync lets you
    // retrieve all the resources that have been modified since the last sync request",
    // https://developers.google.com/calendar/api/guides/sync), and the token comes from a full
    // sync bounded by timeMax. An event that already lay beyond the window then, and does not
    // change, is never reported as the window rolls forward. So once the asked window ends a week
    // past the one of the last full sync, sync the window in full again (one full sync per
    // calendar and week), and let the caller reconcile it. A cursor without its window (older
    // ones were the bare token) counts as rolled.
    const stored = cursor ? parseCursor(cursor) : null;
    const rolled =
      !stored || stored.windowEnd === undefined || window.to.getTime() - stored.windowEnd > WINDOW_ROLL_MS;
    const token = rolled ? null : stored!.syncToken;
    const windowEnd = rolled ? window.to.getTime() : stored!.windowEnd!;
    const page = await this.syncRound(calendarId, token, window);
    return {
      ...page,
      cursor: JSON.stringify({ syncToken: page.cursor, windowEnd }),
      ...(token === null ? { fullWindow: window } : {}),
    };
  }

  private async syncRound(calendarId: string, cursor: string | null, window: SyncWindow): Promise<SyncPage> {
    const { result, calls } = await this.s.counted(async () => {
      const changed: NeutralEvent[] = [];
      const removed: string[] = [];
      // series masters fetched in this sync (an instance lacks the RRULE): one GET per series
      const seriesFreq = new Map<string, string | undefined>();
      let pageToken: string | undefined;
      let nextSyncToken: string | undefined;
      do {
        const params: calendar_v3.Params$Resource$Events$List = cursor
          ? // syncToken must not be combined with timeMin/timeMax/q/orderBy/updatedMin (400):
            // https://developers.google.com/calendar/api/v3/reference/events/list#syncToken
            { calendarId, syncToken: cursor, pageToken, singleEvents: true, maxResults: PAGE_SIZE }
          : {
              calendarId,
              pageToken,
              singleEvents: true,
              showDeleted: true,
              maxResults: PAGE_SIZE,
              timeMin: window.from.toISOString(),
              timeMax: window.to.toISOString(),
            };
        const page = await this.s.call(() => this.s.calendar.events.list(params));
        for (const ev of page.items ?? []) {
          if (!ev.id) continue;
          if (ev.status === 'cancelled') {
            removed.push(ev.id);
            continue;
          }
          let freq: string | undefined;
          if (ev.recurringEventId) {
            if (!seriesFreq.has(ev.recurringEventId))
              seriesFreq.set(
                ev.recurringEventId,
                await this.seriesFrequency(calendarId, ev.recurringEventId),
              );
            freq = seriesFreq.get(ev.recurringEventId);
          }
          changed.push(toNeutralEvent(ev, calendarId, freq));
        }
        pageToken = page.nextPageToken ?? undefined;
        nextSyncToken = page.nextSyncToken ?? undefined;
      } while (pageToken);
      if (!nextSyncToken)
        throw new ProviderError('google', 'transient', 'events.list ended without nextSyncToken');
      return { changed, removed, cursor: nextSyncToken, full: cursor === null };
    });
    return { ...result, calls };
  }

  private async seriesFrequency(calendarId: string, seriesId: string): Promise<string | undefined> {
    try {
      const master = await this.s.call(() => this.s.calendar.events.get({ calendarId, eventId: seriesId }));
      return rruleFrequency(master.recurrence);
    } catch (e) {
      // A series whose master cannot be read (gone, or refused as a bad request: a calendar shared
      // without details) has an unknown frequency: the occurrence is taken in without it rather
      // than failing the whole page every round. An outage, throttling or a revoked grant still
      // fails the page (it is retried; the cursor has not moved).
      if (e instanceof ProviderError && (e.kind === 'not_found' || e.kind === 'bad_request'))
        return undefined;
      throw e;
    }
  }

  private body(event: NewEvent): calendar_v3.Schema$Event {
    const body: calendar_v3.Schema$Event = {
      summary: event.title,
      description: event.description,
      start: { dateTime: event.start.toISOString(), timeZone: event.timeZone },
      end: { dateTime: event.end.toISOString(), timeZone: event.timeZone },
      attendees: (event.attendees ?? []).map((a) => ({
        email: a.email,
        ...(a.name ? { displayName: a.name } : {}),
      })),
      // transparency: "transparent" = does not block time (free)
      transparency: event.showAs === 'free' ? 'transparent' : 'opaque',
      extendedProperties: { private: { [MARKER_PROPERTY]: event.marker } },
    };
    if (event.withConference) {
      // https://developers.google.com/calendar/api/guides/create-events#conferencing (needs conferenceDataVersion=1)
      const requestId = createHash('sha256').update(event.marker).digest('hex').slice(0, 32);
      body.conferenceData = { createRequest: { requestId, conferenceSolutionKey: { type: 'hangoutsMeet' } } };
    }
    return body;
  }

  private created(ev: calendar_v3.Schema$Event): CreatedEvent {
    const url = conferenceUrl(ev);
    return {
      providerEventId: ev.id ?? '',
      ...(ev.etag ? { version: ev.etag } : {}),
      ...(ev.iCalUID ? { iCalUid: ev.iCalUID } : {}),
      ...(url ? { conferenceUrl: url } : {}),
      ...(ev.htmlLink ? { webLink: ev.htmlLink } : {}),
    };
  }

  /**
   * https://developers.google.com/calendar/api/v3/reference/events/insert, with an event id derived
   * from the marker. Google lets the client choose the id ("characters allowed in the ID are those
   * used in base32hex encoding, i.e. lowercase letters a-v and digits 0-9 ... the length of the ID
   * must be between 5 and 1024 characters ... must be unique per calendar",
   * https://developers.google.com/calendar/api/v3/reference/events#id) and answers a reused one with
   * 409 (https://developers.google.com/calendar/api/guides/errors#409_the_requested_identifier_already_exists):
   * a retried create, whoever retried it, gets the first event back instead of making a second.
   * A deleted event keeps its id: a re-created event needs a new marker (entries carry a
   * generation for that).
   */
  async createEvent(calendarId: string, event: NewEvent): Promise<CreatedEvent> {
    const id = eventIdFor(event.marker);
    try {
      const ev = await this.s.call(() =>
        this.s.calendar.events.insert({
          calendarId,
          conferenceDataVersion: event.withConference ? 1 : 0,
          // invitations go out only when the event has guests; a prep block has none
          sendUpdates: event.attendees?.length ? 'all' : 'none',
          requestBody: { ...this.body(event), id },
        }),
      );
      return this.created(ev);
    } catch (e) {
      if (!isDuplicateId(e)) throw e;
      const ev = await this.s.call(() => this.s.calendar.events.get({ calendarId, eventId: id }));
      if (ev.status !== 'cancelled') return this.created(ev);
      throw new ProviderError(
        'google',
        'bad_request',
        `Google create event: the id ${id} (marker ${event.marker}) belongs to an event that was deleted; a re-created event needs a new marker`,
        { cause: e, status: 409 },
      );
    }
  }

  async updateEvent(calendarId: string, providerEventId: string, event: NewEvent): Promise<CreatedEvent> {
    // https://developers.google.com/calendar/api/v3/reference/events/patch
    const ev = await this.s.call(() =>
      this.s.calendar.events.patch({
        calendarId,
        eventId: providerEventId,
        conferenceDataVersion: event.withConference ? 1 : 0,
        sendUpdates: event.attendees?.length ? 'all' : 'none',
        requestBody: this.body(event),
      }),
    );
    return this.created(ev);
  }

  /**
   * events.patch with `If-Match: <etag>`: "If the resource has been modified since [...] the
   * server returns 412 Precondition Failed"
   * (https://developers.google.com/calendar/api/guides/version-resources#conditional_modification).
   * sendUpdates none: a block of ours never notifies anyone.
   */
  async updateEventIfUnchanged(
    calendarId: string,
    providerEventId: string,
    version: string,
    event: NewEvent,
  ): Promise<CreatedEvent | null> {
    try {
      const ev = await this.s.call(() =>
        this.s.calendar.events.patch(
          { calendarId, eventId: providerEventId, sendUpdates: 'none', requestBody: this.body(event) },
          { headers: { 'If-Match': version } },
        ),
      );
      return ev.status === 'cancelled' ? null : this.created(ev);
    } catch (e) {
      if (isPreconditionFailed(e) || (e instanceof ProviderError && e.kind === 'not_found')) return null;
      throw e;
    }
  }

  /** events.delete with `If-Match` (as above) and sendUpdates none. */
  async deleteEventIfUnchanged(
    calendarId: string,
    providerEventId: string,
    version: string,
  ): Promise<'deleted' | 'changed'> {
    try {
      await this.s.call(
        () =>
          this.s.calendar.events.delete(
            { calendarId, eventId: providerEventId, sendUpdates: 'none' },
            { headers: { 'If-Match': version } },
          ),
        { deleting: true },
      );
      return 'deleted';
    } catch (e) {
      if (isPreconditionFailed(e)) return 'changed';
      if (e instanceof ProviderError && e.kind === 'not_found') return 'deleted';
      throw e;
    }
  }

  async deleteEvent(calendarId: string, providerEventId: string): Promise<void> {
    try {
      await this.s.call(
        () => this.s.calendar.events.delete({ calendarId, eventId: providerEventId, sendUpdates: 'all' }),
        { deleting: true },
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found') return; // already gone (404 / 410 deleted)
      throw e;
    }
  }

  /** Push channel on this calendar's events (see push.ts). */
  watchCalendar(calendarId: string, opts: WatchOptions): Promise<WatchChannel> {
    return watchEvents(this.s, calendarId, opts);
  }

  stopWatch(channel: { channelId: string; resourceId: string }): Promise<void> {
    return stopChannel(this.s, channel);
  }

  async findEventByMarker(calendarId: string, marker: string): Promise<CreatedEvent | null> {
    // privateExtendedProperty=key=value filter: https://developers.google.com/calendar/api/guides/extended-properties
    const page = await this.s.call(() =>
      this.s.calendar.events.list({
        calendarId,
        privateExtendedProperty: [`${MARKER_PROPERTY}=${marker}`],
        maxResults: 5,
      }),
    );
    // Only an event this calendar organizes is ours: a copy of someone else's invite carrying the
    // marker is not (organizer.self: "whether the organizer corresponds to the calendar on which
    // this copy of the event appears", https://developers.google.com/calendar/api/v3/reference/events#resource).
    const ev = (page.items ?? []).find((e) => e.status !== 'cancelled' && e.organizer?.self === true);
    return ev ? this.created(ev) : null;
  }

  /**
   * freebusy.query on the primary calendar
   * (https://developers.google.com/calendar/api/v3/reference/freebusy/query): busy periods come
   * merged and in UTC; Google tells no tentative apart. A calendar it could not read comes back
   * with `errors` inside a 200, which must not read as "free all week".
   */
  async freeBusy(window: SyncWindow): Promise<BusyInterval[]> {
    const res = await this.s.call(() =>
      this.s.calendar.freebusy.query({
        requestBody: {
          timeMin: window.from.toISOString(),
          timeMax: window.to.toISOString(),
          timeZone: 'UTC',
          items: [{ id: 'primary' }],
        },
      }),
    );
    const cal = res.calendars?.primary;
    const errors = cal?.errors ?? [];
    if (!cal || errors.length) {
      const reason = errors.map((e) => e.reason).join(', ') || 'no answer for the calendar';
      throw new ProviderError(
        'google',
        reason.includes('internalError') ? 'transient' : 'bad_request',
        `Google free/busy: ${reason}`,
      );
    }
    return (cal.busy ?? [])
      .map((b) => ({ start: new Date(b.start ?? ''), end: new Date(b.end ?? ''), status: 'busy' as const }))
      .filter((b) => !Number.isNaN(b.start.getTime()) && b.end > b.start)
      .sort((a, b) => a.start.getTime() - b.start.getTime());
  }
}
