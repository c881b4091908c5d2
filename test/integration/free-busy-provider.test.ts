// CalendarProvider.freeBusy on both providers against the sandbox, through the real SDKs.
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { createGoogleClients } from '../../integrations/google/index.ts';
import { createMicrosoftClients } from '../../integrations/microsoft/index.ts';
import type { BusyInterval, SyncWindow } from '../../integrations/provider.ts';
import { rejection, sandboxEndpoints } from '../helpers/sandbox-endpoints.ts';

// A fixed week; nothing here reads the clock.
const WINDOW: SyncWindow = { from: new Date('2030-01-07T00:00:00Z'), to: new Date('2030-01-12T00:00:00Z') };
const at = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2030, 0, 7 + day, hour, minute));
const plain = (list: BusyInterval[]) =>
  list.map((b) => ({ start: b.start.toISOString(), end: b.end.toISOString(), status: b.status }));

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

describe('google freeBusy', () => {
  const email = 'ada@example.com';
  const calendar = () =>
    createGoogleClients({ provider: 'google', email, refreshToken: 'rt-fb' }, sandboxEndpoints(sandbox))
      .calendar;
  beforeAll(() => {
    sandbox.google.seedAccount({ email, timeZone: 'Europe/Berlin', refreshToken: 'rt-fb' });
    const seed = (start: Date, end: Date, extra: Record<string, unknown> = {}) =>
      sandbox.google.seedEvent(email, 'primary', {
        summary: 'x',
        start: { dateTime: start.toISOString() },
        end: { dateTime: end.toISOString() },
        ...extra,
      });
    seed(at(0, 9), at(0, 10));
    seed(at(0, 9, 30), at(0, 11)); // merged with the one before
    seed(at(1, 14), at(1, 15), { transparency: 'transparent' });
    seed(at(4, 23), at(5, 1)); // clipped at the window's end
  });

  it('answers merged busy periods inside the window, in order', async () => {
    expect(plain(await calendar().freeBusy(WINDOW))).toEqual([
      { start: at(0, 9).toISOString(), end: at(0, 11).toISOString(), status: 'busy' },
      { start: at(4, 23).toISOString(), end: WINDOW.to.toISOString(), status: 'busy' },
    ]);
  });

  it('turns a window past Google’s limit into a one-line bad_request', async () => {
    const err = await rejection(
      calendar().freeBusy({ from: WINDOW.from, to: new Date(WINDOW.from.getTime() + 91 * 86_400_000) }),
    );
    expect(err).toMatchObject({ kind: 'bad_request' });
  });
});

describe.each([false, true])('microsoft freeBusy (personal account: %s)', (personal) => {
  const email = personal ? 'ada@outlook.example' : 'ada@contoso.example';
  let refreshToken: string;
  let calls: string[];
  const calendar = () =>
    createMicrosoftClients(
      {
        provider: 'microsoft',
        email,
        refreshToken,
        onRefreshTokenRotated: async (t) => {
          refreshToken = t;
        },
        onCall: (e) => calls.push(e),
      },
      sandboxEndpoints(sandbox),
    ).calendar;
  beforeAll(() => {
    refreshToken = sandbox.microsoft.seedAccount({
      email,
      name: 'Ada',
      windowsTimeZone: 'W. Europe Standard Time',
      personal,
    }).refreshToken;
    const add = (start: Date, end: Date, extra: Record<string, unknown> = {}) =>
      sandbox.microsoft.addEvent(email, {
        subject: 'x',
        start: start.toISOString(),
        end: end.toISOString(),
        ...extra,
      });
    add(at(0, 9), at(0, 10));
    add(at(1, 9), at(1, 10), {
      organizer: { email: 'lead@example.com' },
      attendees: [{ email, response: 'tentativelyAccepted' }],
    });
    add(at(2, 9), at(2, 10), { showAs: 'oof' });
    add(at(3, 9), at(3, 10), { showAs: 'free' });
    add(at(3, 11), at(3, 12), {
      organizer: { email: 'lead@example.com' },
      attendees: [{ email, response: 'declined' }],
    });
  });

  it('tells busy, tentative and out of office apart and leaves free and declined time free', async () => {
    calls = [];
    expect(plain(await calendar().freeBusy(WINDOW))).toEqual([
      { start: at(0, 9).toISOString(), end: at(0, 10).toISOString(), status: 'busy' },
      { start: at(1, 9).toISOString(), end: at(1, 10).toISOString(), status: 'tentative' },
      { start: at(2, 9).toISOString(), end: at(2, 10).toISOString(), status: 'oof' },
    ]);
    // getSchedule is not supported for personal accounts: the calendar view answers instead.
    expect(calls.some((c) => c.includes('calendarView'))).toBe(personal);
  });
});
