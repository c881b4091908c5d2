// Which calendar events ingest cannot take in (worker/pipeline/event-check.ts), and why.
import { unreadableReason } from '../../worker/pipeline/event-check.ts';
import type { NeutralEvent } from '../../integrations/provider.ts';

const base: NeutralEvent = {
  providerEventId: 'e1',
  calendarId: 'primary',
  status: 'confirmed',
  title: 'Coffee',
  description: '',
  start: { kind: 'timed', utc: '2031-03-05T09:00:00.000Z', timeZone: 'UTC' },
  end: { kind: 'timed', utc: '2031-03-05T09:30:00.000Z', timeZone: 'UTC' },
  organizer: { email: 'sam@example.com', self: true },
  attendees: [
    { email: 'sam@example.com', self: true, organizer: true, resource: false, response: 'accepted' },
    { email: 'eve@example.com', self: false, organizer: false, resource: false, response: 'accepted' },
  ],
  markers: {},
};
const guest = (email: string, resource = false) => ({
  ...base,
  attendees: [
    base.attendees[0]!,
    { email, self: false, organizer: false, resource, response: 'accepted' as const },
  ],
});

test('a plain event, a zero-length one and an all-day one are readable', () => {
  expect(unreadableReason(base)).toBeNull();
  expect(unreadableReason({ ...base, end: base.start })).toBeNull();
  expect(
    unreadableReason({
      ...base,
      start: { kind: 'allDay', date: '2031-03-05' },
      end: { kind: 'allDay', date: '2031-03-06' },
    }),
  ).toBeNull();
});

test('times that do not parse, or an end before the start, are refused with the reason', () => {
  expect(unreadableReason({ ...base, end: { kind: 'timed', utc: 'soon', timeZone: null } })).toBe(
    'ignored: unreadable: end time "soon" is not a time',
  );
  expect(
    unreadableReason({
      ...base,
      start: { kind: 'allDay', date: '2031-02-30' },
      end: { kind: 'allDay', date: '2031-03-01' },
    }),
  ).toMatch(/start time "2031-02-30" is not a time/);
  expect(
    unreadableReason({ ...base, end: { kind: 'timed', utc: '2031-03-05T08:59:00.000Z', timeZone: 'UTC' } }),
  ).toMatch(/^ignored: unreadable: ends .* before it starts/);
});

test('an instant outside the years 1 to 9999 is refused, not left for the database to choke on', () => {
  // 1 January of year 1 in New York is in year 0 in UTC (local mean time): Postgres refuses it.
  const year0 = { kind: 'timed' as const, utc: '0000-12-31T23:59:58.000Z', timeZone: 'America/New_York' };
  expect(unreadableReason({ ...base, start: year0 })).toBe(
    'ignored: unreadable: start time "0000-12-31T23:59:58.000Z" is not a time',
  );
  expect(
    unreadableReason({
      ...base,
      end: { kind: 'timed', utc: '+010000-01-01T00:00:00.000Z', timeZone: 'UTC' },
    }),
  ).toMatch(/end time .* is not a time/);
  expect(
    unreadableReason({
      ...base,
      start: { kind: 'allDay', date: '0000-06-01' },
      end: { kind: 'allDay', date: '0000-06-02' },
    }),
  ).toMatch(/start time "0000-06-01" is not a time/);
  expect(
    unreadableReason({ ...base, start: { kind: 'timed', utc: '0001-01-01T00:00:00.000Z', timeZone: 'UTC' } }),
  ).toBeNull();
});

test.each([
  'eve@example.com, x@evil.example',
  'eve@example.com;x@evil.example',
  'Eve <eve@example.com>',
  'eve@example.com\r\nBcc: x@evil.example',
  '',
])('a guest given as %j is not one mail address', (email) => {
  expect(unreadableReason(guest(email))).toBe(
    `ignored: unreadable: ${JSON.stringify(email)} is not one mail address`,
  );
});

test('the organizer is checked too; a room is not (it never becomes a contact)', () => {
  expect(unreadableReason({ ...base, organizer: { email: 'a, b@evil.example', self: false } })).toMatch(
    /not one mail address/,
  );
  expect(unreadableReason(guest('Conference Room 4', true))).toBeNull();
});
