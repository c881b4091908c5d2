// The Google integration (integrations/google) against the sandbox, through the real SDKs.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import {
  createGoogleClients,
  GOOGLE_SCOPES,
  startLoopbackConsent,
  validateGoogleRefreshToken,
} from '../../integrations/google/index.ts';
import { parseRetryAfter, toProviderError } from '../../integrations/google/errors.ts';
import type { ProviderClients, ProviderEndpoints, DraftInput } from '../../integrations/provider.ts';
import { sandboxEndpoints, rejection } from '../helpers/sandbox-endpoints.ts';

const EMAIL = 'ada@example.com';
const TOKEN = 'rt-integration-ada';
const WINDOW = { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-07-01T00:00:00Z') };

let sandbox: Sandbox;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  sandbox = await startSandbox();
  endpoints = sandboxEndpoints(sandbox);
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.google.seedAccount({ email: EMAIL, name: 'Ada', timeZone: 'Europe/London', refreshToken: TOKEN });
});

function clients(): { c: ProviderClients; calls: string[] } {
  const calls: string[] = [];
  const c = createGoogleClients(
    { provider: 'google', email: EMAIL, refreshToken: TOKEN, onCall: (e) => calls.push(e) },
    endpoints,
  );
  return { c, calls };
}

function seedChat(i: number, extra: Record<string, unknown> = {}) {
  return sandbox.google.seedEvent(EMAIL, 'primary', {
    summary: `Coffee chat ${i}`,
    start: {
      dateTime: new Date(Date.UTC(2030, 1, 1 + (i % 100), 15)).toISOString(),
      timeZone: 'America/Chicago',
    },
    end: {
      dateTime: new Date(Date.UTC(2030, 1, 1 + (i % 100), 15, 30)).toISOString(),
      timeZone: 'America/Chicago',
    },
    attendees: [
      { email: EMAIL, responseStatus: 'accepted' },
      { email: `person${i}@example.org`, displayName: `Person ${i}`, responseStatus: 'needsAction' },
      { email: 'room-1@resource.calendar.google.com', resource: true, responseStatus: 'accepted' },
    ],
    ...extra,
  });
}

const draft = (marker: string, subject = 'Thanks for the chat'): DraftInput => ({
  marker,
  to: { email: 'grace@example.org', name: 'Grace Hopper' },
  subject,
  text: 'Thank you!',
  html: '<p>Thank you!</p>',
});

describe('google calendar provider', () => {
  test('full sync converts events; idle incremental costs exactly 1 call; a changed chat ≤ 2', async () => {
    const chat = seedChat(1, {
      description: 'Agenda:<br>1. <b>Intro</b> &amp; questions<br><a href="https://example.org/doc">doc</a>',
      conferenceData: { createRequest: { requestId: 'x', conferenceSolutionKey: { type: 'hangoutsMeet' } } },
      extendedProperties: { private: { coffeeChatKey: 'chat-1' } },
    });
    sandbox.google.seedEvent(EMAIL, 'primary', {
      summary: 'Holiday',
      start: { date: '2030-02-10' },
      end: { date: '2030-02-11' },
    });
    const series = sandbox.google.seedEvent(EMAIL, 'primary', {
      summary: 'Weekly mentor chat',
      start: { dateTime: '2030-03-04T09:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2030-03-04T09:30:00', timeZone: 'Europe/London' },
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
      attendees: [{ email: 'mentor@example.org' }, { email: EMAIL }],
    });
    const { c } = clients();
    const full = await c.calendar.syncCalendar('primary', null, WINDOW);
    expect(full.full).toBe(true);
    expect(full.changed).toHaveLength(5);
    expect(full.removed).toEqual([]);
    // one token refresh + one list page + one series master (fetched once for 3 instances)
    expect(full.calls).toBe(3);

    const ev = full.changed.find((e) => e.providerEventId === chat.id)!;
    expect(ev.start).toEqual({ kind: 'timed', utc: '2030-02-02T15:00:00.000Z', timeZone: 'America/Chicago' });
    expect(ev.attendees.map((a) => [a.email, a.self, a.resource, a.response])).toEqual([
      [EMAIL, true, false, 'accepted'],
      ['person1@example.org', false, false, 'needsAction'],
      ['room-1@resource.calendar.google.com', false, true, 'accepted'],
    ]);
    expect(ev.organizer).toMatchObject({ email: EMAIL, self: true });
    expect(ev.description).toBe('Agenda:\n1. Intro & questions\ndoc (https://example.org/doc)');
    expect(ev.conferenceUrl).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(ev.markers).toEqual({ coffeeChatKey: 'chat-1' });
    expect(ev.iCalUid).toBeTruthy();
    const allDay = full.changed.find((e) => e.title === 'Holiday')!;
    expect(allDay.start).toEqual({ kind: 'allDay', date: '2030-02-10' });
    const instances = full.changed.filter((e) => e.recurringEventId === series.id);
    expect(instances).toHaveLength(3);
    expect(instances[0]).toMatchObject({
      recurrenceFrequency: 'WEEKLY',
      start: { kind: 'timed', utc: '2030-03-04T09:00:00.000Z', timeZone: 'Europe/London' },
    });

    const idle = await c.calendar.syncCalendar('primary', full.cursor, WINDOW);
    expect(idle).toMatchObject({ changed: [], removed: [], full: false, calls: 1 });

    sandbox.google.patchEvent(EMAIL, 'primary', String(chat.id), {
      start: { dateTime: '2030-02-02T17:00:00Z', timeZone: 'America/Chicago' },
      end: { dateTime: '2030-02-02T17:30:00Z', timeZone: 'America/Chicago' },
    });
    const moved = await c.calendar.syncCalendar('primary', idle.cursor, WINDOW);
    expect(moved.changed.map((e) => e.providerEventId)).toEqual([chat.id]);
    expect(moved.calls).toBe(1);

    const instanceId = instances[1]!.providerEventId;
    sandbox.google.patchEvent(EMAIL, 'primary', instanceId, { summary: 'Mentor chat (moved)' });
    const inst = await c.calendar.syncCalendar('primary', moved.cursor, WINDOW);
    expect(inst.changed.map((e) => [e.providerEventId, e.title, e.recurrenceFrequency])).toEqual([
      [instanceId, 'Mentor chat (moved)', 'WEEKLY'],
    ]);
    expect(inst.calls).toBe(2);

    sandbox.google.deleteEvent(EMAIL, 'primary', String(chat.id));
    const del = await c.calendar.syncCalendar('primary', inst.cursor, WINDOW);
    expect(del.removed).toEqual([chat.id]);
    expect(del.calls).toBe(1);

    console.log(
      `google provider calls — idle incremental sync: ${idle.calls} per calendar; changed chat: ${moved.calls} (single event), ${inst.calls} (instance of a series); full sync of 5 events: ${full.calls} (incl. token refresh)`,
    );
  });

  test('paging across pages (maxResults 250) ends with the sync token', async () => {
    for (let i = 0; i < 600; i++) seedChat(i);
    const { c } = clients();
    const before = sandbox.requests.length;
    const full = await c.calendar.syncCalendar('primary', null, WINDOW);
    expect(full.changed).toHaveLength(600);
    expect(new Set(full.changed.map((e) => e.providerEventId)).size).toBe(600);
    expect(sandbox.counts(before)['GET /calendar/v3/calendars/:calendarId/events']).toBe(3);
    const idle = await c.calendar.syncCalendar('primary', full.cursor, WINDOW);
    expect(idle.calls).toBe(1);
  });

  test('an invalidated sync token is the cursor_expired signal; a full resync works', async () => {
    seedChat(1);
    const { c } = clients();
    const full = await c.calendar.syncCalendar('primary', null, WINDOW);
    sandbox.google.invalidateSyncTokens(EMAIL);
    const err = await rejection(c.calendar.syncCalendar('primary', full.cursor, WINDOW));
    expect(err.kind).toBe('cursor_expired');
    expect(err.status).toBe(410);
    const again = await c.calendar.syncCalendar('primary', null, WINDOW);
    expect(again.changed).toHaveLength(1);
  });

  test('an event beyond the window at the first sync: a week later the window is synced in full again', async () => {
    seedChat(1);
    sandbox.google.seedEvent(EMAIL, 'primary', {
      summary: 'Far ahead',
      start: { dateTime: '2030-07-05T15:00:00Z' },
      end: { dateTime: '2030-07-05T15:30:00Z' },
    });
    const { c } = clients();
    const full = await c.calendar.syncCalendar('primary', null, WINDOW);
    expect(full).toMatchObject({ full: true, fullWindow: WINDOW });
    expect(full.changed.map((e) => e.title)).toEqual(['Coffee chat 1']);
    const days = (n: number) => ({
      from: new Date(WINDOW.from.getTime() + n * 86_400_000),
      to: new Date(WINDOW.to.getTime() + n * 86_400_000),
    });
    const soon = await c.calendar.syncCalendar('primary', full.cursor, days(6));
    expect(soon).toMatchObject({ full: false, changed: [], calls: 1 }); // the token's window still holds
    expect(soon.fullWindow).toBeUndefined();
    const week = await c.calendar.syncCalendar('primary', soon.cursor, days(8));
    expect(week).toMatchObject({ full: true, fullWindow: days(8) });
    expect(week.changed.map((e) => e.title).sort()).toEqual(['Coffee chat 1', 'Far ahead']);
    expect(await c.calendar.syncCalendar('primary', week.cursor, days(8))).toMatchObject({
      full: false,
      changed: [],
    });
  });

  test('403 rateLimitExceeded with a long Retry-After → rate_limited at once; a short rate limit on a read is waited out inside the call, at most twice', async () => {
    const { c } = clients();
    await c.calendar.listCalendars();
    let before = sandbox.requests.length;
    sandbox.faults.add({
      provider: 'google',
      kind: 'rate_limit',
      pathIncludes: '/events',
      retryAfterSeconds: 12,
    });
    // 12 s is the provider policy's to wait (the job is parked, no worker slot held).
    const e403 = await rejection(c.calendar.syncCalendar('primary', null, WINDOW));
    expect(e403).toMatchObject({ kind: 'rate_limited', retryAfterMs: 12_000, status: 403 });
    expect(sandbox.requests.length - before).toBe(1);

    // "rateLimitExceeded" without Retry-After, once: backed off and read again inside the call.
    before = sandbox.requests.length;
    sandbox.faults.add({ provider: 'google', kind: 'rate_limit', status: 429, pathIncludes: '/events' });
    const round = await c.calendar.syncCalendar('primary', null, WINDOW);
    expect(round.full).toBe(true);
    expect(sandbox.requests.length - before).toBe(2);

    // Three in a row: the third answer goes to the policy, with Google's default wait.
    before = sandbox.requests.length;
    sandbox.faults.add({
      provider: 'google',
      kind: 'rate_limit',
      status: 429,
      pathIncludes: '/events',
      times: 3,
    });
    const e429 = await rejection(c.calendar.syncCalendar('primary', null, WINDOW));
    expect(e429).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30_000, status: 429 });
    expect(sandbox.requests.length - before).toBe(3);
  });

  test('5xx on a read: tried twice more inside the call (gaxios itself retries nothing), then transient', async () => {
    const { c } = clients();
    await c.calendar.listCalendars();
    let before = sandbox.requests.length;
    sandbox.faults.add({
      provider: 'google',
      kind: 'server_error',
      status: 503,
      pathIncludes: '/calendarList',
    });
    expect((await c.calendar.listCalendars()).length).toBeGreaterThan(0);
    expect(sandbox.requests.length - before).toBe(2);

    before = sandbox.requests.length;
    sandbox.faults.add({
      provider: 'google',
      kind: 'server_error',
      status: 503,
      pathIncludes: '/calendarList',
      times: 3,
    });
    const err = await rejection(c.calendar.listCalendars());
    expect(err.kind).toBe('transient');
    expect(sandbox.requests.length - before).toBe(3);
  });

  test('network failure → transient; Retry-After as an HTTP date; programming errors pass through unmapped', async () => {
    const dead = createGoogleClients(
      { provider: 'google', email: EMAIL, refreshToken: TOKEN },
      { ...endpoints, googleTokenUrl: 'http://127.0.0.1:9/token', googleApiRootUrl: 'http://127.0.0.1:9/' },
    );
    const err = await rejection(dead.calendar.listCalendars());
    expect(err.kind).toBe('transient');
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(58_000);
    expect(parseRetryAfter('120')).toBe(120_000);
    const bug = new TypeError('x is not a function');
    expect(toProviderError(bug)).toBe(bug);
  });

  test('revoked token → auth_revoked (fresh client, and a client holding a live access token)', async () => {
    const live = clients();
    await live.c.calendar.listCalendars();
    sandbox.google.revoke(EMAIL);
    const fresh = await rejection(clients().c.calendar.listCalendars());
    expect(fresh.kind).toBe('auth_revoked');
    const held = await rejection(live.c.calendar.listCalendars());
    expect(held.kind).toBe('auth_revoked');
  });

  test('an expired access token gets one refresh and one retry', async () => {
    const { c, calls } = clients();
    await c.calendar.listCalendars();
    sandbox.google.expireAccessTokens(EMAIL);
    calls.length = 0;
    await c.calendar.listCalendars();
    expect(calls).toEqual([
      'GET /calendar/v3/users/me/calendarList',
      'POST /token',
      'GET /calendar/v3/users/me/calendarList',
    ]);
  });

  test('createEvent with Meet + marker, findEventByMarker, updateEvent, deleteEvent twice', async () => {
    const { c } = clients();
    const input = {
      title: 'Prep: coffee with Grace',
      description: 'Read her paper',
      start: new Date('2030-02-01T14:00:00Z'),
      end: new Date('2030-02-01T14:30:00Z'),
      timeZone: 'Europe/London',
      withConference: true,
      showAs: 'busy' as const,
      marker: 'prep-1',
    };
    const created = await c.calendar.createEvent('primary', input);
    expect(created.conferenceUrl).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(await c.calendar.findEventByMarker('primary', 'prep-1')).toMatchObject({
      providerEventId: created.providerEventId,
    });
    expect(await c.calendar.findEventByMarker('primary', 'nope')).toBeNull();
    await c.calendar.updateEvent('primary', created.providerEventId, {
      ...input,
      title: 'Prep (moved)',
      start: new Date('2030-02-01T15:00:00Z'),
      end: new Date('2030-02-01T15:30:00Z'),
    });
    const stored = sandbox.google.events(EMAIL, 'primary', { createdViaApi: true });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      summary: 'Prep (moved)',
      extendedProperties: { private: { coffeeChatKey: 'prep-1' } },
    });
    await c.calendar.deleteEvent('primary', created.providerEventId);
    await c.calendar.deleteEvent('primary', created.providerEventId);
    await c.calendar.deleteEvent('primary', 'neverexisted');
    const missing = await rejection(c.calendar.updateEvent('primary', 'neverexisted', input));
    expect(missing.kind).toBe('not_found');
  });

  test('profile, calendars (secondary, read-only), token validation', async () => {
    const secondary = sandbox.google.seedCalendar(EMAIL, {
      summary: 'Team',
      timeZone: 'Asia/Tokyo',
      accessRole: 'reader',
    });
    const { c } = clients();
    expect(await c.calendar.getProfile()).toEqual({ email: EMAIL, timeZone: 'Europe/London' });
    const cals = await c.calendar.listCalendars();
    expect(cals).toEqual([
      { id: EMAIL, name: EMAIL, primary: true, timeZone: 'Europe/London', canWrite: true },
      { id: secondary, name: 'Team', primary: false, timeZone: 'Asia/Tokyo', canWrite: false },
    ]);
    const ok = await validateGoogleRefreshToken(TOKEN, endpoints);
    expect(ok).toEqual({
      profile: { email: EMAIL, timeZone: 'Europe/London' },
      refreshToken: TOKEN,
      grantedScopes: [...GOOGLE_SCOPES],
    });
    const bad = await rejection(validateGoogleRefreshToken('not-a-token', endpoints));
    expect(bad.kind).toBe('auth_revoked');
    expect(bad.message).toMatch(
      /^Google refused the refresh token \(invalid_grant: Token has been expired or revoked\. \(if the OAuth consent screen [^\n]+ 7 days[^\n]+\)\)$/,
    );
  });

  test('consent flow: loopback redirect + PKCE gives a working refresh token', async () => {
    const consent = await startLoopbackConsent({ endpoints, loginHint: EMAIL });
    expect(new URL(consent.url).searchParams.get('code_challenge_method')).toBe('S256');
    const res = await fetch(consent.url); // the sandbox approves at once and redirects to the loopback listener
    expect(res.status).toBe(200);
    const { refreshToken } = await consent.result;
    const checked = await validateGoogleRefreshToken(refreshToken, endpoints);
    expect(checked.profile.email).toBe(EMAIL);
  });
});

describe('gmail mailbox provider', () => {
  test('draft MIME: text + HTML, our Message-ID, X-Coffee-Chat-Key header', async () => {
    const { c } = clients();
    const ref = await c.mailbox.createDraft(draft('draft-1'));
    const [d] = sandbox.google.drafts(EMAIL);
    expect(d).toMatchObject({
      draftId: ref.draftId,
      messageId: ref.internetMessageId,
      subject: 'Thanks for the chat',
      html: '<p>Thank you!</p>',
    });
    expect(d!.to).toContain('grace@example.org');
    expect(d!.text.trim()).toBe('Thank you!');
    expect(d!.headers['x-coffee-chat-key']).toBe('draft-1');
    expect(ref.version).toBe(d!.id);
  });

  test('create-once: a rate-limited or failed create retried by the caller makes one draft', async () => {
    const { c, calls } = clients();
    sandbox.faults.add({
      provider: 'google',
      kind: 'rate_limit',
      status: 429,
      method: 'POST',
      pathIncludes: '/drafts',
      retryAfterSeconds: 2,
    });
    const err = await rejection(c.mailbox.createDraft(draft('once-1')));
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    calls.length = 0;
    const ref = await c.mailbox.createDraft(draft('once-1'));
    // the retry looked for the draft first (a rejected POST may still have landed), then created it
    expect(calls).toEqual(['GET /gmail/v1/users/:userId/drafts', 'POST /gmail/v1/users/:userId/drafts']);
    expect(sandbox.google.drafts(EMAIL).map((d) => d.draftId)).toEqual([ref.draftId]);

    // A previous attempt whose response was lost (the job died after Gmail stored the draft):
    // the retried job, a second later, finds it by marker instead of creating a second one, although
    // Gmail search does not hold the draft yet (the sandbox's search index lags 1.5 s by default).
    const first = await clients().c.mailbox.createDraft(draft('once-2'));
    const retry = clients();
    const found = await retry.c.mailbox.findDraftByMarker('once-2');
    expect(found).toEqual(first);
    // drafts.list (no q) + the marker headers of the drafts, newest first, read a few at a time
    // (the first batch holds it)
    const [list, ...reads] = retry.calls.filter((x) => !x.includes('/token'));
    expect(list).toBe('GET /gmail/v1/users/:userId/drafts');
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(5);
    expect(new Set(reads)).toEqual(new Set(['GET /gmail/v1/users/:userId/messages/:id']));
    expect(sandbox.google.drafts(EMAIL)).toHaveLength(2);
    expect(await retry.c.mailbox.findDraftByMarker('never-made')).toBeNull();
  });

  test('a series whose master Google refuses (403) does not fail the page: its occurrences come without a frequency', async () => {
    const series = sandbox.google.seedEvent(EMAIL, 'primary', {
      summary: 'Shared office hours',
      start: { dateTime: '2030-05-06T09:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2030-05-06T09:30:00', timeZone: 'Europe/London' },
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
      attendees: [{ email: 'host@example.org' }, { email: EMAIL }],
    });
    sandbox.faults.add({
      provider: 'google',
      method: 'GET',
      pathIncludes: `/events/${String(series.id)}`,
      kind: 'server_error',
      status: 403,
      times: 5,
    });
    const page = await clients().c.calendar.syncCalendar('primary', null, WINDOW);
    const occurrences = page.changed.filter((e) => e.recurringEventId === series.id);
    expect(occurrences).toHaveLength(2);
    expect(occurrences[0]!.recurrenceFrequency).toBeUndefined();
    sandbox.faults.clear();
  });

  test('a marker scan is not lost to one failed read among many: the read is tried again at once', async () => {
    const made = await clients().c.mailbox.createDraft(draft('scan-1'));
    for (let i = 0; i < 5; i++) await clients().c.mailbox.createDraft(draft(`scan-other-${i}`));
    const retry = clients();
    // The read of the draft it looks for fails twice: tried again at once, found.
    const itsRead = `/messages/${made.version}`;
    sandbox.faults.add({
      provider: 'google',
      method: 'GET',
      pathIncludes: itsRead,
      kind: 'server_error',
      status: 503,
      times: 2,
    });
    expect(await retry.c.mailbox.findDraftByMarker('scan-1')).toEqual(made);
    // Three 503s in a row on one read: the scan fails (the job retries later), it never says "none".
    sandbox.faults.add({
      provider: 'google',
      method: 'GET',
      pathIncludes: itsRead,
      kind: 'server_error',
      status: 503,
      times: 3,
    });
    await expect(clients().c.mailbox.findDraftByMarker('scan-1')).rejects.toMatchObject({
      kind: 'transient',
    });
    sandbox.faults.clear();
  });

  test('send detection: draft → edited (new version) → sent; discarded → deleted', async () => {
    const { c, calls } = clients();
    const ref = await c.mailbox.createDraft(draft('s-1'));
    calls.length = 0;
    expect(await c.mailbox.draftState(ref)).toEqual({
      state: 'draft',
      version: ref.version,
      threadId: ref.threadId,
    });
    expect(calls).toHaveLength(1);

    await sandbox.google.editDraftAsUser(EMAIL, ref.draftId, { text: 'Thank you so much!' });
    const edited = await c.mailbox.draftState(ref);
    expect(edited.state === 'draft' && edited.version !== ref.version).toBe(true);

    const updated = await c.mailbox.updateDraft(ref.draftId, draft('s-1', 'Thanks again'));
    expect(updated.draftId).toBe(ref.draftId);
    expect(updated.internetMessageId).toBe(ref.internetMessageId);

    // Sent from Gmail's composer: Gmail's own Message-ID, so the copy is found in the draft's thread.
    const lookup = { ...updated, madeAfter: new Date(Date.now() - 60_000), to: 'grace@example.org' };
    const sent = await sandbox.google.sendDraftAsUser(EMAIL, ref.draftId);
    expect(sent.messageId).not.toBe(ref.internetMessageId);
    calls.length = 0;
    const state = await c.mailbox.draftState(lookup);
    expect(state).toEqual({ state: 'sent', sentAt: new Date(sent.internalDate), messageId: sent.id });
    expect(calls).toHaveLength(2);

    const other = await c.mailbox.createDraft(draft('s-2'));
    sandbox.google.deleteDraftAsUser(EMAIL, other.draftId);
    expect(await c.mailbox.draftState(other)).toEqual({ state: 'deleted' });
    await c.mailbox.deleteDraft(other.draftId); // already gone: not an error
  });

  test('send detection follows a draft the user moved to another thread (new subject), and only its own send', async () => {
    const { c } = clients();
    const madeAfter = new Date(Date.now() - 60_000);
    const ref = await c.mailbox.createDraft(draft('s-3'));
    expect(ref.threadId).toBeTruthy();
    await sandbox.google.editDraftAsUser(EMAIL, ref.draftId, { subject: 'Thanks, and one more thing' });
    const seen = await c.mailbox.draftState({ ...ref, madeAfter });
    expect(seen.state === 'draft' && seen.threadId).toBeTruthy();
    expect(seen.state === 'draft' && seen.threadId).not.toBe(ref.threadId);
    const sent = await sandbox.google.sendDraftAsUser(EMAIL, ref.draftId);
    const lookup = { ...ref, threadId: seen.state === 'draft' ? seen.threadId : undefined, madeAfter };
    expect(await c.mailbox.draftState({ ...lookup, to: 'grace@example.org' })).toEqual({
      state: 'sent',
      sentAt: new Date(sent.internalDate),
      messageId: sent.id,
    });
    // a copy older than the draft, or to someone else, is not this draft's send
    expect(await c.mailbox.draftState({ ...lookup, madeAfter: new Date(Date.now() + 60_000) })).toEqual({
      state: 'deleted',
    });
    expect(await c.mailbox.draftState({ ...lookup, to: 'someone@else.org' })).toEqual({ state: 'deleted' });
  });

  test('the draft link opens the Drafts folder of the account and survives edits', async () => {
    const { c } = clients();
    const ref = await c.mailbox.createDraft(draft('l-1'));
    expect(ref.webLink).toBe(`https://mail.google.com/mail/u/?authuser=${encodeURIComponent(EMAIL)}#drafts`);
    await sandbox.google.editDraftAsUser(EMAIL, ref.draftId, { text: 'edited' });
    const updated = await c.mailbox.updateDraft(ref.draftId, draft('l-1', 'Thanks again'));
    expect(updated.webLink).toBe(ref.webLink);
  });

  test('lastMailExchanged: newest sent or received since an instant, drafts excluded; 1 call when none', async () => {
    const g = sandbox.google;
    const now = Date.now();
    await g.seedMail(EMAIL, {
      direction: 'received',
      from: 'Grace <grace@example.org>',
      to: EMAIL,
      subject: 'hello',
      text: 'x',
      date: new Date(now - 10 * 86400_000),
    });
    await g.seedMail(EMAIL, {
      direction: 'sent',
      to: 'grace@example.org',
      subject: 're: hello',
      text: 'y',
      date: new Date(now - 3 * 86400_000),
    });
    await g.seedMail(EMAIL, {
      direction: 'received',
      from: 'bob@example.net',
      to: EMAIL,
      subject: 'other',
      text: 'z',
      date: new Date(now - 86400_000),
    });
    const { c, calls } = clients();
    await c.mailbox.createDraft(draft('d-1')); // a newer draft to Grace must not count
    calls.length = 0;
    const last = await c.mailbox.lastMailExchanged('Grace@Example.org', new Date(now - 30 * 86400_000));
    expect(last?.getTime()).toBe(now - 3 * 86400_000);
    expect(calls).toHaveLength(2);
    calls.length = 0;
    expect(await c.mailbox.lastMailExchanged('grace@example.org', new Date(now - 2 * 86400_000))).toBeNull();
    expect(calls).toHaveLength(1);
    expect(await c.mailbox.lastMailExchanged('nobody@example.com', new Date(0))).toBeNull();
  });
});
