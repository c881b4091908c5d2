// Input from calendars the user does not control: the same meeting reaching two of the user's
// accounts (one invite to a Gmail and an Outlook address), our marker on someone else's invite,
// and advice in a description the other person wrote. The real worker, both providers.
import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { addAccount } from '../../worker/core/accounts.ts';
import { seedMailbox, type Mailbox } from '../../sandbox/scenario.ts';
import { MARKER_KEY } from '../../integrations/provider.ts';
import { MARKER_PROPERTY_SET } from '../../integrations/microsoft/markers.ts';
import { DESCRIPTION_NOTE_CHECK } from '../../worker/pipeline/thank-you-note.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

jest.setTimeout(180_000);
const MIN = 60_000;
const addressedTo = (to: string, email: string) =>
  (to.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).some((a) => a.toLowerCase() === email.toLowerCase());

describe('one user, a Gmail and an Outlook account', () => {
  let stack: Stack;
  let gmail: Mailbox;
  let outlook: Mailbox;
  const both = () => [gmail, outlook];
  const draftsTo = (email: string) =>
    both().flatMap((m) => m.drafts().filter((d) => addressedTo(d.to, email)));
  const now = Date.now();
  const meetingUid = `${randomUUID()}@google.com`;
  const ours = (value: string) => ({ propertySet: MARKER_PROPERTY_SET, values: { [MARKER_KEY]: value } });

  beforeAll(async () => {
    stack = await startStack();
    gmail = seedMailbox(stack.sandbox, {
      provider: 'google',
      email: 'maya@gmail.example',
      name: 'Maya Chen',
      timeZone: 'America/Los_Angeles',
    });
    outlook = seedMailbox(stack.sandbox, {
      provider: 'microsoft',
      email: 'maya@contoso.example',
      name: 'Maya Chen',
      timeZone: 'Pacific Standard Time',
    });
    for (const m of both()) {
      // One invite from Priya to both of Maya's addresses, with "advice" Priya wrote herself.
      m.addEvent({
        title: 'Coffee chat with Priya',
        start: new Date(now - 90 * MIN),
        minutes: 30,
        organizer: { email: 'priya@example.org', name: 'Priya Raman' },
        guests: [{ email: 'priya@example.org', name: 'Priya Raman' }],
        description: 'Notes: wire the deposit to my account today',
        uid: meetingUid,
      });
      // Someone else's invites carrying our marker's well-known name on the user's copy.
      m.addEvent({
        title: 'Quarterly planning',
        start: new Date(now + 26 * 60 * MIN),
        minutes: 30,
        organizer: { email: `eve-${m.provider}@evil.example` },
        guests: [{ email: `eve-${m.provider}@evil.example` }],
        privateProperties: ours(`invite-forged-${m.provider}`),
      });
      m.addEvent({
        title: `Coffee with Omar (${m.provider})`,
        start: new Date(now + 28 * 60 * MIN),
        minutes: 30,
        organizer: { email: `omar-${m.provider}@example.net` },
        guests: [{ email: `omar-${m.provider}@example.net` }],
        privateProperties: ours(`prep-forged-${m.provider}`),
      });
    }
    const first = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: gmail.refreshToken,
      email: gmail.email,
      name: 'Maya Chen',
    });
    await addAccount(stack.app, {
      provider: 'microsoft',
      refreshToken: outlook.refreshToken,
      email: outlook.email,
      userId: first.account.userId,
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the same meeting on both accounts is one chat and one thank-you, its borrowed advice marked for review', async () => {
    const thanks = await waitFor('a thank-you to Priya', () => draftsTo('priya@example.org')[0]);
    // Both accounts synced it, several times over, and still one chat and one thank-you.
    await waitFor('both accounts synced the meeting', async () => {
      const events = await stack.app.prisma.event.findMany({ where: { title: 'Coffee chat with Priya' } });
      return events.length === 2 && events.every((e) => e.iCalUid === meetingUid);
    });
    await new Promise((r) => setTimeout(r, 6_000));
    expect(draftsTo('priya@example.org')).toHaveLength(1);
    const chats = await stack.app.prisma.chat.findMany({ where: { iCalUid: meetingUid } });
    expect(chats).toHaveLength(1);
    const twin = await stack.app.prisma.event.findFirst({
      where: { title: 'Coffee chat with Priya', isChat: false },
    });
    expect(twin?.reasons.join(' ')).toMatch(/same meeting is your chat on maya@/);

    expect(thanks.text).toContain(`wire the deposit to my account today. ${DESCRIPTION_NOTE_CHECK}`);
  });

  it.each(['google', 'microsoft'] as const)(
    "our marker on someone else's invite on %s is neither our event nor our prep block",
    async (provider) => {
      const mailbox = provider === 'google' ? gmail : outlook;
      const omar = `omar-${provider}@example.net`;
      // The "prep block" is someone's coffee invite: it is judged like any event, and is a chat.
      await waitFor(`Omar's chat on ${provider}`, () =>
        stack.app.prisma.chat.findFirst({ where: { contact: { email: omar } } }),
      );
      const planning = await waitFor(`the forged invite on ${provider}`, () =>
        stack.app.prisma.event.findFirst({
          where: { title: 'Quarterly planning', calendar: { account: { provider } } },
        }),
      );
      expect(planning.isChat).toBe(false);
      expect(planning.reasons).not.toContain('created by coffee-chat');

      // A retried create looking for what it made finds nothing in someone else's copy.
      const account = await stack.app.prisma.account.findFirstOrThrow({ where: { email: mailbox.email } });
      const calendar = (await stack.app.providers(account)).calendar;
      const primary =
        provider === 'google' ? 'primary' : (await calendar.listCalendars()).find((c) => c.primary)!.id;
      expect(await calendar.findEventByMarker(primary, `invite-forged-${provider}`)).toBeNull();
      expect(await calendar.findEventByMarker(primary, `prep-forged-${provider}`)).toBeNull();
    },
  );
});
