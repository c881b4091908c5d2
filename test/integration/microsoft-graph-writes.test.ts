// What the worker writes to a Microsoft 365 calendar, on the sandbox with a real database and Redis,
// through the job and command functions (issue 11, items 14, 17 and 18):
// - a prep block taken back (chat cancelled) and made again (chat back) gets a new marker, because
//   Graph refuses a deleted event's transactionId (ErrorDuplicateTransactionId); a retry of one
//   generation still finds its own event;
// - `schedule` before the first sync puts the invite on the default calendar (Graph has no
//   `primary`);
// - an invite on a calendar without Teams (a personal account) does not say a video link is
//   attached.
import { jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { addAccount } from '../../worker/core/accounts.ts';
import { scheduleChat } from '../../worker/core/outreach.ts';
import { createPrep } from '../../worker/jobs/create-prep.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { retractChat } from '../../worker/jobs/retract-chat.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { seedMailbox } from '../../sandbox/scenario.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

jest.setTimeout(120_000);

describe('what the worker writes to a Microsoft calendar', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function account(who: string, opts: { personal?: boolean } = {}) {
    const mb = seedMailbox(stack.sandbox, {
      provider: 'microsoft',
      email: `${who}@contoso.example`,
      name: 'Sam Okafor',
      timeZone: 'Pacific Standard Time',
      ...opts,
    });
    const added = await addAccount(stack.app, {
      provider: 'microsoft',
      refreshToken: mb.refreshToken,
      email: mb.email,
      name: 'Sam Okafor',
    });
    return { mb, accountId: added.account.id };
  }

  const inTwoDays = () =>
    DateTime.now()
      .setZone('America/Los_Angeles')
      .plus({ days: 2 })
      .set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  const events = (email: string) => stack.sandbox.microsoft.events(email);
  const preps = (email: string) =>
    stack.sandbox.microsoft
      .createdEvents(email)
      .filter((e) => (e.attendees as unknown[] | undefined)?.length === 0);

  it('a prep block made again after the chat was cancelled and came back gets a new generation, and a retry of it finds its own', async () => {
    const { mb, accountId } = await account('prep-again');
    const start = inTwoDays().toJSDate();
    const chatEventId = mb.addEvent({
      title: 'Coffee chat with Priya',
      start,
      minutes: 30,
      guests: [{ email: 'priya@example.org', name: 'Priya Raman' }],
    });
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { accountId } });
    await planChat(stack.app, chat.id);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    expect(await createPrep(stack.app, entry.idempotencyKey)).toMatchObject({ outcome: 'created' });
    expect(preps(mb.email)).toHaveLength(1);

    // Cancelled in Outlook: the block is taken back.
    stack.sandbox.microsoft.updateEvent(mb.email, chatEventId, { isCancelled: true });
    await syncAccount(stack.app, accountId);
    await planChat(stack.app, chat.id);
    expect(await retractChat(stack.app, chat.id)).toContain(entry.idempotencyKey);
    expect(preps(mb.email)).toHaveLength(0);

    // …and back on: the block is made anew, under a marker the deleted event never had.
    stack.sandbox.microsoft.updateEvent(mb.email, chatEventId, { isCancelled: false });
    await syncAccount(stack.app, accountId);
    await planChat(stack.app, chat.id);
    expect(await createPrep(stack.app, entry.idempotencyKey)).toMatchObject({ outcome: 'created' });
    expect(preps(mb.email)).toHaveLength(1);
    const again = await stack.app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: entry.id } });
    expect(again.generation).toBe(1);

    // A retry of that generation whose first run's answer was lost: Graph refuses the reused
    // transactionId, the marker lookup gives back the same event (no second block).
    await stack.app.prisma.calendarEntry.update({ where: { id: entry.id }, data: { providerEventId: null } });
    await createPrep(stack.app, entry.idempotencyKey);
    const after = await stack.app.prisma.calendarEntry.findUniqueOrThrow({ where: { id: entry.id } });
    expect(after.providerEventId).toBe(again.providerEventId);
    expect(preps(mb.email)).toHaveLength(1);
    const live = events(mb.email).filter((e) => e.id === again.providerEventId);
    expect(live).toHaveLength(1);
  });

  it('schedule before the first sync puts the invite on the default calendar (Graph has no `primary`), with a Teams link', async () => {
    const { mb } = await account('early');
    const r = await scheduleChat(stack.app, {
      with: 'kenji@example.jp',
      name: 'Kenji Watanabe',
      at: inTwoDays().toISO({ includeOffset: false })!,
      duration: '20m',
      from: mb.email,
    });
    expect(r.conferenceUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    const defaultCalendarId = stack.sandbox.microsoft
      .account(mb.email)
      .calendars.find((c) => c.isDefault)!.id;
    const entry = await stack.app.prisma.calendarEntry.findUniqueOrThrow({
      where: { idempotencyKey: r.key },
    });
    expect(entry.calendarId).toBe(defaultCalendarId);
    const invite = stack.sandbox.microsoft
      .events(mb.email, { calendarId: defaultCalendarId })
      .find((e) => e.id === r.eventId)!;
    expect(String((invite.body as { content: string }).content)).toMatch(/A video link is attached/);
  });

  it('on a personal account (no Teams) the invite is made without a link and does not say one is attached', async () => {
    const { mb, accountId } = await account('personal', { personal: true });
    await syncAccount(stack.app, accountId); // its calendar is known: only the link is in question
    const r = await scheduleChat(stack.app, {
      with: 'rosa@example.org',
      name: 'Rosa Diaz',
      at: inTwoDays().toISO({ includeOffset: false })!,
      duration: '20m',
      from: mb.email,
    });
    expect(r.conferenceUrl).toBeNull();
    const invite = events(mb.email).find((e) => e.id === r.eventId)!;
    expect(invite.isOnlineMeeting).toBe(false);
    const text = String((invite.body as { content: string }).content);
    expect(text).not.toMatch(/video link is attached/i);
    expect(text).toMatch(/#coffeechat/);
  });

  it('the same invite scheduled again after the user deleted it is made anew (a new generation), and scheduling it twice makes one', async () => {
    const { mb, accountId } = await account('again');
    await syncAccount(stack.app, accountId);
    const ask = {
      with: 'ines@example.org',
      name: 'Ines Duarte',
      at: inTwoDays().toISO({ includeOffset: false })!,
      duration: '20m',
      from: mb.email,
    };
    const first = await scheduleChat(stack.app, ask);
    expect((await scheduleChat(stack.app, ask)).eventId).toBe(first.eventId);
    stack.sandbox.microsoft.deleteEvent(mb.email, first.eventId);
    const again = await scheduleChat(stack.app, ask);
    expect(again.eventId).not.toBe(first.eventId);
    expect(events(mb.email).filter((e) => e.id === again.eventId)).toHaveLength(1);
    expect((await scheduleChat(stack.app, ask)).eventId).toBe(again.eventId);
    const entry = await stack.app.prisma.calendarEntry.findUniqueOrThrow({
      where: { idempotencyKey: first.key },
    });
    expect(entry).toMatchObject({ generation: 1, providerEventId: again.eventId });
  });
});
