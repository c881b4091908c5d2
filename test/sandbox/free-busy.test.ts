// Contract tests of the sandbox's free/busy endpoints, through the real SDKs: Google Calendar
// freebusy.query and Graph calendar getSchedule, as their reference pages describe them.
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { errorOf, googleFixture } from './google-helpers.ts';
import { graphErrorOf, microsoftFixture } from './microsoft-helpers.ts';

// A fixed Tuesday; nothing here depends on the clock.
const DAY = '2026-12-08';
const at = (hhmm: string) => `${DAY}T${hhmm}:00Z`;

describe('Google freebusy.query', () => {
  let fx: Awaited<ReturnType<typeof googleFixture>>;
  beforeEach(async () => {
    fx ??= await googleFixture();
    fx.reset();
    const seed = (summary: string, start: string, end: string, extra: Record<string, unknown> = {}) =>
      fx.sandbox.google.seedEvent(fx.email, 'primary', {
        summary,
        start: { dateTime: start },
        end: { dateTime: end },
        ...extra,
      });
    seed('standup', at('14:00'), at('14:30'));
    seed('design review', at('14:15'), at('15:00')); // overlaps: one merged period
    seed('focus (shown as free)', at('16:00'), at('17:00'), { transparency: 'transparent' });
    seed('declined', at('18:00'), at('19:00'), {
      organizer: { email: 'boss@example.com' },
      attendees: [{ email: fx.email, responseStatus: 'declined' }],
    });
    seed('cancelled', at('20:00'), at('21:00'), { status: 'cancelled' });
    seed('late', at('22:30'), `2026-12-09T01:00:00Z`); // runs past timeMax: clipped
  });
  afterAll(async () => fx?.sandbox.close());

  it('answers merged busy periods, clipped to the window, leaving out free, declined and cancelled events', async () => {
    const { data } = await fx.client().calendar.freebusy.query({
      requestBody: {
        timeMin: at('00:00'),
        timeMax: at('23:00'),
        items: [{ id: 'primary' }, { id: 'nobody@else.example' }],
      },
    });
    expect(data.kind).toBe('calendar#freeBusy');
    expect(data.calendars?.primary?.busy).toEqual([
      { start: at('14:00'), end: at('15:00') },
      { start: at('22:30'), end: at('23:00') },
    ]);
    // A calendar it cannot read is an error inside the 200, not a request error.
    expect(data.calendars?.['nobody@else.example']?.errors?.[0]?.reason).toBe('notFound');
  });

  it('writes times in the asked timeZone', async () => {
    const { data } = await fx.client().calendar.freebusy.query({
      requestBody: {
        timeMin: at('13:00'),
        timeMax: at('16:00'),
        timeZone: 'America/New_York',
        items: [{ id: 'primary' }],
      },
    });
    expect(data.calendars?.primary?.busy).toEqual([
      { start: `${DAY}T09:00:00-05:00`, end: `${DAY}T10:00:00-05:00` },
    ]);
  });

  it('refuses a missing, empty or too long window, and more than 50 calendars', async () => {
    const q = (body: Record<string, unknown>) =>
      errorOf(fx.client().calendar.freebusy.query({ requestBody: { items: [{ id: 'primary' }], ...body } }));
    const missing = await q({ timeMax: at('12:00') });
    expect(missing.response?.status).toBe(400);
    const empty = await q({ timeMin: at('12:00'), timeMax: at('12:00') });
    expect(empty.response?.data.error?.errors?.[0]?.reason).toBe('timeRangeEmpty');
    const long = await q({ timeMin: at('12:00'), timeMax: '2027-03-15T12:00:00Z' });
    expect(long.response?.status).toBe(400);
    expect(long.message).toMatch(/too long/);
    const tooMany = await q({ timeMin: at('12:00'), timeMax: at('13:00'), calendarExpansionMax: 51 });
    expect(tooMany.response?.status).toBe(400);
    const { data } = await fx.client().calendar.freebusy.query({
      requestBody: {
        timeMin: at('12:00'),
        timeMax: at('13:00'),
        calendarExpansionMax: 1,
        items: [{ id: 'primary' }, { id: fx.email }],
      },
    });
    expect(data.calendars?.[fx.email]?.errors?.[0]?.reason).toBe('tooManyCalendarsRequested');
  });
});

describe('Graph calendar getSchedule', () => {
  let fx: Awaited<ReturnType<typeof microsoftFixture>>;
  const post = (body: Record<string, unknown>, prefer?: string) => {
    const req = fx.client().graph.api('/me/calendar/getSchedule');
    return (prefer ? req.header('Prefer', prefer) : req).post(body);
  };
  const window = (from: string, to: string) => ({
    schedules: [fx.email],
    startTime: { dateTime: from.replace('Z', ''), timeZone: 'UTC' },
    endTime: { dateTime: to.replace('Z', ''), timeZone: 'UTC' },
  });
  afterAll(async () => fx?.sandbox.close());

  it('lists scheduleItems with their status and a merged availabilityView, in the Prefer zone', async () => {
    fx = await microsoftFixture({ windowsTimeZone: 'Pacific Standard Time' });
    const add = (subject: string, start: string, end: string, extra: Record<string, unknown> = {}) =>
      fx.sandbox.microsoft.addEvent(fx.email, { subject, start, end, ...extra });
    add('busy', at('17:00'), at('18:00'));
    add('unanswered invite', at('18:00'), at('18:30'), {
      organizer: { email: 'boss@example.com' },
      attendees: [{ email: fx.email, response: 'notResponded' }],
    });
    add('away', at('19:00'), at('20:00'), { showAs: 'oof' });
    add('elsewhere', at('20:00'), at('21:00'), { showAs: 'workingElsewhere' });
    add('declined', at('21:00'), at('22:00'), {
      organizer: { email: 'boss@example.com' },
      attendees: [{ email: fx.email, response: 'declined' }],
    });
    const res = await post(
      { ...window(at('17:00'), at('22:00')), availabilityViewInterval: 60 },
      'outlook.timezone="Pacific Standard Time"',
    );
    const info = res.value[0];
    expect(info.scheduleId).toBe(fx.email);
    // 0 free or working elsewhere, 1 tentative, 2 busy, 3 out of office; one digit per hour.
    expect(info.availabilityView).toBe('21300');
    expect(info.scheduleItems.map((i: { status: string }) => i.status)).toEqual([
      'busy',
      'tentative',
      'oof',
      'workingElsewhere',
    ]);
    expect(info.scheduleItems[0].start).toEqual({
      dateTime: `${DAY}T09:00:00.0000000`,
      timeZone: 'Pacific Standard Time',
    });
    expect(info.workingHours.daysOfWeek).toContain('monday');
  });

  it('answers in UTC without a Prefer header, and an unknown schedule with an error of its own', async () => {
    fx ??= await microsoftFixture();
    const res = await post({
      ...window(at('00:00'), at('23:00')),
      schedules: [fx.email, 'ghost@nowhere.example'],
    });
    expect(res.value[0].scheduleItems[0].start.timeZone).toBe('UTC');
    expect(res.value[1].error.responseCode).toBe('ErrorMailRecipientNotFound');
  });

  it('refuses more than 62 days, a reversed window and a bad interval', async () => {
    const long = await graphErrorOf(post(window(at('00:00'), '2027-02-09T00:00:00Z')));
    expect(long.statusCode).toBe(400);
    expect(long.code).toBe('ErrorTimeIntervalTooBig');
    const ok = await post(window(at('00:00'), '2027-02-08T00:00:00Z'));
    expect(ok.value).toHaveLength(1);
    expect((await graphErrorOf(post(window(at('10:00'), at('09:00'))))).statusCode).toBe(400);
    const interval = await graphErrorOf(
      post({ ...window(at('00:00'), at('01:00')), availabilityViewInterval: 2 }),
    );
    expect(interval.statusCode).toBe(400);
  });

  it('is not supported for a personal Microsoft account', async () => {
    const personal = await microsoftFixture({ personal: true, email: 'ada@outlook.example' });
    try {
      const r = personal.client().graph.api('/me/calendar/getSchedule');
      const err = await graphErrorOf(
        r.post({
          schedules: [personal.email],
          startTime: { dateTime: `${DAY}T00:00:00`, timeZone: 'UTC' },
          endTime: { dateTime: `${DAY}T12:00:00`, timeZone: 'UTC' },
        }),
      );
      expect(err.statusCode).toBe(403);
    } finally {
      await personal.sandbox.close();
    }
  });
});
