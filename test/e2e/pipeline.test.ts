// The product end to end, for Google and for Microsoft: the real worker process, real Redis, the
// embedded database and the provider sandbox, with delays shortened by configuration.
import { jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { addAccount } from '../../worker/core/accounts.ts';
import { setChatNote, stopContact } from '../../worker/core/user-actions.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from './provider-fixtures.ts';

const MIN = 60_000;
/** The exact address among a To header's ("Ana Lopez <ana@example.com>, …"): a@… is not ana@…. */
const addressedTo = (to: string, email: string) =>
  (to.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).some((a) => a.toLowerCase() === email.toLowerCase());
const utc = (s: string) => DateTime.fromISO(s, { zone: 'utc' }).toMillis();
jest.setTimeout(180_000);

describe.each<Kind>(['google', 'microsoft'])('the coffee-chat pipeline on %s', (kind) => {
  let stack: Stack;
  let f: Fixture;

  beforeAll(async () => {
    stack = await startStack({ env: { CHECK_IN_CADENCE: 'PT6S', THANK_YOU_DELAY: 'PT2S' } });
    f = fixture(stack.sandbox, kind, `e2e-${kind}`);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const draftsTo = (email: string, kindWord?: RegExp) =>
    f.drafts().filter((d) => addressedTo(d.to, email) && (!kindWord || kindWord.test(d.subject + d.text)));

  it('drafts, preps and ignores the right things, and follows cancels and reschedules', async () => {
    const now = Date.now();
    f.seed({
      title: 'Coffee chat with Priya',
      start: new Date(now - 90 * MIN),
      minutes: 30,
      others: [{ email: 'priya@example.org', name: 'Priya Raman' }],
    });
    const tomorrow = f.seed({
      title: 'Virtual coffee: Kenji',
      start: new Date(Math.ceil((now + 20 * 60 * MIN) / (30 * MIN)) * 30 * MIN),
      minutes: 30,
      others: [{ email: 'kenji@example.jp', name: 'Kenji Watanabe' }],
      zone: kind === 'google' ? 'Asia/Tokyo' : 'Tokyo Standard Time',
    });
    const soon = f.seed({
      title: 'Quick intro call with Ana',
      start: new Date(now + 20_000),
      minutes: 0.25,
      others: [{ email: 'ana@example.com', name: 'Ana Lopez' }],
    });
    f.seed({
      title: 'Team coffee sync',
      start: new Date(now + 3 * 60 * MIN),
      minutes: 30,
      others: [{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'c@example.com' }],
    });
    f.seed({
      title: 'Focus time (coffee first)',
      start: new Date(now + 4 * 60 * MIN),
      minutes: 60,
      others: [],
    });
    f.seed({
      title: 'Coffee day',
      start: new Date(now + 2 * 24 * 60 * MIN),
      minutes: 0,
      others: [{ email: 'd@example.com' }],
      allDay: true,
    });
    f.seed({
      title: 'Coffee chat with Lena',
      start: new Date(now + 5 * 60 * MIN),
      minutes: 30,
      others: [{ email: 'lena@example.de' }],
      response: 'declined',
    });

    await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    await stack.startWorker();

    // A past chat gets exactly one thank-you; tomorrow's gets a confirmation and a prep block.
    await waitFor(
      'thank-you to Priya and confirmation to Kenji',
      () => draftsTo('priya@example.org').length === 1 && draftsTo('kenji@example.jp').length === 1,
      40_000,
    );
    const thanks = draftsTo('priya@example.org')[0]!;
    expect(thanks.subject).toMatch(/Thank you, Priya/);
    expect(thanks.text).toMatch(/Maya/);
    const confirmation = draftsTo('kenji@example.jp')[0]!;
    const prep = await waitFor('prep block', () => f.createdEvents().find((e) => /Kenji/.test(e.title)));
    expect(prep.attendees).toBe(0);
    const chat = (await stack.app.prisma.chat.findFirst({ where: { title: 'Virtual coffee: Kenji' } }))!;
    // Kenji reads the confirmation: "your time" is his clock in Tokyo, Maya's Los Angeles time beside it.
    const inTokyo = DateTime.fromJSDate(chat.startUtc).setZone('Asia/Tokyo').setLocale('en-US');
    expect(confirmation.text).toContain(`${inTokyo.toFormat('cccc, LLL d, h:mm a')} your time (JST) / `);
    expect(confirmation.text).toMatch(/ for me in Los Angeles \(P[SD]T\)/);
    expect(confirmation.subject).toBe(`Confirming our chat on ${inTokyo.toFormat('cccc, LLL d')}`);
    expect(utc(prep.end)).toBe(chat.startUtc.getTime());
    expect(utc(prep.start)).toBe(chat.startUtc.getTime() - 30 * MIN);

    // Non-chats get nothing, and say why.
    const ignored = await stack.app.prisma.event.findMany({ where: { isChat: false } });
    const why = Object.fromEntries(ignored.map((e) => [e.title, e.reasons.join('; ')]));
    expect(why['Team coffee sync']).toMatch(/3 other attendees/);
    expect(why['Focus time (coffee first)']).toMatch(/no other attendee/);
    expect(why['Coffee day']).toMatch(/all-day/);
    expect(why['Coffee chat with Lena']).toMatch(/declined/);
    for (const who of ['a@example.com', 'd@example.com', 'lena@example.de'])
      expect(draftsTo(who)).toHaveLength(0);

    // The chat about to start gets its thank-you after it ends.
    await waitFor('thank-you to Ana after her chat', () => draftsTo('ana@example.com').length === 1, 120_000);
    expect(soon.id).toBeTruthy();
    const anaChat = (await stack.app.prisma.chat.findFirst({
      where: { title: 'Quick intro call with Ana' },
    }))!;
    const anaDraft = (await stack.app.prisma.draft.findFirst({
      where: { chatId: anaChat.id, kind: 'thank_you' },
    }))!;
    expect(anaDraft.updatedAt.getTime()).toBeGreaterThanOrEqual(anaChat.endUtc.getTime());

    // Rescheduled: the prep block and the untouched confirmation move with the chat.
    const later = new Date(chat.startUtc.getTime() + 60 * MIN);
    f.move(tomorrow.id, later, 30);
    await waitFor(
      'prep block moved',
      () => f.createdEvents().some((e) => /Kenji/.test(e.title) && utc(e.end) === later.getTime()),
      30_000,
    );
    const clock = DateTime.fromJSDate(later).setZone('Asia/Tokyo').toFormat('h:mm');
    await waitFor(
      'confirmation updated to the new time',
      () => draftsTo('kenji@example.jp').some((d) => d.text.includes(clock)),
      30_000,
    );

    // Cancelled: the prep block and the unedited confirmation go away; the thank-you never comes.
    f.cancel(tomorrow.id);
    await waitFor('prep block removed', () => !f.createdEvents().some((e) => /Kenji/.test(e.title)), 30_000);
    await waitFor('confirmation draft removed', () => draftsTo('kenji@example.jp').length === 0, 30_000);
    const kenji = (await stack.app.prisma.chat.findFirst({ where: { title: 'Virtual coffee: Kenji' } }))!;
    expect(kenji.status).toBe('cancelled');
    expect(
      await stack.app.prisma.draft.count({
        where: { chatId: kenji.id, status: { in: ['scheduled', 'created'] } },
      }),
    ).toBe(0);
  });

  it('a note added after the thank-you was drafted is cited in it, while the user has not edited it', async () => {
    const chat = (await stack.app.prisma.chat.findFirst({ where: { title: 'Coffee chat with Priya' } }))!;
    await setChatNote(stack.app, chat.id, 'Build a tiny design-system library before applying');
    await waitFor(
      'thank-you cites the note',
      () => draftsTo('priya@example.org').some((d) => d.text.includes('tiny design-system library')),
      30_000,
    );
    expect(draftsTo('priya@example.org')).toHaveLength(1);
  });

  it('check-ins follow a sent thank-you, skip after exchanged mail, and stop for do-not-contact', async () => {
    // No check-in while the thank-you waits in the mailbox, however short the cadence.
    expect(draftsTo('priya@example.org')).toHaveLength(1);
    const thanks = draftsTo('priya@example.org')[0]!;
    await f.sendDraft(thanks.id);
    // Sent → the cadence re-anchors on the send; the first check-in (PT6S) is drafted after it.
    const checkIn = await waitFor('first check-in draft', () => draftsTo('priya@example.org')[0], 40_000);
    expect(checkIn.subject).toMatch(/update/i);
    expect(checkIn.subject).not.toBe(thanks.subject);
    const sent = await stack.app.prisma.draft.findFirst({
      where: { kind: 'thank_you', contact: { email: 'priya@example.org' } },
    });
    expect(sent?.status).toBe('sent');

    // Ana wrote back after her thank-you: her check-in is skipped and re-timed.
    // Her reply lands right after the send, before the worker can even see the send: the check-in
    // (due PT6S after it) must find the reply whenever the worker gets to it, not win a race.
    const ana = (await stack.app.prisma.contact.findFirst({ where: { email: 'ana@example.com' } }))!;
    await f.sendDraft(draftsTo('ana@example.com')[0]!.id);
    await f.receiveMail('ana@example.com', 'Re: Thank you', new Date(Date.now() + 1_000));
    const anaSent = await waitFor('Ana thank-you seen as sent', () =>
      stack.app.prisma.draft.findFirst({ where: { contactId: ana.id, kind: 'thank_you', status: 'sent' } }),
    );
    await waitFor(
      'Ana check-in skipped and re-anchored on her reply',
      async () => {
        const p = await stack.app.prisma.checkInPlan.findUnique({ where: { contactId: ana.id } });
        return p && p.anchorAt.getTime() > anaSent.sentAt!.getTime() ? p : null;
      },
      40_000,
    );
    expect(draftsTo('ana@example.com')).toHaveLength(0);

    // Do-not-contact: Priya is marked, then her check-in is sent. Sent, it would bring the next one
    // PT6S later (as Ana's cadence, not stopped, drafts hers); marked, nothing more is drafted.
    await stopContact(stack.app, 'priya@example.org');
    await f.sendDraft(checkIn.id);
    const priyaSent = await waitFor(
      'Priya check-in seen as sent',
      () =>
        stack.app.prisma.draft.findFirst({
          where: { kind: 'check_in', status: 'sent', contact: { email: 'priya@example.org' } },
        }),
      40_000,
    );
    await waitFor(
      'Ana check-in drafted (her cadence goes on)',
      () => draftsTo('ana@example.com').length === 1,
      40_000,
    );
    // Twice the cadence after the send, and more: the next check-in would be in the mailbox by now.
    await new Promise((r) => setTimeout(r, Math.max(0, priyaSent.sentAt!.getTime() + 14_000 - Date.now())));
    expect(draftsTo('priya@example.org')).toHaveLength(0);
    expect(
      await stack.app.prisma.draft.findMany({
        where: { kind: 'check_in', contact: { email: 'priya@example.org' } },
        select: { status: true },
      }),
    ).toEqual([{ status: 'sent' }]);
  });
});

describe('a worker killed with SIGKILL mid-run', () => {
  it('loses nothing and duplicates nothing', async () => {
    const stack = await startStack();
    try {
      const f = fixture(stack.sandbox, 'google', 'kill9');
      const contacts = Array.from({ length: 12 }, (_, i) => `person${i}@example.org`);
      const now = Date.now();
      contacts.forEach((email, i) =>
        f.seed({
          title: `Coffee chat ${i}`,
          start: new Date(now - (3 + i) * 60 * MIN),
          minutes: 30,
          others: [{ email }],
        }),
      );
      await addAccount(stack.app, {
        provider: 'google',
        refreshToken: f.refreshToken,
        email: f.email,
        name: 'Maya Chen',
      });
      await stack.startWorker();
      await waitFor('the first drafts', () => f.drafts().length >= 1, 40_000, 20);
      expect(await stack.stopWorker('SIGKILL')).toBeNull();
      await stack.startWorker();
      await waitFor('all thank-yous', () => f.drafts().length >= contacts.length, 120_000);
      // A job killed between the provider's answer and its own row comes back only when its lock
      // expires (lockDuration 20 s + a stalled check): wait for every row, then check that the
      // retry found the draft it had made instead of making a second one.
      await waitFor(
        'every thank-you row created',
        async () =>
          (await stack.app.prisma.draft.count({ where: { status: 'created', kind: 'thank_you' } })) ===
          contacts.length,
        60_000,
      );
      const drafts = f.drafts();
      expect(drafts).toHaveLength(contacts.length);
      for (const email of contacts) expect(drafts.filter((d) => d.to.includes(email))).toHaveLength(1);
      expect(await stack.stopWorker('SIGTERM')).toBe(0);
    } finally {
      await stack.close();
    }
  }, 180_000);
});
