// Times that work for both, through the real worker on both providers: `propose` reads the
// user's free/busy (Google freebusy.query, Graph getSchedule) from the sandbox, drafts a reply
// offering three slots in both zones that avoid busy and tentative time, and choosing a slot (the
// command's `--slot N`, or the review page's button) creates the invite through `schedule`.
// Every instant comes from the app's clock: it holds at any hour and weekday.
import { jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { addAccount } from '../../worker/core/accounts.ts';
import { proposeTimes, scheduleProposedSlot } from '../../worker/core/propose-times.ts';
import { requestOutreach } from '../../worker/core/outreach.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import { fixture, type Fixture, type Kind } from './provider-fixtures.ts';

// @fastify/static (under bull-board) require()s content-disposition 3, which is ESM-only (see
// web-review-page.test.ts).
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));
const { startWebServer } = await import('../../worker/web/server.ts');

jest.setTimeout(180_000);

const USER_ZONE = 'America/Los_Angeles';
const LONDON = 'Europe/London';
const MIN = 60_000;

describe.each<Kind>(['google', 'microsoft'])('proposing times on %s', (kind) => {
  let stack: Stack;
  let f: Fixture;
  beforeAll(async () => {
    stack = await startStack();
    f = fixture(stack.sandbox, kind, `slots-${kind}`);
    await addAccount(stack.app, {
      provider: kind,
      refreshToken: f.refreshToken,
      email: f.email,
      name: 'Maya Chen',
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Puts an event of the given availability on the user's own calendar, as they would. */
  const block = (title: string, start: Date, end: Date, as: 'busy' | 'tentative' | 'oof') => {
    if (kind === 'google') {
      // Google's free/busy has no tentative: an invitation answered "maybe" still blocks the time.
      stack.sandbox.google.seedEvent(f.email, 'primary', {
        summary: title,
        start: { dateTime: start.toISOString() },
        end: { dateTime: end.toISOString() },
        ...(as === 'tentative'
          ? {
              organizer: { email: 'lead@example.com' },
              attendees: [
                { email: 'lead@example.com', responseStatus: 'accepted' },
                { email: f.email, responseStatus: 'tentative' },
              ],
            }
          : {}),
      });
    } else {
      stack.sandbox.microsoft.addEvent(f.email, {
        subject: title,
        start: start.toISOString(),
        end: end.toISOString(),
        showAs: as,
      });
    }
  };

  it('offers three slots in both zones that avoid busy and tentative time, then schedules slot 2', async () => {
    const ana = 'ana@example.co.uk';
    // Ana, known to be in London (set by the user, as `contacts set --time-zone` does).
    const account = await stack.app.prisma.account.findFirstOrThrow({ where: { email: f.email } });
    await stack.app.prisma.contact.create({
      data: {
        userId: account.userId,
        email: ana,
        name: 'Ana Silva',
        timeZone: LONDON,
        timeZoneSource: 'user',
      },
    });

    // What the calendar would give when free…
    const free = await proposeTimes(stack.app, { with: ana });
    expect(free.slots).toHaveLength(3);
    // …then the user's week fills up exactly there: busy, tentative, and (where the provider
    // tells it apart) out of office, each spilling half an hour around the slot.
    const kinds = ['busy', 'tentative', kind === 'microsoft' ? 'oof' : 'busy'] as const;
    const blocked = free.slots.map((s, i) => ({
      start: new Date(Date.parse(s.start) - 30 * MIN),
      end: new Date(Date.parse(s.end) + 30 * MIN),
      as: kinds[i]!,
    }));
    blocked.forEach((b, i) => block(`Blocked ${i + 1}`, b.start, b.end, b.as));

    const r = await proposeTimes(stack.app, { with: ana });
    expect(r.slots).toHaveLength(3);
    expect(r.contactZoneKnown).toBe(true);
    const now = stack.app.now().getTime();
    const days = new Set<string>();
    for (const s of r.slots) {
      const start = Date.parse(s.start);
      const end = Date.parse(s.end);
      expect(end - start).toBe(20 * MIN);
      expect(start).toBeGreaterThanOrEqual(now + 24 * 60 * MIN);
      for (const b of blocked) expect(start < b.end.getTime() && end > b.start.getTime()).toBe(false);
      for (const zone of [USER_ZONE, LONDON]) {
        const a = DateTime.fromMillis(start, { zone });
        const e = DateTime.fromMillis(end, { zone });
        expect(a.weekday).toBeLessThanOrEqual(5);
        expect(a.hour * 60 + a.minute).toBeGreaterThanOrEqual(zone === LONDON ? 9 * 60 : 6 * 60);
        expect(e.hour * 60 + e.minute).toBeLessThanOrEqual(zone === LONDON ? 17 * 60 + 30 : 23 * 60);
      }
      days.add(DateTime.fromMillis(start, { zone: USER_ZONE }).toISODate()!);
      // The user reads their own side first, then Ana's.
      expect(s.when).toMatch(/your time \(P[SD]T\) \/ .* Ana's time \((GMT|BST)\)/);
    }
    expect(days.size).toBe(3);

    // The draft reply: in the user's own mailbox, to Ana, her time first on every line.
    const londonTime = (iso: string) =>
      `${DateTime.fromISO(iso, { zone: LONDON }).setLocale('en-US').toFormat('cccc, LLL d, h:mm a')} your time`;
    const draft = await waitFor('the reply offering the new times', () =>
      f
        .drafts()
        .find((d) => d.to.includes(ana) && r.slots.every((s) => d.text.includes(londonTime(s.start)))),
    );
    expect(draft.text).toMatch(/for me in Los Angeles/);
    expect(draft.text).not.toMatch(/Which time zone are you in/);
    // None of the busy times is offered.
    for (const s of free.slots) expect(draft.text).not.toContain(londonTime(s.start));

    // Ana picks the second: the invite is made by `schedule`, at that time, and becomes a chat.
    const made = await scheduleProposedSlot(stack.app, { with: ana, slot: 2 });
    expect(made.slot).toBe(2);
    const invite = await waitFor('the invite on the calendar', () =>
      f.createdEvents().find((e) => e.attendees === 1),
    );
    expect(Date.parse(invite.start)).toBe(Date.parse(r.slots[1]!.start));
    const chat = await waitFor('the invite detected as a chat', () =>
      stack.app.prisma.chat.findFirst({ where: { contact: { email: ana } } }),
    );
    expect(chat.startUtc.toISOString()).toBe(new Date(r.slots[1]!.start).toISOString());
    expect(chat.endUtc.getTime() - chat.startUtc.getTime()).toBe(20 * MIN);
    // A second choice from the same proposal is refused with one line.
    await expect(scheduleProposedSlot(stack.app, { with: ana, slot: 3 })).rejects.toThrow(/already chosen/);
    await expect(scheduleProposedSlot(stack.app, { with: 'nobody@example.org', slot: 1 })).rejects.toThrow(
      /no times were proposed/,
    );
  });

  it('answers the outreach: a "Re:" of its subject, and on Gmail inside its thread', async () => {
    const zoe = 'zoe@example.org';
    await requestOutreach(stack.app, {
      to: zoe,
      name: 'Zoe Park',
      why: 'your move from QA into platform engineering',
    });
    const outreach = await waitFor('the outreach draft made', () =>
      stack.app.prisma.draft.findFirst({
        where: { kind: 'outreach', status: 'created', contact: { email: zoe } },
      }),
    );
    await proposeTimes(stack.app, { with: zoe });
    const reply = await waitFor('the reply offering times', () =>
      f.drafts().find((d) => d.to.includes(zoe) && d.subject === `Re: ${outreach.subject}`),
    );
    expect(reply.text).toMatch(/^Hi Zoe,/);
    if (kind === 'google') {
      const raw = stack.sandbox.google.drafts(f.email).find((d) => d.subject === reply.subject)!;
      expect(raw.threadId).toBe(outreach.threadId);
      expect(raw.headers['in-reply-to']).toBe(outreach.internetMessageId);
    }
  });

  it('asks for the zone when it is unknown, and the review page button schedules a slot (CSRF-checked)', async () => {
    const lee = 'lee@example.org';
    const r = await proposeTimes(stack.app, { with: lee });
    expect(r.contactZoneKnown).toBe(false);
    const draft = await waitFor('the reply asking for their zone', () =>
      f.drafts().find((d) => d.to.includes(lee)),
    );
    expect(draft.text).toMatch(/Which time zone are you in\?/);
    expect(draft.text).not.toMatch(/your time/);

    const web = await startWebServer(stack.app, { port: 0 });
    try {
      const page = await (await fetch(web.url)).text();
      expect(page).toContain('Times offered');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
      const action = new RegExp(`action="(/proposals/[^"]+/schedule)"`).exec(page)![1]!;
      const post = (fields: Record<string, string>) =>
        fetch(new URL(action, web.url), {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        });
      // Without the page's token nothing is scheduled.
      expect((await post({ _csrf: 'forged', slot: '1' })).status).toBe(303);
      const before = f.createdEvents().filter((e) => e.attendees === 1).length;
      await new Promise((res) => setTimeout(res, 500));
      expect(f.createdEvents().filter((e) => e.attendees === 1)).toHaveLength(before);
      const res = await post({ _csrf: csrf, slot: '1' });
      expect(res.status).toBe(303);
      const landing = await (await fetch(new URL(res.headers.get('location')!, web.url))).text();
      expect(landing).toMatch(/Invite created/);
      const invite = await waitFor('the invite from the button', () =>
        f
          .createdEvents()
          .find((e) => e.attendees === 1 && Date.parse(e.start) === Date.parse(r.slots[0]!.start)),
      );
      expect(invite).toBeTruthy();
    } finally {
      await web.close();
    }
  });
});

describe('a user with a Google and an Outlook account', () => {
  let stack: Stack;
  let g: Fixture;
  let m: Fixture;
  beforeAll(async () => {
    stack = await startStack();
    g = fixture(stack.sandbox, 'google', 'two-google');
    m = fixture(stack.sandbox, 'microsoft', 'two-outlook');
    const first = await addAccount(stack.app, {
      provider: 'google',
      refreshToken: g.refreshToken,
      email: g.email,
      name: 'Maya Chen',
    });
    await addAccount(stack.app, {
      provider: 'microsoft',
      refreshToken: m.refreshToken,
      email: m.email,
      name: 'Maya Chen',
      userId: first.account.userId,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('times offered from one account avoid meetings on the other', async () => {
    const ana = 'ana@example.co.uk';
    const before = await proposeTimes(stack.app, { with: ana, from: g.email });
    expect(before.slots).toHaveLength(3);
    // Her work calendar (Outlook) fills exactly those times, with a margin.
    const taken = before.slots.map((s) => ({
      start: Date.parse(s.start) - 30 * MIN,
      end: Date.parse(s.end) + 30 * MIN,
    }));
    for (const t of taken)
      stack.sandbox.microsoft.addEvent(m.email, {
        subject: 'Team sync',
        start: new Date(t.start).toISOString(),
        end: new Date(t.end).toISOString(),
        showAs: 'busy',
      });
    const after = await proposeTimes(stack.app, { with: ana, from: g.email });
    expect(after.slots).toHaveLength(3);
    for (const s of after.slots)
      for (const t of taken) expect(Date.parse(s.start) < t.end && Date.parse(s.end) > t.start).toBe(false);
  });
});
