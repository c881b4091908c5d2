// Strangers' invites do not drive writes (issue 12, "Nothing unwanted" 7), through sync and the
// planner on the sandbox, a real database and real Redis: an invite the user never answered gets
// no draft and no prep block and shows as pending with its reason; a recurring series is one chat
// at a time; a prep block is written only a few days ahead.
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { getStatus } from '../../worker/core/status.ts';
import { createPrep } from '../../worker/jobs/create-prep.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { seedMailbox, type Mailbox } from '../../sandbox/scenario.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

jest.setTimeout(120_000);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("strangers' invites do not drive writes", () => {
  let stack: Stack;
  let mb: Mailbox;
  let accountId: string;

  beforeAll(async () => {
    stack = await startStack();
    mb = seedMailbox(stack.sandbox, {
      provider: 'google',
      email: 'unwanted@gmail.example',
      name: 'Maya Chen',
      timeZone: 'America/Los_Angeles',
    });
    accountId = (
      await addAccount(stack.app, {
        provider: 'google',
        refreshToken: mb.refreshToken,
        email: mb.email,
        name: 'Maya Chen',
      })
    ).account.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Syncs, then plans every chat of the account, as the worker's plan jobs would. */
  async function syncAndPlan() {
    await syncAccount(stack.app, accountId);
    const chats = await stack.app.prisma.chat.findMany({
      where: { accountId },
      orderBy: { startUtc: 'asc' },
    });
    for (const c of chats) await planChat(stack.app, c.id);
    return stack.app.prisma.chat.findMany({
      where: { accountId },
      include: { drafts: true, entries: true, contact: true },
      orderBy: { startUtc: 'asc' },
    });
  }

  it('an invite the user never answered: no drafts, no prep block, pending in status with the reason', async () => {
    const stranger = { email: 'stranger@example.org', name: 'Sam Stranger' };
    mb.addEvent({
      title: 'Coffee chat?',
      start: new Date(Date.now() + 2 * DAY),
      minutes: 30,
      organizer: stranger,
      guests: [stranger],
      response: 'none',
    });
    const chats = (await syncAndPlan()).filter((c) => c.contact.email === stranger.email);
    expect(chats).toHaveLength(1);
    expect(chats[0]!.drafts.filter((d) => d.status === 'scheduled')).toHaveLength(0);
    expect(chats[0]!.entries.filter((e) => !e.deleted)).toHaveLength(0);
    const shown = (await getStatus(stack.app.prisma, new Date())).chats.find((c) => c.id === chats[0]!.id)!;
    expect(shown.status).toBe('pending');
    expect(shown.reasons.join('; ')).toMatch(/you have not accepted the invite from stranger@example.org/);
  });

  it('a recurring series the user accepted is one chat at a time: only the next occurrence is planned', async () => {
    const kim = { email: 'kim@example.org', name: 'Kim Park' };
    mb.addEvent({
      title: 'Coffee chat: Kim / Maya #coffeechat',
      start: new Date(Date.now() + DAY),
      minutes: 30,
      organizer: kim,
      guests: [kim],
      weeklyCount: 6,
    });
    const chats = (await syncAndPlan()).filter((c) => c.contact.email === kim.email);
    expect(chats.length).toBeGreaterThan(1);
    const planned = chats.filter(
      (c) => c.drafts.some((d) => d.status === 'scheduled') || c.entries.some((e) => !e.deleted),
    );
    expect(planned.map((c) => c.id)).toEqual([chats[0]!.id]);
    expect(chats[1]!.waiting).toMatch(/later occurrence of a recurring series/);
  });

  it('a prep block is written only a few days ahead: a chat ten days out gets it later', async () => {
    const lee = { email: 'lee@example.org', name: 'Lee' };
    mb.addEvent({
      title: 'Coffee with Lee',
      start: new Date(Date.now() + 10 * DAY),
      minutes: 30,
      guests: [lee],
    });
    const chat = (await syncAndPlan()).find((c) => c.contact.email === lee.email)!;
    const entry = chat.entries.find((e) => e.kind === 'prep' && !e.deleted)!;
    expect(entry).toBeDefined();
    const out = await createPrep(stack.app, entry.idempotencyKey);
    expect(out.outcome).toBe('skipped');
    expect(mb.createdEvents().filter((e) => e.title.includes('Lee'))).toHaveLength(0);
  });
});
