// The plan-chat job's reconcile (issue 12), on a real database and real Redis with a fixed clock
// (no provider: the plan queue makes no provider calls): what the pure planner wants becomes draft
// rows and queued jobs, and what it no longer wants leaves both.
// - do-not-contact: no confirmation or thank-you is planned (one is for anyone else), those already
//   scheduled are set aside with their jobs removed, the prep block (the user's own) stays, and
//   a finished chat starts no check-in cadence;
// - a chat excluded and then included again gets its drafts and prep block back, a prep block
//   that was taken back is made anew as a new generation.
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { ingestSyncPage } from '../../worker/core/ingest-events.ts';
import { overrideEvent } from '../../worker/core/user-actions.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import type { NeutralEvent } from '../../integrations/provider.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { addSam, person } from '../helpers/review-fixture.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-10T12:00:00Z');

describe('the plan-chat job', () => {
  let db: TestDb;
  let app: App;
  let sam: Awaited<ReturnType<typeof addSam>>;

  beforeAll(async () => {
    db = await openTestDb('embedded');
    app = await createApp({
      config: parseConfig({
        REDIS_URL: process.env.REDIS_URL,
        DATA_DIR: db.dataDir,
        LOG_LEVEL: 'silent',
        QUEUE_PREFIX: `plan-chat-${process.pid}`,
      }),
      db,
      log: pino({ level: 'silent' }),
      now: () => NOW,
      providers: async () => {
        throw new Error('the plan queue makes no provider calls');
      },
    });
    sam = await addSam(app);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  /** A 30-minute coffee chat with `who` starting `fromNow` ms from NOW, synced in. */
  async function chatWith(who: string, fromNow: number) {
    const start = new Date(NOW.getTime() + fromNow);
    const email = `${who.toLowerCase()}@example.org`;
    const ev: NeutralEvent = {
      providerEventId: `ev-${who}`,
      calendarId: 'primary',
      status: 'confirmed',
      title: `Coffee chat with ${who}`,
      description: '',
      start: { kind: 'timed', utc: start.toISOString(), timeZone: 'UTC' },
      end: { kind: 'timed', utc: new Date(start.getTime() + HOUR / 2).toISOString(), timeZone: 'UTC' },
      organizer: { email: 'sam@example.com', name: 'Sam Rivera', self: true },
      attendees: [
        person('sam@example.com', 'Sam Rivera', { self: true, organizer: true }),
        person(email, who),
      ],
      markers: {},
    };
    const { changedChatIds } = await ingestSyncPage(app, sam.account, sam.calendar, {
      changed: [ev],
      removed: [],
      cursor: 'c',
      full: false,
      calls: 0,
    });
    expect(changedChatIds).toHaveLength(1);
    return app.prisma.chat.findUniqueOrThrow({ where: { id: changedChatIds[0]! } });
  }
  const drafts = (chatId: string) =>
    app.prisma.draft
      .findMany({ where: { chatId }, orderBy: { kind: 'asc' } })
      .then((ds) => Object.fromEntries(ds.map((d) => [d.kind, d])));
  const queued = async (key: string) => {
    const job = (await app.queues.actions.getJob(key)) ?? null;
    return job ? await job.getState() : null;
  };
  const pending = (state: string | null) => state === 'delayed' || state === 'waiting';

  it('plans no mail to a do-not-contact contact, sets aside what was scheduled, keeps the prep block', async () => {
    // Ada's chat is five hours away: a prep block, a confirmation (due now) and a thank-you.
    const chat = await chatWith('Ada', 5 * HOUR);
    await planChat(app, chat.id);
    const planned = await drafts(chat.id);
    expect(Object.keys(planned).sort()).toEqual(['confirmation', 'thank_you']);
    for (const d of Object.values(planned)) {
      expect(d.status).toBe('scheduled');
      expect(pending(await queued(d.idempotencyKey))).toBe(true);
    }
    const prep = await app.prisma.calendarEntry.findFirstOrThrow({ where: { chatId: chat.id } });
    expect(pending(await queued(prep.idempotencyKey))).toBe(true);

    await app.prisma.contact.update({ where: { id: chat.contactId }, data: { doNotContact: true } });
    const result = await planChat(app, chat.id);
    expect(result.desired).toEqual([prep.idempotencyKey]);
    for (const d of Object.values(await drafts(chat.id))) {
      expect(d.status).toBe('set_aside');
      expect(await queued(d.idempotencyKey)).toBeNull();
    }
    expect(await app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: prep.id } })).toMatchObject({
      deleted: false,
    });
    expect(pending(await queued(prep.idempotencyKey))).toBe(true);
  });

  it('a finished chat with a do-not-contact contact gets no thank-you and no check-ins; anyone else does', async () => {
    const bo = await chatWith('Bo', -2 * HOUR);
    const cy = await chatWith('Cy', -2 * HOUR);
    await app.prisma.contact.update({ where: { id: bo.contactId }, data: { doNotContact: true } });
    await planChat(app, bo.id);
    await planChat(app, cy.id);

    expect(await drafts(bo.id)).toEqual({});
    expect(await app.prisma.checkInPlan.findUnique({ where: { contactId: bo.contactId } })).toBeNull();

    const cys = await drafts(cy.id);
    expect(cys.thank_you?.status).toBe('scheduled');
    expect(pending(await queued(cys.thank_you!.idempotencyKey))).toBe(true);
    expect(await app.prisma.checkInPlan.findUnique({ where: { contactId: cy.contactId } })).not.toBeNull();
  });

  it('a chat excluded and then included again gets its drafts and a new prep block back', async () => {
    const chat = await chatWith('Dee', 5 * HOUR);
    await planChat(app, chat.id);
    const before = await drafts(chat.id);
    // The prep block was made on the calendar.
    const prep = await app.prisma.calendarEntry.update({
      where: {
        idempotencyKey: (await app.prisma.calendarEntry.findFirstOrThrow({ where: { chatId: chat.id } }))
          .idempotencyKey,
      },
      data: { providerEventId: 'prep-event-1' },
    });

    await overrideEvent(app, chat.id, 'exclude');
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).status).toBe('cancelled');
    const excluded = await planChat(app, chat.id);
    expect(excluded.desired).toEqual([]);
    for (const d of Object.values(await drafts(chat.id))) {
      expect(d.status).toBe('set_aside');
      expect(await queued(d.idempotencyKey)).toBeNull();
    }
    // What was made (the prep block) is for retract-chat to take back.
    expect(pending(await queued(`retract-${chat.id}`))).toBe(true);
    await app.prisma.calendarEntry.update({ where: { id: prep.id }, data: { deleted: true } }); // as retract-chat does

    await overrideEvent(app, chat.id, 'include');
    expect((await app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).status).toBe('upcoming');
    await planChat(app, chat.id);
    const back = await drafts(chat.id);
    expect(Object.keys(back).sort()).toEqual(Object.keys(before).sort());
    for (const d of Object.values(back)) {
      expect(d.status).toBe('scheduled');
      expect(pending(await queued(d.idempotencyKey))).toBe(true);
    }
    const again = await app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: prep.id } });
    expect(again).toMatchObject({ deleted: false, providerEventId: null, generation: prep.generation + 1 });
    expect(pending(await queued(prep.idempotencyKey))).toBe(true);
  });
});
