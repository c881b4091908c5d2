// A Google call that hangs holds a worker slot and an account lock: every request (API calls and
// token refreshes) is given up after the session's timeout and surfaces as `transient`.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { createGoogleClients } from '../../integrations/google/index.ts';
import type { ProviderEndpoints } from '../../integrations/provider.ts';
import { sandboxEndpoints, rejection } from '../helpers/sandbox-endpoints.ts';

const EMAIL = 'ada@example.com';
const TOKEN = 'rt-timeout-ada';

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

const clients = () =>
  createGoogleClients({ provider: 'google', email: EMAIL, refreshToken: TOKEN }, endpoints, {
    requestTimeoutMs: 400,
  });

test('a hung calendar call is given up after the timeout, as transient', async () => {
  const { calendar } = clients();
  await calendar.listCalendars(); // token refreshed, connection warm
  sandbox.faults.add({ provider: 'google', kind: 'slow', delayMs: 5_000, pathIncludes: '/calendarList' });
  const t0 = Date.now();
  const err = await rejection(calendar.listCalendars());
  expect(err.kind).toBe('transient');
  expect(Date.now() - t0).toBeLessThan(4_000);
});

test('a hung Gmail call is given up too', async () => {
  const { mailbox, calendar } = clients();
  await calendar.listCalendars();
  sandbox.faults.add({ provider: 'google', kind: 'slow', delayMs: 5_000, pathIncludes: '/drafts' });
  const t0 = Date.now();
  const err = await rejection(mailbox.findDraftByMarker('cc-timeout-1'));
  expect(err.kind).toBe('transient');
  expect(Date.now() - t0).toBeLessThan(4_000);
});
