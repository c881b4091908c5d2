// Contract: the sandbox's Calendar v3 behaves as Google documents, seen through the real SDK.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorOf, googleFixture, header } from './google-helpers.ts';

const day = (n: number, h = 15) => new Date(Date.UTC(2030, 0, 1 + n, h)).toISOString();

describe('google calendar sandbox (real @googleapis/calendar)', () => {
  let fx: Awaited<ReturnType<typeof googleFixture>>;
  beforeAll(async () => {
    fx = await googleFixture();
  });
  beforeEach(() => fx.reset());
  afterAll(async () => {
    await fx.sandbox.close();
  });

  function seed(n: number) {
    for (let i = 0; i < n; i++) {
      fx.sandbox.google.seedEvent(fx.email, 'primary', {
        summary: `Coffee ${i}`,
        start: { dateTime: day(i), timeZone: 'America/New_York' },
        end: { dateTime: day(i, 16), timeZone: 'America/New_York' },
        attendees: [{ email: fx.email, responseStatus: 'accepted' }, { email: `guest${i}@example.org` }],
      });
    }
  }

  test('settings timezone and calendarList', async () => {
    const { calendar } = fx.client();
    const tz = await calendar.settings.get({ setting: 'timezone' });
    expect(tz.data.value).toBe('America/New_York');
    const list = await calendar.calendarList.list();
    expect(list.data.items?.[0]).toMatchObject({ id: fx.email, primary: true, accessRole: 'owner' });
  });

  test('pages to the last page; nextSyncToken only there; sync token round trip returns changed and cancelled', async () => {
    seed(7);
    const { calendar } = fx.client();
    const base = {
      calendarId: 'primary',
      singleEvents: true,
      showDeleted: true,
      maxResults: 3,
      timeMin: day(-1),
      timeMax: day(30),
    };
    const pages = [];
    let pageToken: string | undefined;
    do {
      const res = await calendar.events.list({ ...base, pageToken });
      pages.push(res.data);
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toHaveLength(3);
    expect(pages.slice(0, -1).every((p) => p.nextPageToken && !p.nextSyncToken)).toBe(true);
    const last = pages.at(-1)!;
    expect(last.nextSyncToken).toBeTruthy();
    expect(pages.flatMap((p) => p.items ?? [])).toHaveLength(7);
    const first = pages[0]!.items![0]!;
    expect(first.start?.timeZone).toBe('America/New_York');
    expect(first.attendees?.find((a) => a.email === fx.email)?.self).toBe(true);
    expect(first.organizer?.self).toBe(true);
    expect(first.iCalUID).toMatch(/@google\.com$/);
    expect(first.etag).toBeTruthy();

    // idle incremental: nothing changed
    const idle = await calendar.events.list({ calendarId: 'primary', syncToken: last.nextSyncToken! });
    expect(idle.data.items).toEqual([]);
    expect(idle.data.nextSyncToken).toBeTruthy();

    // one changed, one deleted
    const all = fx.sandbox.google.events(fx.email);
    fx.sandbox.google.patchEvent(fx.email, 'primary', String(all[0]!.id), { summary: 'Moved' });
    fx.sandbox.google.deleteEvent(fx.email, 'primary', String(all[1]!.id));
    const inc = await calendar.events.list({ calendarId: 'primary', syncToken: idle.data.nextSyncToken! });
    const byId = new Map(inc.data.items!.map((e) => [e.id, e]));
    expect(byId.get(String(all[0]!.id))?.summary).toBe('Moved');
    expect(byId.get(String(all[1]!.id))?.status).toBe('cancelled');
    expect(inc.data.items).toHaveLength(2);
  });

  test('invalidated sync token → 410 fullSyncRequired; syncToken with timeMin → 400', async () => {
    seed(1);
    const { calendar } = fx.client();
    const full = await calendar.events.list({ calendarId: 'primary', singleEvents: true });
    fx.sandbox.google.invalidateSyncTokens(fx.email);
    const gone = await errorOf(
      calendar.events.list({ calendarId: 'primary', syncToken: full.data.nextSyncToken! }),
    );
    expect(gone.status).toBe(410);
    expect(gone.response?.data.error?.errors?.[0]?.reason).toBe('fullSyncRequired');

    const bad = await errorOf(
      calendar.events.list({ calendarId: 'primary', syncToken: 'x', timeMin: day(0) }),
    );
    expect(bad.status).toBe(400);
    expect(bad.response?.data.error?.code).toBe(400);
  });

  test('sync_token_expired fault → 410 on the next incremental only', async () => {
    const { calendar } = fx.client();
    const full = await calendar.events.list({ calendarId: 'primary' });
    fx.sandbox.faults.add({ provider: 'google', kind: 'sync_token_expired' });
    await calendar.calendarList.list(); // not an incremental sync: the fault waits
    const gone = await errorOf(
      calendar.events.list({ calendarId: 'primary', syncToken: full.data.nextSyncToken! }),
    );
    expect(gone.status).toBe(410);
  });

  test('rate limit: 403 rateLimitExceeded with Retry-After reaches the client (POST is not retried)', async () => {
    const { calendar } = fx.client();
    fx.sandbox.faults.add({
      provider: 'google',
      kind: 'rate_limit',
      method: 'POST',
      pathIncludes: '/events',
      retryAfterSeconds: 7,
    });
    const err = await errorOf(
      calendar.events.insert({
        calendarId: 'primary',
        requestBody: { summary: 'x', start: { dateTime: day(1) }, end: { dateTime: day(1, 16) } },
      }),
    );
    expect(err.status).toBe(403);
    expect(err.response?.data.error?.errors?.[0]?.reason).toBe('rateLimitExceeded');
    expect(header(err.response?.headers, 'retry-after')).toBe('7');
    expect(fx.sandbox.google.events(fx.email)).toHaveLength(0);
  });

  test('a 403 is an auth error to google-auth-library: with forceRefreshOnFailure it refreshes and replays once', async () => {
    // google-auth-library OAuth2Client.requestAsync treats 401 AND 403 as auth errors; a 403
    // rateLimitExceeded therefore costs a token refresh and a replay when forceRefreshOnFailure is on.
    const { calendar } = fx.client({ forceRefreshOnFailure: true });
    await calendar.settings.get({ setting: 'timezone' });
    fx.sandbox.faults.add({ provider: 'google', kind: 'rate_limit', pathIncludes: '/settings', times: 2 });
    const err = await errorOf(calendar.settings.get({ setting: 'timezone' }));
    expect(err.status).toBe(403);
    expect(fx.sandbox.requests.filter((r) => r.endpoint === 'POST /token')).toHaveLength(2);
  });

  test('recurring weekly series expands to instances with recurringEventId/originalStartTime', async () => {
    const master = fx.sandbox.google.seedEvent(fx.email, 'primary', {
      summary: 'Weekly sync',
      start: { dateTime: '2030-03-04T10:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2030-03-04T10:30:00', timeZone: 'America/New_York' },
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO'],
    });
    const { calendar } = fx.client();
    const res = await calendar.events.list({
      calendarId: 'primary',
      singleEvents: true,
      timeMin: '2030-03-01T00:00:00Z',
      timeMax: '2030-04-30T00:00:00Z',
    });
    expect(res.data.items).toHaveLength(4);
    const [a, , c] = res.data.items!;
    expect(a!.recurringEventId).toBe(master.id);
    expect(a!.originalStartTime?.dateTime).toBe('2030-03-04T10:00:00-05:00');
    // DST starts 2030-03-10 in New York: wall-clock time stays 10:00
    expect(c!.start?.dateTime).toBe('2030-03-18T10:00:00-04:00');
    const raw = await calendar.events.list({ calendarId: 'primary', timeMin: '2030-03-01T00:00:00Z' });
    expect(raw.data.items?.[0]?.recurrence).toEqual(['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO']);
  });

  test('insert with conferenceDataVersion=1 createRequest → hangoutLink; private extended property filter; delete → cancelled', async () => {
    const { calendar } = fx.client();
    const ins = await calendar.events.insert({
      calendarId: 'primary',
      conferenceDataVersion: 1,
      requestBody: {
        summary: 'Prep',
        start: { dateTime: day(2), timeZone: 'Europe/Paris' },
        end: { dateTime: day(2, 16), timeZone: 'Europe/Paris' },
        extendedProperties: { private: { coffeeChatKey: 'k1' } },
        conferenceData: {
          createRequest: { requestId: 'r1', conferenceSolutionKey: { type: 'hangoutsMeet' } },
        },
      },
    });
    expect(ins.data.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(ins.data.conferenceData?.createRequest?.status?.statusCode).toBe('success');
    const found = await calendar.events.list({
      calendarId: 'primary',
      privateExtendedProperty: ['coffeeChatKey=k1'],
    });
    expect(found.data.items?.map((e) => e.id)).toEqual([ins.data.id]);
    const sync = found.data.nextSyncToken!;
    await calendar.events.delete({ calendarId: 'primary', eventId: ins.data.id! });
    const again = await errorOf(calendar.events.delete({ calendarId: 'primary', eventId: ins.data.id! }));
    expect(again.status).toBe(410);
    const missing = await errorOf(calendar.events.get({ calendarId: 'primary', eventId: 'nosuchevent' }));
    expect(missing.status).toBe(404);
    const full = await calendar.events.list({ calendarId: 'primary', syncToken: sync });
    expect(full.data.items?.[0]).toMatchObject({ id: ins.data.id, status: 'cancelled' });
  });

  test('events.watch delivers sync then exists notifications with X-Goog-* headers; channels.stop ends them', async () => {
    const received: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      received.push(req.headers);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const { calendar } = fx.client();
      const ch = await calendar.events.watch({
        calendarId: 'primary',
        requestBody: { id: 'chan-1', type: 'web_hook', address, token: 'tok=1' },
      });
      expect(ch.data.resourceId).toBeTruthy();
      await waitFor(() => received.length >= 1);
      seed(1);
      await waitFor(() => received.length >= 2);
      expect(received[0]).toMatchObject({
        'x-goog-channel-id': 'chan-1',
        'x-goog-resource-state': 'sync',
        'x-goog-message-number': '1',
        'x-goog-channel-token': 'tok=1',
      });
      expect(received[1]).toMatchObject({
        'x-goog-resource-state': 'exists',
        'x-goog-message-number': '2',
        'x-goog-resource-id': ch.data.resourceId,
      });
      await calendar.channels.stop({ requestBody: { id: 'chan-1', resourceId: ch.data.resourceId } });
      seed(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  test('expired access token → 401, the client refreshes once and succeeds; revoked → invalid_grant', async () => {
    const { calendar, oauth } = fx.client({ forceRefreshOnFailure: true });
    await calendar.settings.get({ setting: 'timezone' });
    fx.sandbox.google.expireAccessTokens(fx.email);
    const ok = await calendar.settings.get({ setting: 'timezone' });
    expect(ok.status).toBe(200);
    const tokenCalls = fx.sandbox.requests.filter((r) => r.endpoint === 'POST /token').length;
    expect(tokenCalls).toBe(2);
    fx.sandbox.google.revoke(fx.email);
    const err = await errorOf(calendar.settings.get({ setting: 'timezone' }));
    expect(err.response?.data.error).toBe('invalid_grant');
    void oauth;
  });
});

async function waitFor(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
