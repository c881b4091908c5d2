// Contract: the sandbox's identity endpoint and Graph v1.0 behave as Microsoft documents, seen
// through the real @microsoft/microsoft-graph-client (no hand-made Graph calls).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import { graphErrorOf, microsoftFixture } from './microsoft-helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const at = (day: number, hour = 9) => new Date(Date.UTC(2030, 0, 1 + day, hour)).toISOString();
const WINDOW = { startDateTime: '2029-12-01T00:00:00Z', endDateTime: '2030-03-01T00:00:00Z' };
const MARKER_ID = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name coffeeChatKey';

describe('microsoft graph sandbox (real @microsoft/microsoft-graph-client)', () => {
  let fx: Awaited<ReturnType<typeof microsoftFixture>>;
  beforeEach(async () => {
    fx = await microsoftFixture();
  });
  afterEach(async () => {
    await fx.sandbox.close();
  });

  function seed(n: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const ev = fx.sandbox.microsoft.addEvent(fx.email, {
        subject: `Coffee ${i}`,
        start: at(i),
        end: at(i, 10),
        timeZone: 'Tokyo Standard Time',
        attendees: [{ email: `guest${i}@example.org`, name: `Guest ${i}` }],
      });
      ids.push(String(ev.id));
    }
    return ids;
  }

  async function fullRound(graph: ReturnType<typeof fx.client>['graph'], pageSize: number) {
    const headers = { Prefer: `odata.maxpagesize=${pageSize}` };
    const first: PageCollection = await graph
      .api('/me/calendarView/delta')
      .query(WINDOW)
      .headers(headers)
      .get();
    const items: Json[] = [];
    const it = new PageIterator(
      graph,
      first,
      (e) => {
        items.push(e as Json);
        return true;
      },
      { headers },
    );
    await it.iterate();
    return { items, deltaLink: it.getDeltaLink()! };
  }

  test('token endpoint rotates the refresh token; bad and revoked tokens get invalid_grant with AADSTS codes', async () => {
    const { graph, auth } = fx.client();
    const me = await graph.api('/me').get();
    expect(me).toMatchObject({ mail: fx.email, userPrincipalName: fx.email, displayName: 'Ada Lovelace' });
    expect(auth.rotations).toHaveLength(1);
    expect(auth.rotations[0]).not.toBe(fx.refreshToken);

    const post = (token: string) =>
      fetch(fx.sandbox.env.MICROSOFT_TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: 'x' }),
      });
    // The old refresh token is not revoked by rotation (identity platform docs).
    expect((await post(fx.refreshToken)).status).toBe(200);
    const bad = await post('nope');
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as Json;
    expect(badBody).toMatchObject({ error: 'invalid_grant', error_codes: [expect.any(Number)] });
    expect(badBody.error_description).toMatch(/^AADSTS\d+: /);

    fx.sandbox.microsoft.revoke(fx.email);
    const revoked = (await (await post(fx.refreshToken)).json()) as Json;
    expect(revoked).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
    const err = await graphErrorOf(graph.api('/me').get());
    expect(err.statusCode).toBe(401);
    expect(err.code).toBe('InvalidAuthenticationToken');
  });

  test('mailboxSettings gives the Windows zone; calendars list the default calendar', async () => {
    const { graph } = fx.client();
    const settings = await graph.api('/me/mailboxSettings').get();
    expect(settings.timeZone).toBe('Tokyo Standard Time');
    const cals = await graph.api('/me/calendars').get();
    expect(cals.value).toEqual([
      expect.objectContaining({ id: fx.calendarId, isDefaultCalendar: true, canEdit: true }),
    ]);
  });

  test('/me lists proxyAddresses only when selected; an invitation to an alias is answered by the mailbox', async () => {
    fx.sandbox.microsoft.seedAccount({ email: fx.email, aliases: ['ada.l@contoso.example'] });
    const { graph } = fx.client();
    const plain = await graph.api('/me').get();
    expect(plain.mail).toBe(fx.email);
    expect(plain.proxyAddresses).toBeUndefined();
    const picked = await graph.api('/me').select('mail,userPrincipalName,proxyAddresses').get();
    expect(picked).toEqual({
      '@odata.context': expect.any(String),
      mail: fx.email,
      userPrincipalName: fx.email,
      proxyAddresses: [`SMTP:${fx.email}`, 'smtp:ada.l@contoso.example'],
    });
    const ev = fx.sandbox.microsoft.addEvent(fx.email, {
      subject: 'Coffee',
      start: at(3),
      end: at(3, 10),
      organizer: { email: 'grace@example.org' },
      attendees: [
        { email: 'grace@example.org', response: 'organizer' },
        { email: 'Ada.L@contoso.example', response: 'declined' },
      ],
    });
    expect((await graph.api(`/me/events/${ev.id}`).get()).responseStatus.response).toBe('declined');
  });

  test('calendarView delta pages to the deltaLink (PageIterator), then a round trip returns changes and @removed', async () => {
    const ids = seed(7);
    const { graph } = fx.client();
    const before = fx.sandbox.requests.length;
    const { items, deltaLink } = await fullRound(graph, 3);
    expect(items).toHaveLength(7);
    expect(deltaLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/me\/calendarView\/delta\?\$deltatoken=/);
    const deltaCalls = fx.sandbox.requests
      .slice(before)
      .filter((r) => r.endpoint.includes('calendarView/delta'));
    expect(deltaCalls).toHaveLength(3);
    expect(deltaCalls.slice(1).every((r) => r.url.includes('$skiptoken='))).toBe(true);
    expect(items[0]).toMatchObject({
      type: 'singleInstance',
      originalStartTimeZone: 'Tokyo Standard Time',
      start: { timeZone: 'UTC' },
    });

    // idle round: nothing, and a fresh deltaLink
    const idle = await graph.api(deltaLink).get();
    expect(idle.value).toEqual([]);
    expect(idle['@odata.deltaLink']).toBeTruthy();

    fx.sandbox.microsoft.updateEvent(fx.email, ids[1]!, {
      subject: 'Coffee 1 (moved)',
      start: at(1, 11),
      end: at(1, 12),
    });
    fx.sandbox.microsoft.deleteEvent(fx.email, ids[2]!);
    fx.sandbox.microsoft.addEvent(fx.email, { subject: 'New one', start: at(9), end: at(9, 10) });
    const inc = await graph.api(idle['@odata.deltaLink']).get();
    const changed = inc.value.filter((v: Json) => !v['@removed']);
    const removed = inc.value.filter((v: Json) => v['@removed']);
    expect(changed.map((v: Json) => v.subject).sort()).toEqual(['Coffee 1 (moved)', 'New one']);
    expect(changed.find((v: Json) => v.id === ids[1]).start.dateTime).toBe('2030-01-02T11:00:00.0000000');
    expect(removed).toEqual([
      { '@odata.type': '#microsoft.graph.event', id: ids[2], '@removed': { reason: 'deleted' } },
    ]);
  });

  test('the first delta request needs the window; an expired delta token gets 410 syncStateNotFound', async () => {
    seed(2);
    const { graph } = fx.client();
    const noWindow = await graphErrorOf(graph.api('/me/calendarView/delta').get());
    expect(noWindow.statusCode).toBe(400);
    expect(noWindow.code).toBe('ErrorInvalidParameter');

    const { deltaLink } = await fullRound(graph, 10);
    fx.sandbox.microsoft.expireDeltaTokens(fx.email);
    const expired = await graphErrorOf(graph.api(deltaLink).get());
    expect(expired.statusCode).toBe(410);
    expect(expired.code).toBe('syncStateNotFound');

    // the fault registry does the same for one request
    const again = await fullRound(graph, 10);
    fx.sandbox.faults.add({
      provider: 'microsoft',
      kind: 'sync_token_expired',
      pathIncludes: 'calendarView/delta',
    });
    expect((await graphErrorOf(graph.api(again.deltaLink).get())).statusCode).toBe(410);
  });

  test('Prefer outlook.timezone (UTC by default) and outlook.body-content-type are honoured; occurrences carry seriesMasterId, the master its pattern', async () => {
    const series = fx.sandbox.microsoft.addEvent(fx.email, {
      subject: 'Weekly sync',
      start: '2030-01-07T10:00:00+09:00',
      end: '2030-01-07T10:30:00+09:00',
      timeZone: 'Tokyo Standard Time',
      recurrence: { frequency: 'weekly', count: 3 },
    });
    const { graph } = fx.client();
    const utc = await graph.api('/me/calendarView/delta').query(WINDOW).get();
    expect(utc.value).toHaveLength(3);
    const occ = utc.value[0];
    // In delta an occurrence is a stub (microsoft-graph-docs#7632): the rest is on the master or a GET.
    expect(Object.keys(occ).sort()).toEqual(
      ['@odata.etag', '@odata.type', 'end', 'id', 'seriesMasterId', 'start', 'type'].sort(),
    );
    expect(occ).toMatchObject({
      type: 'occurrence',
      seriesMasterId: series.id,
      start: { dateTime: '2030-01-07T01:00:00.0000000', timeZone: 'UTC' },
    });
    expect(await graph.api(`/me/events/${occ.id}`).get()).toMatchObject({
      type: 'occurrence',
      subject: 'Weekly sync',
      recurrence: null,
      isCancelled: false,
      responseStatus: { response: 'organizer' },
      originalStartTimeZone: 'Tokyo Standard Time',
    });
    const pacific = await graph
      .api('/me/calendarView/delta')
      .query(WINDOW)
      .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
      .get();
    expect(pacific.value[0].start).toEqual({
      dateTime: '2030-01-06T17:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
    const html = fx.sandbox.microsoft.addEvent(fx.email, {
      subject: 'Html',
      start: at(20),
      end: at(20, 10),
      bodyHtml: '<p>Agenda:<br>1. &amp; more</p>',
    });
    const asText = await graph
      .api(`/me/events/${html.id}`)
      .header('Prefer', 'outlook.body-content-type="text"')
      .get();
    expect(asText.body).toEqual({ contentType: 'text', content: 'Agenda:\n1. & more' });
    expect((await graph.api(`/me/events/${html.id}`).get()).body.contentType).toBe('html');
    const master = await graph.api(`/me/events/${occ.seriesMasterId}`).get();
    expect(master).toMatchObject({
      type: 'seriesMaster',
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] } },
    });
  });

  test('an occurrence changed on its own is an exception: delta reports it alone (a stub), GET gives its own state', async () => {
    const series = fx.sandbox.microsoft.addEvent(fx.email, {
      subject: 'Weekly coffee',
      start: '2030-01-07T10:00:00Z',
      end: '2030-01-07T10:30:00Z',
      timeZone: 'UTC',
      recurrence: { frequency: 'weekly', count: 3 },
      organizer: { email: 'grace@example.org' },
      attendees: [
        { email: 'grace@example.org', response: 'organizer' },
        { email: fx.email, response: 'accepted' },
      ],
    });
    const { graph } = fx.client();
    const first = await graph.api('/me/calendarView/delta').query(WINDOW).get();
    const [, second, third] = first.value.map((o: { id: string }) => o.id);
    fx.sandbox.microsoft.changeOccurrence(fx.email, second, { response: 'declined' });
    fx.sandbox.microsoft.changeOccurrence(fx.email, third, { isCancelled: true });
    const next = await graph.api(first['@odata.deltaLink']).get();
    expect(next.value.map((o: { id: string; type: string }) => [o.id, o.type])).toEqual([
      [second, 'exception'],
      [third, 'exception'],
    ]);
    expect(next.value[0].responseStatus).toBeUndefined();
    expect(await graph.api(`/me/events/${second}`).get()).toMatchObject({
      type: 'exception',
      seriesMasterId: series.id,
      isCancelled: false,
      responseStatus: { response: 'declined' },
    });
    expect(await graph.api(`/me/events/${third}`).get()).toMatchObject({ isCancelled: true });
    expect(await graph.api(`/me/events/${series.id}`).get()).toMatchObject({
      isCancelled: false,
      responseStatus: { response: 'accepted' },
    });
  });

  test('events: create with Teams meeting and an extended property, find it by $filter, $expand it, patch, delete', async () => {
    const { graph } = fx.client();
    const created = await graph.api('/me/events').post({
      subject: 'Prep: coffee with Grace',
      body: { contentType: 'text', content: 'Read her latest paper' },
      start: { dateTime: '2030-01-10T09:00:00', timeZone: 'India Standard Time' },
      end: { dateTime: '2030-01-10T09:30:00', timeZone: 'India Standard Time' },
      attendees: [
        { type: 'optional', emailAddress: { address: 'grace@example.org', name: 'Grace' } },
        { type: 'resource', emailAddress: { address: 'room1@contoso.example' } },
      ],
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      singleValueExtendedProperties: [{ id: MARKER_ID, value: 'prep-42' }],
    });
    expect(created).toMatchObject({
      originalStartTimeZone: 'India Standard Time',
      start: { dateTime: '2030-01-10T03:30:00.0000000', timeZone: 'UTC' },
      isOnlineMeeting: true,
      onlineMeeting: { joinUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\//) },
      responseStatus: { response: 'organizer' },
      organizer: { emailAddress: { address: fx.email } },
      attendees: [
        expect.objectContaining({
          type: 'optional',
          status: { response: 'none', time: '0001-01-01T00:00:00Z' },
        }),
        expect.objectContaining({ type: 'resource' }),
      ],
    });
    expect(created.singleValueExtendedProperties).toBeUndefined();

    const found = await graph
      .api('/me/events')
      .filter(
        encodeURIComponent(
          `singleValueExtendedProperties/any(ep: ep/id eq '${MARKER_ID}' and ep/value eq 'prep-42')`,
        ),
      )
      .expand(encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${MARKER_ID}')`))
      .get();
    expect(found.value).toHaveLength(1);
    expect(found.value[0].singleValueExtendedProperties).toEqual([{ id: MARKER_ID, value: 'prep-42' }]);
    const none = await graph
      .api('/me/events')
      .filter(
        encodeURIComponent(
          `singleValueExtendedProperties/any(ep: ep/id eq '${MARKER_ID}' and ep/value eq 'other')`,
        ),
      )
      .get();
    expect(none.value).toEqual([]);

    const patched = await graph.api(`/me/events/${created.id}`).patch({ subject: 'Prep (moved)' });
    expect(patched.changeKey).not.toBe(created.changeKey);
    await graph.api(`/me/events/${created.id}`).delete();
    const gone = await graphErrorOf(graph.api(`/me/events/${created.id}`).get());
    expect(gone.statusCode).toBe(404);
    expect(gone.code).toBe('ErrorItemNotFound');
  });

  test('429 with Retry-After is honoured by the SDK retry handler and the POST succeeds once', async () => {
    const { graph } = fx.client();
    fx.sandbox.faults.add({
      provider: 'microsoft',
      kind: 'rate_limit',
      pathIncludes: '/me/messages',
      method: 'POST',
      retryAfterSeconds: 1,
    });
    const t0 = Date.now();
    const draft = await graph.api('/me/messages').post({
      subject: 'Hi',
      body: { contentType: 'html', content: '<p>Hi</p>' },
      toRecipients: [{ emailAddress: { address: 'grace@example.org' } }],
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(draft.isDraft).toBe(true);
    expect(fx.sandbox.counts()['POST /v1.0/me/messages']).toBe(2);
    expect(fx.sandbox.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(fx.sandbox.microsoft.drafts(fx.email)).toHaveLength(1);
  });

  test('a 429 the client does not retry surfaces Graph throttling shape', async () => {
    const { graph } = fx.client({ maxRetries: 0 });
    fx.sandbox.faults.add({
      provider: 'microsoft',
      kind: 'rate_limit',
      pathIncludes: '/me',
      retryAfterSeconds: 7,
    });
    const err = await graphErrorOf(graph.api('/me').get());
    expect(err.statusCode).toBe(429);
    expect(err.code).toBe('TooManyRequests');
    expect(err.headers?.get('Retry-After')).toBe('7');
  });

  test('a draft decodes back to its subject and body; PATCH changes changeKey; send moves it to Sent Items', async () => {
    const { graph } = fx.client();
    const draft = await graph.api('/me/messages').post({
      subject: 'Thank you, Grace',
      body: { contentType: 'html', content: '<p>Thanks for the coffee &amp; advice.</p>' },
      toRecipients: [{ emailAddress: { address: 'grace@example.org', name: 'Grace Hopper' } }],
      singleValueExtendedProperties: [{ id: MARKER_ID, value: 'thanks-7' }],
    });
    expect(draft).toMatchObject({
      isDraft: true,
      internetMessageId: expect.stringMatching(/^<.+@.+>$/),
      webLink: expect.stringMatching(/^https:\/\//),
      changeKey: expect.any(String),
    });
    const got = await graph.api(`/me/messages/${draft.id}`).get();
    expect(got.subject).toBe('Thank you, Grace');
    expect(got.body).toEqual({ contentType: 'html', content: '<p>Thanks for the coffee &amp; advice.</p>' });
    expect(fx.sandbox.microsoft.drafts(fx.email)[0]).toMatchObject({
      subject: 'Thank you, Grace',
      to: ['grace@example.org'],
      text: 'Thanks for the coffee & advice.',
      markers: { [MARKER_ID]: 'thanks-7' },
    });

    const patched = await graph.api(`/me/messages/${draft.id}`).patch({ subject: 'Thank you!' });
    expect(patched.changeKey).not.toBe(draft.changeKey);

    const byMarker = await graph
      .api('/me/mailFolders/drafts/messages')
      .filter(
        encodeURIComponent(
          `singleValueExtendedProperties/any(ep: ep/id eq '${MARKER_ID}' and ep/value eq 'thanks-7')`,
        ),
      )
      .get();
    expect(byMarker.value.map((m: Json) => m.id)).toEqual([draft.id]);

    const sendRes = await graph
      .api(`/me/messages/${draft.id}/send`)
      .responseType('raw' as never)
      .post(null);
    expect((sendRes as unknown as Response).status).toBe(202);
    expect((await graphErrorOf(graph.api(`/me/messages/${draft.id}`).get())).statusCode).toBe(404);
    const sent = await graph
      .api('/me/mailFolders/sentitems/messages')
      .filter(encodeURIComponent(`internetMessageId eq '${draft.internetMessageId}'`))
      .get();
    expect(sent.value).toHaveLength(1);
    expect(sent.value[0]).toMatchObject({
      isDraft: false,
      subject: 'Thank you!',
      internetMessageId: draft.internetMessageId,
    });
    expect(sent.value[0].id).not.toBe(draft.id);
    expect(sent.value[0].conversationId).toBe(draft.conversationId);
    const drafts = await graph.api('/me/mailFolders/drafts/messages').get();
    expect(drafts.value).toEqual([]);
  });

  test('sent from classic Outlook: the Sent Items copy has a new internetMessageId, the same conversationId (and our marker unless dropped)', async () => {
    const { graph } = fx.client();
    const m = fx.sandbox.microsoft;
    const make = (marker: string) =>
      graph.api('/me/messages').post({
        subject: 'Thank you, Grace',
        body: { contentType: 'html', content: '<p>Thanks</p>' },
        toRecipients: [{ emailAddress: { address: 'grace@example.org' } }],
        singleValueExtendedProperties: [{ id: MARKER_ID, value: marker }],
      });
    const sentItems = (filter: string) =>
      graph.api('/me/mailFolders/sentitems/messages').filter(encodeURIComponent(filter)).get();
    const a = await make('classic-a');
    const copyA = m.sendDraft(fx.email, a.id, { newInternetMessageId: true });
    expect(copyA.internetMessageId).not.toBe(a.internetMessageId);
    expect((await sentItems(`internetMessageId eq '${a.internetMessageId}'`)).value).toEqual([]);
    const byMarker = await sentItems(
      `singleValueExtendedProperties/any(ep: ep/id eq '${MARKER_ID}' and ep/value eq 'classic-a')`,
    );
    expect(byMarker.value.map((x: Json) => x.id)).toEqual([copyA.id]);

    const b = await make('classic-b');
    const copyB = m.sendDraft(fx.email, b.id, { newInternetMessageId: true, dropExtendedProperties: true });
    const byConversation = await sentItems(`conversationId eq '${b.conversationId}'`);
    expect(byConversation.value.map((x: Json) => x.id)).toEqual([copyB.id]);
    expect(copyB.markers).toEqual({});
  });

  test('messages: $search participants/from/to and $filter leave drafts out when asked', async () => {
    const { graph } = fx.client();
    fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'inbox',
      from: { email: 'grace@example.org' },
      to: [{ email: fx.email }],
      subject: 'Re: coffee',
      text: 'See you',
      at: '2030-01-03T10:00:00Z',
    });
    fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'sentitems',
      to: [{ email: 'grace@example.org' }],
      subject: 'coffee?',
      text: 'Shall we?',
      at: '2030-01-02T10:00:00Z',
    });
    fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'inbox',
      from: { email: 'alan@example.org' },
      to: [{ email: fx.email }],
      subject: 'Other',
      text: 'x',
      at: '2030-01-04T10:00:00Z',
    });
    await graph.api('/me/messages').post({
      subject: 'draft to grace',
      toRecipients: [{ emailAddress: { address: 'grace@example.org' } }],
    });

    const participants = await graph
      .api('/me/messages')
      .search(encodeURIComponent('"participants:grace@example.org"'))
      .get();
    expect(participants.value.map((m: Json) => m.subject).sort()).toEqual([
      'Re: coffee',
      'coffee?',
      'draft to grace',
    ]);
    const from = await graph.api('/me/messages').search(encodeURIComponent('"from:grace@example.org"')).get();
    expect(from.value.map((m: Json) => m.subject)).toEqual(['Re: coffee']);
    const to = await graph
      .api('/me/messages')
      .search(encodeURIComponent('"to:grace@example.org"'))
      .select('subject,isDraft')
      .get();
    expect(to.value.filter((m: Json) => !m.isDraft).map((m: Json) => m.subject)).toEqual(['coffee?']);

    // The $orderby property leads the $filter, as Graph requires ("Using filter and orderby in the
    // same query", https://learn.microsoft.com/en-us/graph/api/user-list-messages)…
    const filtered = await graph
      .api('/me/messages')
      .filter(encodeURIComponent('receivedDateTime ge 2030-01-03T00:00:00Z and isDraft eq false'))
      .orderby('receivedDateTime desc')
      .get();
    expect(filtered.value.map((m: Json) => m.subject)).toEqual(['Other', 'Re: coffee']);
    // …otherwise 400 InefficientFilter, as for a conversationId filter sorted by date.
    for (const filter of [
      'isDraft eq false and receivedDateTime ge 2030-01-03T00:00:00Z',
      "conversationId eq 'AAQkAGConv-none'",
    ]) {
      const refused = await graphErrorOf(
        graph.api('/me/messages').filter(encodeURIComponent(filter)).orderby('receivedDateTime desc').get(),
      );
      expect({ status: refused.statusCode, code: refused.code }).toEqual({
        status: 400,
        code: 'InefficientFilter',
      });
    }

    const withOrder = await graphErrorOf(
      graph.api('/me/messages').search('"x"').orderby('receivedDateTime desc').get(),
    );
    expect(withOrder.statusCode).toBe(400);
  });

  test('$batch runs up to 20 requests and refuses more', async () => {
    seed(1);
    const { graph } = fx.client();
    const res = await graph.api('/$batch').post({
      requests: [
        { id: '1', method: 'GET', url: '/me' },
        { id: '2', method: 'GET', url: '/me/mailboxSettings' },
        {
          id: '3',
          method: 'POST',
          url: '/me/messages',
          headers: { 'Content-Type': 'application/json' },
          body: { subject: 'batched' },
        },
        { id: '4', method: 'GET', url: '/me/events/nope', dependsOn: [] },
        { id: '5', method: 'GET', url: '/me', dependsOn: ['4'] },
      ],
    });
    const byId = Object.fromEntries(res.responses.map((r: Json) => [r.id, r]));
    expect(byId['1']).toMatchObject({ status: 200, body: { mail: fx.email } });
    expect(byId['2'].body.timeZone).toBe('Tokyo Standard Time');
    expect(byId['3']).toMatchObject({ status: 201, body: { subject: 'batched', isDraft: true } });
    expect(byId['4'].status).toBe(404);
    expect(byId['5'].status).toBe(424);
    const tooMany = await graphErrorOf(
      graph.api('/$batch').post({
        requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' })),
      }),
    );
    expect(tooMany.statusCode).toBe(400);
  });

  test('subscriptions: validationToken handshake, clientState on change notifications, delete', async () => {
    const received: Json[] = [];
    const server = createServer(async (req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
        return;
      }
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push(JSON.parse(body));
      res.writeHead(202).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const { graph } = fx.client();
      const sub = await graph.api('/subscriptions').post({
        changeType: 'created,updated,deleted',
        notificationUrl: `http://127.0.0.1:${port}/hook`,
        resource: 'me/events',
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        clientState: 'secret-123',
      });
      expect(sub).toMatchObject({ resource: 'me/events', clientState: 'secret-123' });
      const ev = fx.sandbox.microsoft.addEvent(fx.email, { subject: 'x', start: at(1), end: at(1, 10) });
      for (let i = 0; i < 50 && !received.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(received[0]!.value[0]).toMatchObject({
        subscriptionId: sub.id,
        clientState: 'secret-123',
        changeType: 'created',
        resourceData: { id: ev.id },
      });
      await graph.api(`/subscriptions/${sub.id}`).delete();
      expect(fx.sandbox.microsoft.subscriptions()).toEqual([]);

      const bad = await graphErrorOf(
        graph.api('/subscriptions').post({
          changeType: 'created',
          notificationUrl: `http://127.0.0.1:${port}/hook?validationToken=wrong`,
          resource: 'me/events',
          expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        }),
      );
      expect(bad.statusCode).toBe(400);
      expect(bad.message).toMatch(/validation/i);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('a secondary calendar has its own delta round; a token from one calendar is refused on another', async () => {
    const work = fx.sandbox.microsoft.addCalendar(fx.email, { name: 'Work' });
    fx.sandbox.microsoft.addEvent(fx.email, {
      calendarId: work.id,
      subject: 'Work coffee',
      start: at(1),
      end: at(1, 10),
    });
    seed(1);
    const { graph } = fx.client();
    const res = await graph.api(`/me/calendars/${work.id}/calendarView/delta`).query(WINDOW).get();
    expect(res.value.map((e: Json) => e.subject)).toEqual(['Work coffee']);
    const deltaLink: string = res['@odata.deltaLink'];
    expect(deltaLink).toContain(`/me/calendars/${work.id}/calendarView/delta?$deltatoken=`);
    const token = deltaLink.split('$deltatoken=')[1];
    const wrong = await graphErrorOf(
      graph.api(`/me/calendars/${fx.calendarId}/calendarView/delta?$deltatoken=${token}`).get(),
    );
    expect(wrong.statusCode).toBe(400);
  });

  test('an expired access token answers 401 InvalidAuthenticationToken with WWW-Authenticate', async () => {
    const { graph } = fx.client();
    await graph.api('/me').get();
    fx.sandbox.microsoft.expireAccessTokens(fx.email);
    const err = await graphErrorOf(graph.api('/me').get());
    expect(err.statusCode).toBe(401);
    expect(err.code).toBe('InvalidAuthenticationToken');
    expect(err.message).toMatch(/Lifetime validation failed/);
    expect(err.headers?.get('WWW-Authenticate')).toMatch(/^Bearer /);
  });

  test('503 with Retry-After is retried by the SDK too; without faults the request log counts per endpoint', async () => {
    const { graph } = fx.client();
    fx.sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      status: 503,
      retryAfterSeconds: 1,
      pathIncludes: '/me/mailboxSettings',
    });
    const t0 = Date.now();
    expect((await graph.api('/me/mailboxSettings').get()).timeZone).toBe('Tokyo Standard Time');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(fx.sandbox.counts()['GET /v1.0/me/mailboxSettings']).toBe(2);
  });

  test('bad requests get the Graph error shape, never a stack trace', async () => {
    const { graph } = fx.client();
    const unknown = await graphErrorOf(graph.api('/me/nothingHere').get());
    expect(unknown.statusCode).toBe(400);
    expect(JSON.parse(String(unknown.body))).toMatchObject({
      code: 'BadRequest',
      message: expect.any(String),
      innerError: { 'request-id': expect.any(String) },
    });
    const badFilter = await graphErrorOf(graph.api('/me/messages').filter('isDraft eq').get());
    expect(badFilter.statusCode).toBe(400);
    expect(String(badFilter.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  test("a reused transactionId (a live or a deleted event's) is refused with ErrorDuplicateTransactionId, not answered with the first event", async () => {
    const { graph } = fx.client();
    const body = {
      subject: 'Prep: coffee with Grace',
      start: { dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-10T09:30:00', timeZone: 'UTC' },
      transactionId: 'coffee-chat:prep-7',
    };
    const first = await graph.api('/me/events').post(body);
    const again = await graphErrorOf(graph.api('/me/events').post(body));
    expect(again.statusCode).toBe(400);
    expect(again.code).toBe('ErrorDuplicateTransactionId');
    await graph.api(`/me/events/${first.id}`).delete();
    fx.sandbox.microsoft.setErrorStatuses({ duplicateTransactionIdStatus: 409 });
    const afterDelete = await graphErrorOf(graph.api('/me/events').post({ ...body, subject: 'Prep again' }));
    expect(afterDelete.statusCode).toBe(409);
    expect(afterDelete.code).toBe('ErrorDuplicateTransactionId');
    expect(fx.sandbox.microsoft.createdEvents(fx.email)).toEqual([]);
    // A new id is a new event.
    await graph.api('/me/events').post({ ...body, transactionId: 'coffee-chat:prep-7-g1' });
    expect(fx.sandbox.microsoft.createdEvents(fx.email)).toHaveLength(1);
  });

  test("Google's calendar id `primary` means nothing to Graph: 400 ErrorInvalidIdMalformed; an unknown real id is 404", async () => {
    const { graph } = fx.client();
    const ev = {
      subject: 'Coffee',
      start: { dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-10T09:30:00', timeZone: 'UTC' },
    };
    const malformed = await graphErrorOf(graph.api('/me/calendars/primary/events').post(ev));
    expect(malformed.statusCode).toBe(400);
    expect(malformed.code).toBe('ErrorInvalidIdMalformed');
    const list = await graphErrorOf(graph.api('/me/calendars/primary/events').get());
    expect(list.code).toBe('ErrorInvalidIdMalformed');
    const unknown = await graphErrorOf(
      graph.api(`/me/calendars/${fx.calendarId.slice(0, -4)}AAAA/events`).post(ev),
    );
    expect(unknown.statusCode).toBe(404);
    expect(unknown.code).toBe('ErrorItemNotFound');
    // The default calendar is /me/calendar (or the isDefaultCalendar entry of /me/calendars).
    const cal = await graph.api('/me/calendar').get();
    expect(cal).toMatchObject({ id: fx.calendarId, isDefaultCalendar: true });
    expect(fx.sandbox.microsoft.createdEvents(fx.email)).toEqual([]);
  });

  test('a personal account offers no Teams: the calendar says so, and an online-meeting create is a 201 without a join URL', async () => {
    const personal = await microsoftFixture({ email: 'sam@outlook.example', personal: true });
    try {
      const { graph } = personal.client();
      const cal = await graph.api('/me/calendar').get();
      expect(cal.allowedOnlineMeetingProviders).not.toContain('teamsForBusiness');
      expect(cal.defaultOnlineMeetingProvider).toBe('skypeForConsumer');
      const ev = await graph.api('/me/events').post({
        subject: 'Coffee',
        start: { dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-01-10T09:30:00', timeZone: 'UTC' },
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
      });
      expect(ev).toMatchObject({
        isOnlineMeeting: false,
        onlineMeetingProvider: 'unknown',
        onlineMeeting: null,
      });
    } finally {
      await personal.sandbox.close();
    }
    const work = await fx.client().graph.api('/me/calendar').get();
    expect(work).toMatchObject({
      allowedOnlineMeetingProviders: ['teamsForBusiness'],
      defaultOnlineMeetingProvider: 'teamsForBusiness',
    });
  });

  test('a server_error fault with afterCommit carries the POST out and answers 503: a blind replay writes twice', async () => {
    const { graph } = fx.client({ maxRetries: 0 });
    fx.sandbox.faults.add({
      provider: 'microsoft',
      kind: 'server_error',
      pathIncludes: '/me/messages',
      method: 'POST',
      afterCommit: true,
    });
    const draft = {
      subject: 'Hi',
      body: { contentType: 'html', content: '<p>Hi</p>' },
      toRecipients: [{ emailAddress: { address: 'grace@example.org' } }],
    };
    const err = await graphErrorOf(graph.api('/me/messages').post(draft));
    expect(err.statusCode).toBe(503);
    expect(err.code).toBe('serviceNotAvailable');
    expect(fx.sandbox.microsoft.drafts(fx.email)).toHaveLength(1);
  });

  test('a message that answers another (In-Reply-To) is in its conversation; $filter on conversationId finds both', async () => {
    const { graph } = fx.client();
    const ask = fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'sentitems',
      to: [{ email: 'iris@example.org' }],
      subject: 'Could I ask your advice, Iris?',
      text: 'hello',
      at: at(20),
    });
    const reply = fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'inbox',
      from: { email: 'iris@example.org' },
      to: [{ email: fx.email }],
      subject: 'RE: Could I ask your advice, Iris?',
      text: 'sure',
      at: at(21),
      inReplyTo: ask.internetMessageId,
    });
    const unrelated = fx.sandbox.microsoft.addMessage(fx.email, {
      folder: 'inbox',
      from: { email: 'iris@example.org' },
      to: [{ email: fx.email }],
      subject: 'Hello',
      text: 'new',
      at: at(22),
    });
    expect(reply.conversationId).toBe(ask.conversationId);
    expect(unrelated.conversationId).not.toBe(ask.conversationId);
    const res = await graph
      .api('/me/messages')
      .filter(encodeURIComponent(`conversationId eq '${ask.conversationId}'`))
      .select('id')
      .get();
    expect(res.value.map((m: Json) => m.id).sort()).toEqual([ask.id, reply.id].sort());
  });
});
