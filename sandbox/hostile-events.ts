// Hostile calendar events, generated from a seed (the same seed gives the same events): what a
// careless client, an import or a stranger can leave on a calendar. The soak (scripts/soak.ts) and
// the hostile ingest test (test/integration/hostile-ingest.test.ts) place them in sandbox mailboxes
// of either provider and check that the worker skips each with a reason or handles it without
// ever addressing anyone outside the event's own attendees.
//
// Most are placed through the seeding API (scenario.ts). What the providers' own APIs refuse to
// create (a Google event that ends before it starts or has an unreadable dateTime) is written into
// the stored event afterwards, as data a sync could still hand over (an old import, another
// client): the worker must not trust a provider to have validated what it stores.
import type { Mailbox, Guest, EventSeed } from './scenario.ts';
import type { Sandbox } from './server.ts';
import type { EventInput } from './microsoft/index.ts';

export type HostileKind =
  | 'end-before-start'
  | 'unreadable-time'
  | 'far-out-times'
  | 'unknown-zone'
  | 'huge-body'
  | 'html-crlf-title'
  | 'crlf-html-guest-name'
  | 'attendees-500'
  | 'malformed-recurrence'
  | 'comma-joined-address'
  | 'not-an-address'
  | 'nul-bytes'
  | 'stranger-daily-series'
  | 'too-long'
  | 'nobody-else';

export const HOSTILE_KINDS: readonly HostileKind[] = [
  'end-before-start',
  'unreadable-time',
  'far-out-times',
  'unknown-zone',
  'huge-body',
  'html-crlf-title',
  'crlf-html-guest-name',
  'attendees-500',
  'malformed-recurrence',
  'comma-joined-address',
  'not-an-address',
  'nul-bytes',
  'stranger-daily-series',
  'too-long',
  'nobody-else',
];

/**
 * What the worker must do with it: `skip` (never a chat; stored with a reason, or refused by the
 * provider), or `handle` (it may be a chat, but anything drafted goes only to its own attendees
 * and every text from it is escaped).
 */
export const EXPECTED: Record<HostileKind, 'skip' | 'handle'> = {
  'end-before-start': 'skip',
  'unreadable-time': 'skip',
  'far-out-times': 'skip',
  'unknown-zone': 'handle',
  'huge-body': 'handle',
  'html-crlf-title': 'handle',
  'crlf-html-guest-name': 'handle',
  'attendees-500': 'skip',
  'malformed-recurrence': 'handle',
  'comma-joined-address': 'skip',
  'not-an-address': 'skip',
  'nul-bytes': 'skip',
  'stranger-daily-series': 'skip',
  'too-long': 'skip',
  'nobody-else': 'skip',
};

export interface HostileEvent {
  /** Position in the generated list (also in the title, to find its stored event). */
  index: number;
  kind: HostileKind;
  /** A tag in the title: `[hostile-<seed>-<index>]`. */
  tag: string;
  seed: EventSeed;
  /** Every address the event itself names (owner, organizer, guests), lower case. */
  addresses: string[];
}

export interface PlacedHostileEvent extends HostileEvent {
  /** Provider event id, or null when the provider refused to create it (then `refused` says why). */
  id: string | null;
  refused?: string;
}

/** mulberry32: a small seeded PRNG, enough for reproducible test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN = 60_000;
/**
 * Occurrences of a stranger's daily series (issue 12 saw 180; ten show the same rule, one chat at
 * a time, and keep a 1,000-event run short).
 */
const SERIES_COUNT = 10;
const HOUR = 60 * MIN;

/**
 * `count` hostile events for the mailbox `owner`, starting between `fromHours` and `toHours` from
 * `now` (whole minutes), one kind after another in a seeded order.
 */
export function generateHostileEvents(opts: {
  seed: number;
  count: number;
  owner: string;
  now: Date;
  fromHours?: number;
  toHours?: number;
  /** Size of the huge description, in characters. Default 256 KiB. */
  hugeBodyChars?: number;
}): HostileEvent[] {
  const rnd = seededRandom(opts.seed);
  const from = opts.fromHours ?? -6;
  const to = opts.toHours ?? 20;
  const huge = opts.hugeBodyChars ?? 256 * 1024;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: HostileEvent[] = [];
  for (let index = 0; index < opts.count; index++) {
    const kind = HOSTILE_KINDS[(index + Math.floor(rnd() * 3)) % HOSTILE_KINDS.length]!;
    const tag = `[hostile-${opts.seed}-${index}]`;
    const startMs = Math.round((opts.now.getTime() + (from + rnd() * (to - from)) * HOUR) / MIN) * MIN;
    const guestEmail = `guest${index}.${opts.seed}@hostile.example`;
    const guest: Guest = { email: guestEmail, name: pick(['Eve', 'Mallory', 'Trudy', 'Oscar']) };
    let seed: EventSeed = {
      title: `Coffee chat ${tag}`,
      start: new Date(startMs),
      minutes: 30,
      description: 'Let us talk.',
      guests: [guest],
    };
    switch (kind) {
      case 'end-before-start':
      case 'unreadable-time':
        break; // written into the stored event after placing (see placeHostileEvent)
      case 'far-out-times':
        seed = { ...seed, start: new Date('0001-01-01T00:00:00Z'), minutes: 60 * 24 * 365 * 9000 };
        break;
      case 'unknown-zone':
        break; // the zone is written after placing (the seeding API checks zones)
      case 'huge-body':
        seed = {
          ...seed,
          description: `<p>${'<b>advice</b> &amp; <script>alert(1)</script> '.repeat(Math.ceil(huge / 52)).slice(0, huge)}</p>`,
        };
        break;
      case 'html-crlf-title':
        seed = {
          ...seed,
          title: `Coffee chat <img src=x onerror=alert(1)> ${tag}\r\nBcc: spy@evil.example\r\n`,
        };
        break;
      case 'crlf-html-guest-name':
        seed = {
          ...seed,
          guests: [{ email: guestEmail, name: 'Eve\r\nBcc: spy@evil.example <script>x</script>' }],
        };
        break;
      case 'attendees-500':
        seed = {
          ...seed,
          guests: Array.from({ length: 500 }, (_, k) => ({
            email: `crowd${k}.${index}@hostile.example`,
            name: `Crowd ${k}`,
          })),
        };
        break;
      case 'malformed-recurrence':
        break; // written after placing
      case 'comma-joined-address':
        seed = {
          ...seed,
          guests: [{ email: `${guestEmail}, spy@evil.example`, name: 'Eve' }],
        };
        break;
      case 'not-an-address':
        seed = { ...seed, guests: [{ email: 'not an address <>', name: 'Nobody' }] };
        break;
      case 'nul-bytes':
        seed = { ...seed, title: `Coffee\u0000chat ${tag}`, description: 'a\u0000b' };
        break;
      case 'stranger-daily-series':
        seed = {
          ...seed,
          title: `Coffee chat? ${tag}`,
          organizer: { email: guestEmail, name: 'Stranger' },
          response: 'none',
          guests: [{ email: guestEmail, name: 'Stranger' }],
        };
        break;
      case 'too-long':
        seed = { ...seed, minutes: 180 };
        break;
      case 'nobody-else':
        seed = { ...seed, guests: [] };
        break;
    }
    const addresses = [
      opts.owner,
      ...(seed.organizer ? [seed.organizer.email] : []),
      ...(seed.guests ?? []).map((g) => g.email),
    ].map((a) => a.toLowerCase());
    out.push({ index, kind, tag, seed, addresses });
  }
  return out;
}

/**
 * Places one hostile event in a mailbox of either provider. An event the provider's API refuses
 * is reported (`refused`), not thrown: it never reaches a sync, which is the provider's handling.
 */
export function placeHostileEvent(sandbox: Sandbox, box: Mailbox, e: HostileEvent): PlacedHostileEvent {
  let id: string;
  try {
    id =
      e.kind === 'stranger-daily-series' && box.provider === 'google'
        ? placeGoogleSeries(sandbox, box, e)
        : e.kind === 'stranger-daily-series'
          ? placeGraph(sandbox, box, e, { recurrence: { frequency: 'daily', count: SERIES_COUNT } }, 'none')
          : e.kind === 'unknown-zone' && box.provider === 'microsoft'
            ? // Graph reports this for a zone it could not name (an ICS VTIMEZONE):
              // https://learn.microsoft.com/en-us/graph/api/resources/event (originalStartTimeZone)
              placeGraph(sandbox, box, e, { originalTimeZoneLabel: 'tzone://Microsoft/Custom' }, 'accepted')
            : box.addEvent(e.seed);
  } catch (err) {
    return { ...e, id: null, refused: err instanceof Error ? err.message : String(err) };
  }
  try {
    corrupt(sandbox, box, e, id);
  } catch (err) {
    return { ...e, id: null, refused: err instanceof Error ? err.message : String(err) };
  }
  return { ...e, id };
}

/** A daily series from a stranger that the user never answered (issue 12: 180 chats from one). */
function placeGoogleSeries(sandbox: Sandbox, box: Mailbox, e: HostileEvent): string {
  const id = box.addEvent(e.seed);
  const ev = storedGoogleEvent(sandbox, box, id);
  ev.recurrence = [`RRULE:FREQ=DAILY;COUNT=${SERIES_COUNT}`];
  return id;
}

function placeGraph(
  sandbox: Sandbox,
  box: Mailbox,
  e: HostileEvent,
  extra: Partial<EventInput>,
  response: 'none' | 'accepted',
): string {
  const organizer = e.seed.organizer;
  const ev = sandbox.microsoft.addEvent(box.email, {
    ...extra,
    subject: e.seed.title,
    start: e.seed.start.toISOString(),
    end: new Date(e.seed.start.getTime() + e.seed.minutes * MIN).toISOString(),
    body: e.seed.description,
    ...(organizer ? { organizer } : {}),
    attendees: [
      { email: box.email, name: box.name, type: 'required', response: organizer ? response : 'organizer' },
      ...(e.seed.guests ?? []).map((g) => ({
        email: g.email,
        name: g.name,
        type: 'required' as const,
        response: organizer?.email === g.email ? ('organizer' as const) : ('accepted' as const),
      })),
    ],
  });
  return String(ev.id);
}

type StoredGoogle = { start: Record<string, unknown>; end: Record<string, unknown>; recurrence?: string[] };

function storedGoogleEvent(sandbox: Sandbox, box: Mailbox, id: string): StoredGoogle {
  const account = sandbox.google.state.account(box.email);
  const ev = account?.calendars.get(account.email)?.events.get(id) as StoredGoogle | undefined;
  if (!ev) throw new Error(`no stored event ${id}`);
  return ev;
}

/** What the provider APIs would refuse, written into the stored event (see the file comment). */
function corrupt(sandbox: Sandbox, box: Mailbox, e: HostileEvent, id: string): void {
  const end = new Date(e.seed.start.getTime() - 90 * MIN).toISOString();
  if (box.provider === 'google') {
    if (e.kind === 'end-before-start')
      storedGoogleEvent(sandbox, box, id).end = { dateTime: end, timeZone: 'UTC' };
    if (e.kind === 'unreadable-time')
      storedGoogleEvent(sandbox, box, id).start = { dateTime: '2026-13-45T99:61:00', timeZone: 'UTC' };
    if (e.kind === 'malformed-recurrence')
      storedGoogleEvent(sandbox, box, id).recurrence = [
        'RRULE:FREQ=SOMETIMES;COUNT=-3;BYDAY=XX',
        'EXDATE:nope',
      ];
    if (e.kind === 'unknown-zone') {
      const ev = storedGoogleEvent(sandbox, box, id);
      ev.start = { ...ev.start, timeZone: 'Mars/Olympus_Mons' };
      ev.end = { ...ev.end, timeZone: 'Mars/Olympus_Mons' };
    }
    return;
  }
  // Graph stores instants, never an unreadable one; an end before the start it does keep.
  if (e.kind === 'end-before-start' || e.kind === 'unreadable-time')
    sandbox.microsoft.updateEvent(box.email, id, { end });
  if (e.kind === 'malformed-recurrence') {
    // Graph validates a recurrence when it is written (recurrencePattern: interval "Required. The
    // number of units between occurrences", numberOfOccurrences "must be positive"), so no sync
    // hands one over: https://learn.microsoft.com/en-us/graph/api/resources/recurrencepattern
    sandbox.microsoft.deleteEvent(box.email, id);
    throw new Error('Graph refuses an invalid recurrence pattern (400 ErrorInvalidRequest)');
  }
}
