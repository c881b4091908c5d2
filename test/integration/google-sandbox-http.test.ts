// The Google sandbox over plain HTTP: what an SDK cannot send (no token, broken JSON, unknown
// paths) still gets Google's error shape, and the admin API works as README.md documents.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await sb.close();
});
beforeEach(() => sb.reset());

const json = async (res: Response) => (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${sb.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function token(refresh: string) {
  const res = await fetch(sb.env.GOOGLE_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: 'c' }),
  });
  return { status: res.status, body: await json(res) };
}

test('admin API: seed account, calendar, events and mail; read back drafts; revoke', async () => {
  const acc = await json(
    await post('/__admin/google/accounts', {
      email: 'Bo@Example.com',
      timeZone: 'Asia/Tokyo',
      refreshToken: 'rt-bo',
    }),
  );
  expect(acc).toEqual({ email: 'bo@example.com', refreshToken: 'rt-bo' });
  const bulk = await post('/__admin/google/accounts', [
    { email: 'x1@example.com' },
    { email: 'x2@example.com' },
  ]);
  expect((await json(bulk)).length).toBe(2);
  const cal = await json(
    await post('/__admin/google/accounts/bo@example.com/calendars', { summary: 'Side' }),
  );
  expect(cal.id).toMatch(/@group\.calendar\.google\.com$/);
  const ev = await post('/__admin/google/accounts/bo@example.com/calendars/primary/events', {
    summary: 'Chat',
    start: { dateTime: '2030-01-01T10:00:00+09:00' },
    end: { dateTime: '2030-01-01T10:30:00+09:00' },
  });
  expect(ev.status).toBe(201);
  const listed = await json(
    await fetch(`${sb.url}/__admin/google/accounts/bo@example.com/calendars/primary/events`),
  );
  expect(listed.items).toHaveLength(1);
  expect(
    (
      await post('/__admin/google/accounts/bo@example.com/mail', {
        direction: 'received',
        from: 'a@b.c',
        to: 'bo@example.com',
        subject: 'hi',
        text: 't',
      })
    ).status,
  ).toBe(201);

  const { body } = await token('rt-bo');
  expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
  const raw = Buffer.from(
    'From: bo@example.com\r\nTo: a@b.c\r\nSubject: Draft here\r\nX-Coffee-Chat-Key: k9\r\n\r\nHello',
  ).toString('base64url');
  const d = await post(
    '/gmail/v1/users/me/drafts',
    { message: { raw } },
    { authorization: `Bearer ${body.access_token}` },
  );
  expect(d.status).toBe(200);
  const drafts = await json(await fetch(`${sb.url}/__admin/google/accounts/bo@example.com/drafts`));
  expect(drafts.drafts[0]).toMatchObject({
    subject: 'Draft here',
    text: 'Hello',
    headers: { 'x-coffee-chat-key': 'k9' },
  });
  expect(drafts.drafts[0].messageId).toMatch(/^<.+@mail\.gmail\.com>$/); // Gmail adds a Message-ID when none was given

  expect((await post('/__admin/google/accounts/bo@example.com/revoke', {})).status).toBe(204);
  expect(await token('rt-bo')).toEqual({
    status: 400,
    body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
  });
  const after = await fetch(`${sb.url}/gmail/v1/users/me/profile`, {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  expect(after.status).toBe(401);
});

test('errors keep Google shapes: no token 401, unknown token 401, broken JSON 400, unknown path 404, bad grant 400', async () => {
  sb.google.seedAccount({ email: 'bo@example.com', refreshToken: 'rt-bo' });
  const none = await fetch(`${sb.url}/calendar/v3/users/me/calendarList`);
  expect(none.status).toBe(401);
  expect((await json(none)).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  const bad = await fetch(`${sb.url}/gmail/v1/users/me/profile`, {
    headers: { authorization: 'Bearer nope' },
  });
  expect(bad.status).toBe(401);
  expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect((await json(bad)).error.errors[0]).toMatchObject({
    reason: 'authError',
    message: 'Invalid Credentials',
  });

  const { body } = await token('rt-bo');
  const auth = { authorization: `Bearer ${body.access_token}` };
  const broken = await post('/calendar/v3/calendars/primary/events', '{"summary":', auth);
  expect(broken.status).toBe(400);
  const b = await json(broken);
  expect(b.error.code).toBe(400);
  expect(JSON.stringify(b)).not.toMatch(/at .*\.ts:\d+/);
  const unknown = await fetch(`${sb.url}/calendar/v3/nope`, { headers: auth });
  expect(unknown.status).toBe(404);
  expect((await json(unknown)).error.code).toBe(404);
  const grant = await fetch(sb.env.GOOGLE_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password',
  });
  expect(grant.status).toBe(400);
  expect((await json(grant)).error).toBe('unsupported_grant_type');
  const slowStart = Date.now();
  sb.faults.add({ provider: 'google', kind: 'slow', delayMs: 150, pathIncludes: '/calendarList' });
  expect((await fetch(`${sb.url}/calendar/v3/users/me/calendarList`, { headers: auth })).status).toBe(200);
  expect(Date.now() - slowStart).toBeGreaterThanOrEqual(150);
});
