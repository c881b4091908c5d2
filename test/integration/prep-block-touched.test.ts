// User-touched prep blocks (issue 12, "Nothing unwanted" 8), on the sandbox, a real database and
// real Redis: a prep block is updated or deleted only while it is still as we wrote it (If-Match on
// the etag we stored), never notifying anyone; a chat that grew past an hour is not cancelled.
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { createPrep } from '../../worker/jobs/create-prep.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { retractChat } from '../../worker/jobs/retract-chat.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture } from '../e2e/provider-fixtures.ts';

jest.setTimeout(120_000);
const HOUR = 3_600_000;

describe('a prep block the user touched is theirs', () => {
  let stack: Stack;
  let f: Fixture;
  let accountId: string;

  beforeAll(async () => {
    stack = await startStack();
    f = fixture(stack.sandbox, 'google', 'touched-g');
    accountId = (
      await addAccount(stack.app, {
        provider: 'google',
        refreshToken: f.refreshToken,
        email: f.email,
        name: 'Maya Chen',
      })
    ).account.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A chat with `who` a day ahead, synced, planned and its prep block made. */
  async function chatWithBlock(who: string) {
    const start = new Date(Date.now() + 24 * HOUR);
    const seeded = f.seed({
      title: `Coffee chat with ${who}`,
      start,
      minutes: 30,
      others: [{ email: `${who.toLowerCase()}@example.org`, name: who }],
    });
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({
      where: { contact: { email: `${who.toLowerCase()}@example.org` } },
    });
    await planChat(stack.app, chat.id);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    expect((await createPrep(stack.app, entry.idempotencyKey)).outcome).toBe('created');
    const block = f.createdEvents().find((e) => e.title.includes(who))!;
    return { chat, seeded, entry, block, start };
  }
  const blockOf = (id: string) => stack.sandbox.google.events(f.email).find((e) => e.id === id)!;
  const userNotes = (id: string) =>
    stack.sandbox.google.patchEvent(f.email, 'primary', id, {
      description: '☑ read her blog\nAsk about the reorg',
    });

  it('a moved chat leaves a block the user wrote notes in as they left it', async () => {
    const { chat, seeded, entry, block, start } = await chatWithBlock('Ada');
    userNotes(block.id);
    f.move(seeded.id, new Date(start.getTime() + 2 * HOUR), 30);
    await syncAccount(stack.app, accountId);
    await planChat(stack.app, chat.id);
    const out = await createPrep(stack.app, entry.idempotencyKey);
    expect(out.outcome).not.toBe('moved');
    expect(blockOf(block.id).description).toBe('☑ read her blog\nAsk about the reorg');
  });

  it('a moved chat still moves a block nobody touched', async () => {
    const { chat, seeded, entry, block, start } = await chatWithBlock('Bea');
    const later = new Date(start.getTime() + 2 * HOUR);
    f.move(seeded.id, later, 30);
    await syncAccount(stack.app, accountId);
    await planChat(stack.app, chat.id);
    expect((await createPrep(stack.app, entry.idempotencyKey)).outcome).toBe('moved');
    expect(Date.parse(String((blockOf(block.id).end as { dateTime: string }).dateTime))).toBe(
      later.getTime(),
    );
  });

  it('a cancelled chat leaves a block the user wrote notes in; an untouched one is deleted', async () => {
    const touched = await chatWithBlock('Cem');
    const untouched = await chatWithBlock('Dov');
    userNotes(touched.block.id);
    f.cancel(touched.seeded.id);
    f.cancel(untouched.seeded.id);
    await syncAccount(stack.app, accountId);
    for (const c of [touched.chat, untouched.chat]) {
      await planChat(stack.app, c.id);
      await retractChat(stack.app, c.id);
    }
    expect(blockOf(touched.block.id).status).not.toBe('cancelled');
    expect(blockOf(untouched.block.id).status).toBe('cancelled');
  });

  it('a chat that grew past an hour is not cancelled, and its block stays', async () => {
    const { chat, seeded, block, start } = await chatWithBlock('Eli');
    f.move(seeded.id, start, 90);
    await syncAccount(stack.app, accountId);
    expect((await stack.app.prisma.chat.findUniqueOrThrow({ where: { id: chat.id } })).status).toBe(
      'upcoming',
    );
    await planChat(stack.app, chat.id);
    await retractChat(stack.app, chat.id);
    expect(blockOf(block.id).status).not.toBe('cancelled');
  });

  it('on Microsoft too: a moved chat leaves a block the user renamed, and the cancel leaves it', async () => {
    const m = fixture(stack.sandbox, 'microsoft', 'touched-m');
    const mId = (
      await addAccount(stack.app, {
        provider: 'microsoft',
        refreshToken: m.refreshToken,
        email: m.email,
        name: 'Sam Okafor',
      })
    ).account.id;
    const start = new Date(Date.now() + 24 * HOUR);
    const seeded = m.seed({
      title: 'Coffee chat with Fay',
      start,
      minutes: 30,
      others: [{ email: 'fay@example.org', name: 'Fay' }],
    });
    await syncAccount(stack.app, mId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({
      where: { contact: { email: 'fay@example.org' } },
    });
    await planChat(stack.app, chat.id);
    const entry = await stack.app.prisma.calendarEntry.findFirstOrThrow({
      where: { chatId: chat.id, kind: 'prep' },
    });
    expect((await createPrep(stack.app, entry.idempotencyKey)).outcome).toBe('created');
    const block = m.createdEvents().find((e) => e.title.includes('Fay'))!;
    stack.sandbox.microsoft.updateEvent(m.email, block.id, { subject: 'Prep: Fay (my notes inside)' });

    m.move(seeded.id, new Date(start.getTime() + 2 * HOUR), 30);
    await syncAccount(stack.app, mId);
    await planChat(stack.app, chat.id);
    expect((await createPrep(stack.app, entry.idempotencyKey)).outcome).toBe('left');
    m.cancel(seeded.id);
    await syncAccount(stack.app, mId);
    await planChat(stack.app, chat.id);
    await retractChat(stack.app, chat.id);
    const after = m.createdEvents().find((e) => e.id === block.id);
    expect(after?.title).toBe('Prep: Fay (my notes inside)');
  });
});
