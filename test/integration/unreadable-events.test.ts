// One unreadable calendar event or one draft whose check throws must not stop an account (issue 12
// item 3, issue 13 item 8): the sync job and send detection on a real database and Redis, with the
// provider clients standing in (they hand over what a provider could send).
import { jest } from '@jest/globals';
import type { App } from '../../worker/app.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { getStatus } from '../../worker/core/status.ts';
import type {
  DraftLookup,
  DraftState,
  NeutralEvent,
  ProviderClients,
  SyncPage,
} from '../../integrations/provider.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { createReviewApp, person } from '../helpers/review-fixture.ts';

jest.setTimeout(60_000);
const HOUR = 3_600_000;
const NOW = new Date('2031-03-04T09:00:00Z');

let db: TestDb;
let app: App;
const pages: SyncPage[] = [];
let draftState: (ref: DraftLookup) => Promise<DraftState> = async () => ({ state: 'draft', version: '1' });

const clients = {
  calendar: {
    provider: 'google',
    listCalendars: async () => [],
    syncCalendar: async () => {
      const page = pages.shift();
      if (!page) throw new Error('no page left in this test');
      return page;
    },
  },
  mailbox: {
    provider: 'google',
    draftState: (ref: DraftLookup) => draftState(ref),
    // Nothing listed: every draft is asked about alone (the path under test).
    listDrafts: async () => new Map(),
  },
} as unknown as ProviderClients;

function event(id: string, over: Partial<NeutralEvent> = {}, startsInHours = 24): NeutralEvent {
  const start = new Date(NOW.getTime() + startsInHours * HOUR);
  return {
    providerEventId: id,
    calendarId: 'primary',
    status: 'confirmed',
    title: 'Coffee chat',
    description: '',
    start: { kind: 'timed', utc: start.toISOString(), timeZone: 'UTC' },
    end: { kind: 'timed', utc: new Date(start.getTime() + HOUR / 2).toISOString(), timeZone: 'UTC' },
    attendees: [
      person('sam@example.com', 'Sam', { self: true, organizer: true }),
      person(`${id}@example.org`, 'Guest'),
    ],
    markers: {},
    ...over,
  };
}
const page = (changed: NeutralEvent[], cursor: string): SyncPage => ({
  changed,
  removed: [],
  cursor,
  full: false,
  calls: 1,
});

/** A user (UTC) with one Google account and its watched primary calendar. */
async function addUser(email: string) {
  const user = await app.prisma.user.create({ data: { name: 'Sam Rivera', timeZone: 'UTC' } });
  const account = await app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email,
      refreshTokenEnc: 'x',
      tokenKeyId: 'k1',
      scopes: [],
      timeZone: 'UTC',
    },
  });
  const calendar = await app.prisma.calendar.create({
    data: {
      accountId: account.id,
      providerCalendarId: 'primary',
      name: 'Sam',
      primary: true,
      selected: true,
      timeZone: 'UTC',
    },
  });
  return { user, account, calendar };
}

beforeAll(async () => {
  db = await openTestDb('embedded');
  app = await createReviewApp(db, 'unreadable', async () => clients as never);
  app.now = () => NOW;
});
afterAll(async () => {
  await app?.queues.plan.obliterate({ force: true }).catch(() => undefined);
  await app?.close();
  await db?.dispose();
});

describe('an unreadable event', () => {
  test('is skipped with its reason while the rest of the page is taken and the cursor saved', async () => {
    const { account, calendar } = await addUser('sam@example.com');
    const at = (h: number) => new Date(NOW.getTime() + h * HOUR).toISOString();
    pages.push(
      page(
        [
          event('bad-time', { start: { kind: 'timed', utc: '', timeZone: null } }),
          event('backwards', {
            start: { kind: 'timed', utc: at(30), timeZone: 'UTC' },
            end: { kind: 'timed', utc: at(29), timeZone: 'UTC' },
          }),
          event('two-in-one', {
            attendees: [
              person('sam@example.com', 'Sam', { self: true, organizer: true }),
              person('eve@example.com, x@evil.example', 'Eve'),
            ],
          }),
          event('good'),
        ],
        'cursor-1',
      ),
    );
    const summary = await syncAccount(app, account.id);
    expect(summary.chats).toBe(1);
    expect((await app.prisma.calendar.findUniqueOrThrow({ where: { id: calendar.id } })).syncCursor).toBe(
      'cursor-1',
    );
    const chats = await app.prisma.chat.findMany({ include: { contact: true } });
    expect(chats.map((c) => c.contact.email)).toEqual(['good@example.org']);
    expect(await app.prisma.contact.count({ where: { email: { contains: 'evil' } } })).toBe(0);

    const status = await getStatus(app.prisma, NOW);
    const reasonOf = (title: string) => status.ignored.filter((e) => e.title === title).map((e) => e.reasons);
    const ignored = await app.prisma.event.findMany({
      where: { isChat: false },
      orderBy: { providerEventId: 'asc' },
    });
    expect(ignored.map((e) => [e.providerEventId, e.reasons.join('; ')])).toEqual([
      ['backwards', expect.stringMatching(/^ignored: unreadable: ends .* before it starts/)],
      ['bad-time', expect.stringMatching(/^ignored: unreadable: start time/)],
      ['two-in-one', expect.stringMatching(/^ignored: unreadable: .*"eve@example.com, x@evil.example"/)],
    ]);
    expect(reasonOf('Coffee chat').length).toBe(3);

    // The next page goes on from the saved cursor.
    pages.push(page([], 'cursor-2'));
    await syncAccount(app, account.id);
    expect((await app.prisma.calendar.findUniqueOrThrow({ where: { id: calendar.id } })).syncCursor).toBe(
      'cursor-2',
    );
  });

  test('an event Postgres refuses to store (a NUL byte in its title) is skipped; the page goes on', async () => {
    const { account, calendar } = await addUser('nul@example.com');
    pages.push(page([event('nul', { title: 'Coffee\u0000chat' }), event('fine')], 'cursor-nul'));
    await syncAccount(app, account.id);
    expect((await app.prisma.calendar.findUniqueOrThrow({ where: { id: calendar.id } })).syncCursor).toBe(
      'cursor-nul',
    );
    const stored = await app.prisma.event.findMany({
      where: { calendarId: calendar.id },
      orderBy: { providerEventId: 'asc' },
    });
    expect(stored.map((e) => [e.providerEventId, e.isChat, e.reasons[0]])).toEqual([
      ['fine', true, expect.any(String)],
      ['nul', false, expect.stringMatching(/^ignored: unreadable: /)],
    ]);
  });

  test('a chat whose guest address turns into two addresses is dropped, never addressed to the second', async () => {
    const { account } = await addUser('sam2@example.com');
    const good = event('later', {
      attendees: [
        person('sam2@example.com', 'Sam', { self: true, organizer: true }),
        person('eve@example.com', 'Eve'),
      ],
    });
    pages.push(page([good], 'c1'));
    await syncAccount(app, account.id);
    const chat = await app.prisma.chat.findFirstOrThrow({ where: { accountId: account.id } });
    expect(chat.status).toBe('upcoming');
    pages.push(
      page(
        [
          {
            ...good,
            attendees: [good.attendees[0]!, person('eve@example.com, x@evil.example', 'Eve')],
          },
        ],
        'c2',
      ),
    );
    await syncAccount(app, account.id);
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).status).toBe('cancelled');
    expect(await app.prisma.contact.count({ where: { email: { contains: 'evil' } } })).toBe(0);
  });
});

describe('send detection', () => {
  test('one draft whose check throws does not stop the others, and the job ends failed', async () => {
    const { account, user } = await addUser('sam3@example.com');
    const draft = (n: number) =>
      app.prisma.draft.create({
        data: {
          userId: user.id,
          accountId: account.id,
          kind: 'confirmation',
          idempotencyKey: `track-${n}`,
          status: 'created',
          providerDraftId: `d${n}`,
          internetMessageId: `<m${n}@example.com>`,
          dueAt: NOW,
        },
      });
    const broken = await draft(1);
    const sent = await draft(2);
    draftState = async (ref) => {
      if (ref.draftId === 'd1')
        throw new TypeError("Cannot read properties of undefined (reading 'headers')");
      return { state: 'sent', sentAt: NOW };
    };
    await expect(trackDrafts(app, account.id)).rejects.toThrow(/1 of 2 drafts.*headers/);
    expect((await app.prisma.draft.findUniqueOrThrow({ where: { id: sent.id } })).status).toBe('sent');
    const stuck = await app.prisma.draft.findUniqueOrThrow({ where: { id: broken.id } });
    expect(stuck.status).toBe('created');
    expect(stuck.lastError).toMatch(/headers/);
  });
});
