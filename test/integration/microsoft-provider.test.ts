// The Microsoft provider (calendar + mailbox) against the sandbox, through the real Graph SDK.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import {
  connectWithLoopback,
  createMicrosoftClients,
  validateMicrosoftRefreshToken,
  type GraphClientOptions,
} from '../../integrations/microsoft/index.ts';
import { COFFEE_CHAT_MARKER_ID } from '../../integrations/microsoft/markers.ts';
import type { ProviderEndpoints, SyncWindow } from '../../integrations/provider.ts';
import { sandboxEndpoints, rejection } from '../helpers/sandbox-endpoints.ts';

const EMAIL = 'ada@contoso.example';
const WINDOW: SyncWindow = { from: new Date('2029-12-01T00:00:00Z'), to: new Date('2030-06-01T00:00:00Z') };
const at = (day: number, hour = 9) => new Date(Date.UTC(2030, 0, 1 + day, hour)).toISOString();

describe('microsoft provider on the sandbox', () => {
  let sandbox: Sandbox;
  let endpoints: ProviderEndpoints;
  let refreshToken: string;
  let calendarId: string;
  let calls: string[];
  let rotated: string[];

  beforeEach(async () => {
    sandbox = await startSandbox();
    const seeded = sandbox.microsoft.seedAccount({
      email: EMAIL,
      name: 'Ada Lovelace',
      windowsTimeZone: 'Tokyo Standard Time',
    });
    refreshToken = seeded.refreshToken;
    calendarId = seeded.defaultCalendarId;
    endpoints = sandboxEndpoints(sandbox);
    calls = [];
    rotated = [];
  });
  afterEach(async () => {
    await sandbox.close();
  });

  function clients(opts: GraphClientOptions = {}, token = refreshToken) {
    return createMicrosoftClients(
      {
        provider: 'microsoft',
        email: EMAIL,
        refreshToken: token,
        onRefreshTokenRotated: async (t) => {
          rotated.push(t);
        },
        onCall: (e) => calls.push(e),
      },
      endpoints,
      opts,
    );
  }
  const graphCalls = () => calls.filter((c) => !c.includes('oauth2'));

  function seed(n: number, calId = calendarId) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const ev = sandbox.microsoft.addEvent(EMAIL, {
        calendarId: calId,
        subject: `Coffee chat ${i}`,
        start: at(i % 150),
        end: at(i % 150, 10),
        timeZone: 'Pacific Standard Time',
        organizer: { email: `guest${i}@example.org`, name: `Guest ${i}` },
        attendees: [
          { email: EMAIL, name: 'Ada', response: 'accepted' },
          { email: `guest${i}@example.org`, name: `Guest ${i}`, response: 'organizer' },
          { email: 'room@contoso.example', type: 'resource' },
        ],
      });
      ids.push(String(ev.id));
    }
    return ids;
  }

  test('profile maps the mailbox Windows zone; calendars list primary and others', async () => {
    sandbox.microsoft.addCalendar(EMAIL, { name: 'Work' });
    const { calendar } = clients();
    expect(await calendar.getProfile()).toEqual({
      email: EMAIL,
      name: 'Ada Lovelace',
      timeZone: 'Asia/Tokyo',
    });
    const cals = await calendar.listCalendars();
    expect(cals).toEqual([
      { id: calendarId, name: 'Calendar', primary: true, canWrite: true, onlineMeetings: true },
      { id: expect.any(String), name: 'Work', primary: false, canWrite: true, onlineMeetings: true },
    ]);
    // A personal account: no Teams on its calendars.
    sandbox.microsoft.seedAccount({ email: EMAIL, personal: true });
    expect((await calendar.listCalendars()).map((c) => c.onlineMeetings)).toEqual([false, false]);
  });

  test('full sync pages to the deltaLink, an idle incremental sync is exactly one call, changes and removals come back', async () => {
    const ids = seed(120);
    const { calendar } = clients();
    const full = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(full.full).toBe(true);
    expect(full.changed).toHaveLength(120);
    expect(full.calls).toBe(4); // pages of 50, and the mailbox's addresses once per client
    expect(graphCalls()).toEqual([...Array(3).fill('GET /me/calendars/{id}/calendarView/delta'), 'GET /me']);
    const ev = full.changed.find((e) => e.title === 'Coffee chat 0')!;
    expect(ev).toMatchObject({
      providerEventId: ids[0],
      calendarId,
      status: 'confirmed',
      start: { kind: 'timed', utc: '2030-01-01T09:00:00Z', timeZone: 'America/Los_Angeles' },
      organizer: { email: 'guest0@example.org', name: 'Guest 0', self: false },
    });
    expect(ev.attendees).toEqual([
      {
        email: EMAIL,
        name: 'Ada',
        self: true,
        organizer: false,
        resource: false,
        optional: false,
        response: 'accepted',
      },
      {
        email: 'guest0@example.org',
        name: 'Guest 0',
        self: false,
        organizer: true,
        resource: false,
        optional: false,
        response: 'accepted',
      },
      {
        email: 'room@contoso.example',
        self: false,
        organizer: false,
        resource: true,
        optional: false,
        response: 'needsAction',
      },
    ]);

    calls.length = 0;
    const idle = await calendar.syncCalendar(calendarId, full.cursor, WINDOW);
    expect(idle).toMatchObject({ changed: [], removed: [], full: false, calls: 1 });
    expect(calls).toHaveLength(1);
    console.log(`[measure] microsoft idle incremental sync: ${calls.length} provider call(s) for 1 calendar`);

    sandbox.microsoft.updateEvent(EMAIL, ids[3]!, {
      subject: 'Coffee chat 3 (moved)',
      start: at(3, 14),
      end: at(3, 15),
    });
    sandbox.microsoft.deleteEvent(EMAIL, ids[4]!);
    const inc = await calendar.syncCalendar(calendarId, idle.cursor, WINDOW);
    expect(inc.changed.map((e) => e.title)).toEqual(['Coffee chat 3 (moved)']);
    expect(inc.changed[0]!.start).toEqual({
      kind: 'timed',
      utc: '2030-01-04T14:00:00Z',
      timeZone: 'America/Los_Angeles',
    });
    expect(inc.removed).toEqual([ids[4]]);
  });

  test('a window that rolled a week past the delta round starts a new round (events far ahead are not missed)', async () => {
    seed(2);
    const { calendar } = clients();
    const first = await calendar.syncCalendar(calendarId, null, WINDOW);
    // Created beyond the first round's window: a delta round never reports it.
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Far ahead',
      start: '2030-06-05T09:00:00Z',
      end: '2030-06-05T10:00:00Z',
    });
    const sameWindow = await calendar.syncCalendar(calendarId, first.cursor, WINDOW);
    expect(sameWindow).toMatchObject({ full: false, changed: [] });
    const later: SyncWindow = {
      from: new Date('2029-12-03T00:00:00Z'),
      to: new Date('2030-06-03T00:00:00Z'),
    };
    expect((await calendar.syncCalendar(calendarId, sameWindow.cursor, later)).full).toBe(false); // 2 days: keep the round
    const week: SyncWindow = { from: new Date('2029-12-09T00:00:00Z'), to: new Date('2030-06-09T00:00:00Z') };
    const rolled = await calendar.syncCalendar(calendarId, sameWindow.cursor, week);
    expect(rolled.full).toBe(true);
    expect(rolled.changed.map((e) => e.title)).toContain('Far ahead');
    expect(await calendar.syncCalendar(calendarId, rolled.cursor, week)).toMatchObject({
      full: false,
      changed: [],
      calls: 1,
    });
  });

  test('a window roll reads the old round to its end first (its deletions are kept) and says which window is complete', async () => {
    const [keep, gone] = seed(2);
    const { calendar } = clients();
    const first = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(first).toMatchObject({ full: true, fullWindow: WINDOW, window: WINDOW });
    sandbox.microsoft.deleteEvent(EMAIL, gone!);
    const week: SyncWindow = { from: new Date('2029-12-09T00:00:00Z'), to: new Date('2030-06-09T00:00:00Z') };
    calls.length = 0;
    const rolled = await calendar.syncCalendar(calendarId, first.cursor, week);
    expect(rolled.full).toBe(true);
    expect(rolled.removed).toEqual([gone]);
    expect(rolled.changed.map((e) => e.providerEventId)).toEqual([keep]);
    expect(rolled.fullWindow).toEqual(week);
    // Removals count for events stored anywhere in the old round's window or the new one.
    expect(rolled.window).toEqual({ from: WINDOW.from, to: week.to });
    expect(graphCalls()).toEqual(Array(2).fill('GET /me/calendars/{id}/calendarView/delta'));
    const next = await calendar.syncCalendar(calendarId, rolled.cursor, week);
    expect(next).toMatchObject({ full: false, window: week, changed: [], removed: [] });
    expect(next.fullWindow).toBeUndefined();
  });

  test('occurrences are stubs in delta: the response, cancellation and zone come from the master', async () => {
    const series = sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Coffee chat #coffeechat',
      start: '2030-01-07T10:00:00+09:00',
      end: '2030-01-07T10:30:00+09:00',
      timeZone: 'Tokyo Standard Time',
      recurrence: { frequency: 'weekly', count: 2 },
      organizer: { email: 'grace@example.org' },
      attendees: [
        { email: 'grace@example.org', response: 'organizer' },
        { email: EMAIL, response: 'declined' },
      ],
    });
    const { calendar } = clients();
    const sync = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(sync.changed).toHaveLength(2);
    for (const e of sync.changed) {
      expect(e.start).toMatchObject({ timeZone: 'Asia/Tokyo' });
      expect(e.attendees.find((a) => a.self)).toMatchObject({ email: EMAIL, response: 'declined' });
    }
    sandbox.microsoft.updateEvent(EMAIL, String(series.id), { isCancelled: true });
    const inc = await calendar.syncCalendar(calendarId, sync.cursor, WINDOW);
    expect(inc.changed.map((e) => e.status)).toEqual(['cancelled', 'cancelled']);
  });

  test('an occurrence declined or cancelled on its own (an exception) is read once; its siblings keep the master', async () => {
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Coffee chat #coffeechat',
      start: '2030-01-07T10:00:00Z',
      end: '2030-01-07T10:30:00Z',
      recurrence: { frequency: 'weekly', count: 3 },
      organizer: { email: 'grace@example.org' },
      attendees: [
        { email: 'grace@example.org', response: 'organizer' },
        { email: EMAIL, response: 'accepted' },
      ],
    });
    const { calendar } = clients();
    const full = await calendar.syncCalendar(calendarId, null, WINDOW);
    const [a, b, c] = full.changed.map((e) => e.providerEventId);
    sandbox.microsoft.changeOccurrence(EMAIL, b!, { response: 'declined' });
    sandbox.microsoft.changeOccurrence(EMAIL, c!, { isCancelled: true });
    calls.length = 0;
    const inc = await calendar.syncCalendar(calendarId, full.cursor, WINDOW);
    const own = (id: string) => inc.changed.find((e) => e.providerEventId === id)!;
    expect(inc.changed.map((e) => e.providerEventId)).toEqual([b, c]);
    expect(own(b!).attendees.find((x) => x.self)?.response).toBe('declined');
    expect(own(b!).status).toBe('confirmed');
    expect(own(c!).status).toBe('cancelled');
    // delta, the master once, each exception once
    expect(graphCalls()).toEqual([
      'GET /me/calendars/{id}/calendarView/delta',
      'GET /me/events/{id}',
      'GET /me/events/{id}',
      'GET /me/events/{id}',
    ]);
    const again = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(again.changed.find((e) => e.providerEventId === a)?.attendees.find((x) => x.self)?.response).toBe(
      'accepted',
    );
  });

  test('every address of the mailbox is the user: an invitation to an alias has one other person', async () => {
    sandbox.microsoft.seedAccount({ email: EMAIL, aliases: ['ada.l@contoso.example'] });
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Coffee',
      start: at(2),
      end: at(2, 10),
      organizer: { email: 'grace@example.org' },
      attendees: [
        { email: 'grace@example.org', response: 'organizer' },
        { email: 'ADA.L@contoso.example', response: 'accepted' },
      ],
    });
    const { calendar } = clients();
    const [ev] = (await calendar.syncCalendar(calendarId, null, WINDOW)).changed;
    expect(ev!.attendees.map((a) => [a.email, a.self, a.response])).toEqual([
      ['grace@example.org', false, 'accepted'],
      ['ADA.L@contoso.example', true, 'accepted'],
    ]);
    expect(graphCalls().filter((c) => c === 'GET /me')).toHaveLength(1);
    await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(graphCalls().filter((c) => c === 'GET /me')).toHaveLength(1); // once per client
  });

  test('a refused delta token -> cursor_expired, and a full resync recovers', async () => {
    seed(3);
    const { calendar } = clients();
    const full = await calendar.syncCalendar(calendarId, null, WINDOW);
    sandbox.microsoft.expireDeltaTokens(EMAIL);
    const err = await rejection(calendar.syncCalendar(calendarId, full.cursor, WINDOW));
    expect(err).toMatchObject({ kind: 'cursor_expired', provider: 'microsoft', status: 410 });
    const again = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(again.changed).toHaveLength(3);
  });

  test('Windows zones: event zones map to IANA, custom zones give null (caller uses the mailbox zone), all-day stays dates', async () => {
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'India',
      start: '2030-01-10T10:00:00+05:30',
      end: '2030-01-10T11:00:00+05:30',
      timeZone: 'India Standard Time',
    });
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Custom',
      start: '2030-01-11T10:00:00Z',
      end: '2030-01-11T11:00:00Z',
      timeZone: 'UTC',
      originalTimeZoneLabel: 'tzone://Microsoft/Custom',
    });
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Notes',
      start: at(13),
      end: at(13, 10),
      bodyHtml: '<div>Coffee chat<br>Bring &quot;the paper&quot;</div>',
    });
    sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Holiday',
      start: '2030-01-12',
      end: '2030-01-13',
      isAllDay: true,
      timeZone: 'Tokyo Standard Time',
    });
    const { calendar } = clients();
    const { changed } = await calendar.syncCalendar(calendarId, null, WINDOW);
    const by = Object.fromEntries(changed.map((e) => [e.title, e]));
    expect(by.India!.start).toEqual({ kind: 'timed', utc: '2030-01-10T04:30:00Z', timeZone: 'Asia/Kolkata' });
    expect(by.Custom!.start).toEqual({ kind: 'timed', utc: '2030-01-11T10:00:00Z', timeZone: null });
    expect(by.Notes!.description).toBe('Coffee chat\nBring "the paper"');
    expect(by.Holiday!.start).toEqual({ kind: 'allDay', date: '2030-01-12' });
    expect(by.Holiday!.end).toEqual({ kind: 'allDay', date: '2030-01-13' });
  });

  test('recurring series: occurrences come as instances; the master is fetched once per series per sync', async () => {
    const series = sandbox.microsoft.addEvent(EMAIL, {
      subject: 'Weekly coffee with Grace',
      start: '2030-01-07T10:00:00+09:00',
      end: '2030-01-07T10:30:00+09:00',
      timeZone: 'Tokyo Standard Time',
      recurrence: { frequency: 'weekly', count: 4 },
      attendees: [{ email: 'grace@example.org', name: 'Grace' }],
    });
    const { calendar } = clients();
    const sync = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(sync.changed).toHaveLength(4);
    expect(
      sync.changed.every((e) => e.recurringEventId === series.id && e.recurrenceFrequency === 'WEEKLY'),
    ).toBe(true);
    expect(graphCalls().filter((c) => c === 'GET /me/events/{id}')).toHaveLength(1);
    expect(sync.calls).toBe(3); // delta, the master, the mailbox's addresses (once per client)
  });

  test('events we create carry a marker, Teams link, are found again, and a retried create does not duplicate', async () => {
    const { calendar } = clients();
    const input = {
      title: 'Prep: coffee with Grace',
      description: 'Read her paper',
      start: new Date('2030-01-10T00:00:00Z'),
      end: new Date('2030-01-10T00:30:00Z'),
      timeZone: 'Asia/Tokyo',
      attendees: [{ email: 'grace@example.org', name: 'Grace' }],
      withConference: true,
      marker: 'prep-1',
    };
    const created = await calendar.createEvent(calendarId, input);
    expect(created.conferenceUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    // A retried job: Graph refuses the reused transactionId (ErrorDuplicateTransactionId, 400 or
    // 409), and the marker lookup gives back the first event.
    const again = await calendar.createEvent(calendarId, input);
    expect(again.providerEventId).toBe(created.providerEventId);
    sandbox.microsoft.setErrorStatuses({ duplicateTransactionIdStatus: 409 });
    const third = await calendar.createEvent(calendarId, input);
    expect(third.providerEventId).toBe(created.providerEventId);
    expect(sandbox.microsoft.createdEvents(EMAIL)).toHaveLength(1);
    expect(sandbox.microsoft.createdEvents(EMAIL)[0]).toMatchObject({
      originalStartTimeZone: 'Tokyo Standard Time',
      start: { dateTime: '2030-01-10T00:00:00.0000000' },
    });
    expect(await calendar.findEventByMarker(calendarId, 'prep-1')).toMatchObject({
      providerEventId: created.providerEventId,
    });
    expect(await calendar.findEventByMarker(calendarId, 'prep-2')).toBeNull();

    const synced = (await calendar.syncCalendar(calendarId, null, WINDOW)).changed[0]!;
    expect(synced.markers).toEqual({ coffeeChatKey: 'prep-1' });
    expect(synced.conferenceUrl).toBe(created.conferenceUrl);

    await calendar.updateEvent(calendarId, created.providerEventId, { ...input, title: 'Prep (moved)' });
    expect(sandbox.microsoft.createdEvents(EMAIL)[0]!.subject).toBe('Prep (moved)');
    await calendar.deleteEvent(calendarId, created.providerEventId);
    await calendar.deleteEvent(calendarId, created.providerEventId); // already gone: fine
    expect(sandbox.microsoft.createdEvents(EMAIL)).toEqual([]);
    // The marker of a deleted event cannot be created again (its transactionId stays used): a
    // clear, final refusal; the worker gives a re-created event a new marker (a new generation).
    const burnt = await rejection(calendar.createEvent(calendarId, input));
    expect(burnt).toMatchObject({ kind: 'bad_request' });
    expect(burnt.message).toMatch(/ErrorDuplicateTransactionId/);
    expect(burnt.message.split('\n')).toHaveLength(1);
    const fresh = await calendar.createEvent(calendarId, { ...input, marker: 'prep-1~g1' });
    expect(fresh.providerEventId).not.toBe(created.providerEventId);
    expect(sandbox.microsoft.createdEvents(EMAIL)).toHaveLength(1);
  });

  test('a POST answered 503 without Retry-After is not replayed inline (it may have happened): one draft, found by its marker', async () => {
    const { mailbox } = clients();
    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      status: 503,
      pathIncludes: '/me/messages',
      method: 'POST',
      afterCommit: true,
    });
    const ref = await mailbox.createDraft(draft('thanks-503'));
    expect(sandbox.microsoft.drafts(EMAIL)).toHaveLength(1);
    expect(sandbox.microsoft.drafts(EMAIL)[0]!.id).toBe(ref.draftId);
    expect(graphCalls().filter((c) => c === 'POST /me/messages')).toHaveLength(1);
    // A GET on a 503 without Retry-After is still retried inside the call (reading twice is harmless).
    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      status: 503,
      pathIncludes: '/me/calendars',
    });
    const { calendar } = clients();
    expect((await calendar.listCalendars()).length).toBeGreaterThan(0);
  });

  const draft = (marker: string) => ({
    marker,
    to: { email: 'grace@example.org', name: 'Grace Hopper' },
    subject: 'Thank you, Grace',
    text: 'Thanks for the coffee.',
    html: '<p>Thanks for the coffee.</p>',
  });

  test('drafts: created once with HTML and a marker, found by marker under a retried job, versions follow edits', async () => {
    const { mailbox } = clients();
    const ref = await mailbox.createDraft(draft('thanks-1'));
    expect(ref).toMatchObject({
      draftId: expect.any(String),
      internetMessageId: expect.stringMatching(/^<.+>$/),
      version: expect.any(String),
      webLink: expect.stringMatching(/^https:/),
    });
    expect(sandbox.microsoft.drafts(EMAIL)).toEqual([
      expect.objectContaining({
        subject: 'Thank you, Grace',
        to: ['grace@example.org'],
        html: '<p>Thanks for the coffee.</p>',
        text: 'Thanks for the coffee.',
        markers: { [COFFEE_CHAT_MARKER_ID]: 'thanks-1' },
      }),
    ]);

    // The job crashed after the provider call: its retry looks first, and finds the same draft.
    const found = await mailbox.findDraftByMarker('thanks-1');
    expect(found).toEqual(ref);
    expect(await mailbox.findDraftByMarker('thanks-2')).toBeNull();

    // A rate-limited create is retried by the SDK after Retry-After and still makes one draft.
    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'rate_limit',
      pathIncludes: '/me/messages',
      method: 'POST',
      retryAfterSeconds: 1,
    });
    await mailbox.createDraft(draft('thanks-3'));
    expect(sandbox.microsoft.drafts(EMAIL)).toHaveLength(2);

    // A create that times out but happened server-side: the retry finds it instead of making another.
    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'slow',
      pathIncludes: '/me/messages',
      method: 'POST',
      delayMs: 800,
    });
    const slow = clients({ requestTimeoutMs: 300 }).mailbox;
    const err = await rejection(slow.createDraft(draft('thanks-4')));
    expect(err.kind).toBe('transient');
    await new Promise((r) => setTimeout(r, 900));
    const retried = (await slow.findDraftByMarker('thanks-4')) ?? (await slow.createDraft(draft('thanks-4')));
    expect(sandbox.microsoft.drafts(EMAIL).filter((d) => d.subject === 'Thank you, Grace')).toHaveLength(3);
    expect(retried.draftId).toBeTruthy();

    const state = await mailbox.draftState(ref);
    expect(ref.threadId).toBeTruthy();
    expect(state).toEqual({ state: 'draft', version: ref.version, threadId: ref.threadId });
    const updated = await mailbox.updateDraft(ref.draftId, { ...draft('thanks-1'), subject: 'Thanks again' });
    expect(updated.version).not.toBe(ref.version);
    sandbox.microsoft.editDraft(EMAIL, ref.draftId, { html: '<p>edited by Ada</p>' });
    const edited = await mailbox.draftState(ref);
    expect(edited.state === 'draft' && edited.version !== updated.version).toBe(true);

    // One listing of the Drafts folder says the same as draftState, for every draft at once.
    calls.length = 0;
    const listed = await mailbox.listDrafts();
    expect(graphCalls()).toEqual(['GET /me/mailFolders/{id}/messages']);
    expect(listed.get(ref.draftId)).toEqual({
      version: (edited as { version: string }).version,
      threadId: ref.threadId,
    });
    expect(listed.size).toBe(sandbox.microsoft.drafts(EMAIL).length);
    sandbox.microsoft.sendDraft(EMAIL, ref.draftId);
    expect((await mailbox.listDrafts()).has(ref.draftId)).toBe(false);
  });

  test('send detection: sent (draft gone, copy in Sent Items) vs deleted', async () => {
    const { mailbox } = clients();
    const a = await mailbox.createDraft(draft('a'));
    const b = await mailbox.createDraft(draft('b'));
    const sentCopy = sandbox.microsoft.sendDraft(EMAIL, a.draftId);
    sandbox.microsoft.deleteDraft(EMAIL, b.draftId);
    calls.length = 0;
    expect(await mailbox.draftState(a)).toEqual({
      state: 'sent',
      sentAt: new Date(sentCopy.sentDateTime!),
      messageId: sentCopy.id,
    });
    expect(await mailbox.draftState(b)).toEqual({ state: 'deleted' });
    // a: get (404) + the copy by internetMessageId; b: get + internetMessageId + conversation
    expect(graphCalls()).toHaveLength(5);
    await mailbox.deleteDraft(b.draftId); // already gone: fine
  });

  test('send detection when the copy has a new internetMessageId (classic Outlook): by marker, then by conversation + recipient + time', async () => {
    const { mailbox } = clients();
    const madeAfter = new Date(Date.now() - 60_000);
    const lookup = (ref: Awaited<ReturnType<typeof mailbox.createDraft>>, marker: string) => ({
      ...ref,
      marker,
      madeAfter,
      to: 'grace@example.org',
    });
    const c = await mailbox.createDraft(draft('classic-c'));
    const cCopy = sandbox.microsoft.sendDraft(EMAIL, c.draftId, { newInternetMessageId: true });
    expect(cCopy.internetMessageId).not.toBe(c.internetMessageId);
    expect(cCopy.conversationId).toBe(c.threadId);
    calls.length = 0;
    expect(await mailbox.draftState(lookup(c, 'classic-c'))).toEqual({
      state: 'sent',
      sentAt: new Date(cCopy.sentDateTime!),
      messageId: cCopy.id,
    });
    expect(graphCalls()).toHaveLength(3);

    const d = await mailbox.createDraft(draft('classic-d'));
    const dCopy = sandbox.microsoft.sendDraft(EMAIL, d.draftId, {
      newInternetMessageId: true,
      dropExtendedProperties: true,
    });
    calls.length = 0;
    expect(await mailbox.draftState(lookup(d, 'classic-d'))).toEqual({
      state: 'sent',
      sentAt: new Date(dCopy.sentDateTime!),
      messageId: dCopy.id,
    });
    expect(graphCalls()).toHaveLength(4);
    // the same conversation, but to someone else or before the draft was made: not its send
    expect(await mailbox.draftState({ ...lookup(d, 'classic-d'), to: 'someone@else.org' })).toEqual({
      state: 'deleted',
    });
    expect(
      await mailbox.draftState({ ...lookup(d, 'classic-d'), madeAfter: new Date(Date.now() + 60_000) }),
    ).toEqual({ state: 'deleted' });
  });

  test('lastMailExchanged: latest sent or received, drafts left out', async () => {
    sandbox.microsoft.addMessage(EMAIL, {
      folder: 'inbox',
      from: { email: 'grace@example.org' },
      to: [{ email: EMAIL }],
      subject: 'Re: coffee',
      at: '2030-01-03T10:00:00Z',
    });
    sandbox.microsoft.addMessage(EMAIL, {
      folder: 'sentitems',
      to: [{ email: 'grace@example.org' }],
      subject: 'coffee?',
      at: '2030-01-05T10:00:00Z',
    });
    sandbox.microsoft.addMessage(EMAIL, {
      folder: 'inbox',
      from: { email: 'alan@example.org' },
      to: [{ email: EMAIL }],
      subject: 'later, unrelated',
      at: '2030-01-09T10:00:00Z',
    });
    const { mailbox } = clients();
    await mailbox.createDraft(draft('d')); // a draft to Grace made now: not "exchanged"
    expect(await mailbox.lastMailExchanged('Grace@Example.org', new Date('2030-01-01T00:00:00Z'))).toEqual(
      new Date('2030-01-05T10:00:00Z'),
    );
    expect(await mailbox.lastMailExchanged('grace@example.org', new Date('2030-01-06T00:00:00Z'))).toBeNull();
    expect(
      await mailbox.lastMailExchanged('nobody@example.org', new Date('2020-01-01T00:00:00Z')),
    ).toBeNull();
  });

  test('429: a short Retry-After is waited out inside the call; a long one surfaces as rate_limited with the wait', async () => {
    seed(2);
    const { calendar } = clients();
    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'rate_limit',
      pathIncludes: 'calendarView/delta',
      retryAfterSeconds: 1,
    });
    const t0 = Date.now();
    const full = await calendar.syncCalendar(calendarId, null, WINDOW);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(full.changed).toHaveLength(2);

    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'rate_limit',
      pathIncludes: 'calendarView/delta',
      retryAfterSeconds: 120,
    });
    const t1 = Date.now();
    const err = await rejection(calendar.syncCalendar(calendarId, full.cursor, WINDOW));
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000, status: 429 });
    expect(Date.now() - t1).toBeLessThan(1000);

    sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      status: 500,
      pathIncludes: 'calendarView/delta',
    });
    expect((await rejection(calendar.syncCalendar(calendarId, full.cursor, WINDOW))).kind).toBe('transient');
  });

  test('revoked grant -> auth_revoked; a bad token fails validation with one clear line', async () => {
    const { calendar } = clients();
    await calendar.listCalendars();
    sandbox.microsoft.revoke(EMAIL);
    const err = await rejection(calendar.listCalendars());
    expect(err.kind).toBe('auth_revoked');
    const bad = await rejection(validateMicrosoftRefreshToken('not-a-token', endpoints));
    expect(bad.kind).toBe('auth_revoked');
    expect(bad.message.split('\n')).toHaveLength(1);
    expect(bad.message).toMatch(/invalid_grant: AADSTS\d+/);
  });

  test('a token endpoint failing transiently (AADSTS90033) is asked twice more; a third failure is transient', async () => {
    const tokenCalls = () => calls.filter((c) => c.includes('token')).length;
    sandbox.faults.add({ provider: 'microsoft', kind: 'server_error', pathIncludes: '/token' });
    expect((await clients().calendar.listCalendars()).length).toBeGreaterThan(0);
    expect(tokenCalls()).toBe(2);

    calls.length = 0;
    sandbox.faults.add({ provider: 'microsoft', kind: 'server_error', pathIncludes: '/token', times: 3 });
    const err = await rejection(clients().calendar.listCalendars());
    expect(err).toMatchObject({ kind: 'transient' });
    expect(err.message).toMatch(/token refresh: temporarily_unavailable/);
    expect(tokenCalls()).toBe(3);
  });

  test('refresh tokens: each rotation is reported; refresh before expiry and once on 401', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const { calendar } = clients({ now: () => now });
    await calendar.listCalendars();
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(refreshToken);
    await calendar.listCalendars();
    expect(rotated).toHaveLength(1); // token still fresh

    now += 56 * 60_000; // within 5 minutes of the 1 h expiry
    await calendar.listCalendars();
    expect(rotated).toHaveLength(2);
    expect(sandbox.requests.filter((r) => r.status === 401)).toHaveLength(0);

    sandbox.microsoft.expireAccessTokens(EMAIL);
    await calendar.listCalendars();
    expect(rotated).toHaveLength(3);
    expect(sandbox.requests.filter((r) => r.status === 401)).toHaveLength(1);
    // The latest rotated token is the one that works next time.
    expect((await validateMicrosoftRefreshToken(rotated[2]!, endpoints)).profile.email).toBe(EMAIL);
  });

  test('a rotated token that cannot be stored fails the call as transient; the retry stores the next one', async () => {
    let fail = true;
    const stored: string[] = [];
    const { calendar } = createMicrosoftClients(
      {
        provider: 'microsoft',
        email: EMAIL,
        refreshToken,
        onRefreshTokenRotated: async (t) => {
          if (fail) {
            fail = false;
            throw new Error('database is down');
          }
          stored.push(t);
        },
      },
      endpoints,
    );
    expect((await rejection(calendar.listCalendars())).kind).toBe('transient');
    await calendar.listCalendars();
    expect(stored).toHaveLength(1);
    expect((await validateMicrosoftRefreshToken(stored[0]!, endpoints)).profile.email).toBe(EMAIL);
  });

  test('connect: authorize with PKCE and a loopback redirect, exchange the code, validate the token', async () => {
    const tokens = await connectWithLoopback({
      endpoints,
      loginHint: EMAIL,
      open: async (url) => {
        expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
        expect(new URL(url).searchParams.get('scope')).toBe(
          'offline_access User.Read Calendars.ReadWrite Mail.ReadWrite MailboxSettings.Read',
        );
        await fetch(url); // the "browser": follows the redirect to our loopback listener
      },
    });
    expect(tokens.refreshToken).toBeTruthy();
    const checked = await validateMicrosoftRefreshToken(tokens.refreshToken, endpoints);
    expect(checked.profile).toEqual({ email: EMAIL, name: 'Ada Lovelace', timeZone: 'Asia/Tokyo' });
    expect(checked.refreshToken).not.toBe(tokens.refreshToken);
  });

  test('[measure] provider calls per changed chat', async () => {
    const ids = seed(5);
    const { calendar, mailbox } = clients();
    const full = await calendar.syncCalendar(calendarId, null, WINDOW);
    sandbox.microsoft.updateEvent(EMAIL, ids[2]!, { start: at(2, 16), end: at(2, 17) });
    calls.length = 0;
    const inc = await calendar.syncCalendar(calendarId, full.cursor, WINDOW);
    expect(inc.changed).toHaveLength(1);
    // A changed chat typically re-renders its draft and moves its prep block.
    await mailbox.createDraft(draft('confirm-2'));
    await calendar.createEvent(calendarId, {
      title: 'Prep',
      description: '',
      start: new Date(at(2, 15)),
      end: new Date(at(2, 16)),
      timeZone: 'Asia/Tokyo',
      showAs: 'busy',
      marker: 'prep-2',
    });
    console.log(`[measure] microsoft changed chat: ${calls.length} provider calls (${calls.join(', ')})`);
    expect(calls.length).toBeLessThanOrEqual(3);
  });
});
