// The Graph access token goes only to MICROSOFT_GRAPH_BASE_URL's origin. A stored deltaLink (the
// sync cursor, in the database) or a nextLink pointing anywhere else must not receive it: the
// sync cursor is treated as expired (a full sync starts over) and no request leaves for that host.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { ensureSandboxTls } from '../../sandbox/tls.ts';
import { createMicrosoftClients } from '../../integrations/microsoft/index.ts';
import { createGraphHandle } from '../../integrations/microsoft/graph-client.ts';
import type { ProviderEndpoints } from '../../integrations/provider.ts';
import { sandboxEndpoints, rejection } from '../helpers/sandbox-endpoints.ts';

const EMAIL = 'ada@contoso.example';

describe('the Graph bearer token stays on the Graph origin', () => {
  let sandbox: Sandbox;
  let endpoints: ProviderEndpoints;
  let refreshToken: string;
  let calendarId: string;
  let elsewhere: Server;
  let elsewhereUrl: string;
  const seen: { url: string; authorization?: string }[] = [];

  beforeAll(async () => {
    // Another host (another port is another origin) with a certificate this process trusts.
    const tls = await ensureSandboxTls(process.env.SANDBOX_TLS_DIR!);
    elsewhere = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    elsewhereUrl = `https://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => elsewhere.close(r));
  });
  beforeEach(async () => {
    seen.length = 0;
    sandbox = await startSandbox();
    const seeded = sandbox.microsoft.seedAccount({ email: EMAIL, name: 'Ada Lovelace' });
    refreshToken = seeded.refreshToken;
    calendarId = seeded.defaultCalendarId;
    endpoints = sandboxEndpoints(sandbox);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const creds = () => ({ provider: 'microsoft' as const, email: EMAIL, refreshToken });

  test('a stored deltaLink on another host is an expired cursor, and nothing is sent there', async () => {
    const { calendar } = createMicrosoftClients(creds(), endpoints);
    const cursor = JSON.stringify({
      deltaLink: `${elsewhereUrl}/v1.0/me/calendars/${calendarId}/calendarView/delta?$deltatoken=x`,
      windowStart: Date.UTC(2030, 0, 1),
      windowEnd: Date.UTC(2030, 6, 1),
    });
    const err = await rejection(
      calendar.syncCalendar(calendarId, cursor, {
        from: new Date(Date.UTC(2030, 0, 1)),
        to: new Date(Date.UTC(2030, 6, 1)),
      }),
    );
    expect(err.kind).toBe('cursor_expired');
    expect(seen).toEqual([]);
  });

  test('no request with the token leaves for a URL off the Graph origin', async () => {
    const graph = createGraphHandle(creds(), endpoints);
    const err = await rejection(
      graph.call('next page', (c) => c.api(`${elsewhereUrl}/v1.0/me/events`).get()),
    );
    expect(err.kind).toBe('bad_request');
    expect(seen.filter((s) => s.authorization)).toEqual([]);
  });
});
