// The whole playbook for one person, on both providers (issue 16): imported → introduction asked
// → introduced → outreach → a reply → three times offered in both zones, clear of busy time → the
// invite → prep block, confirmation, thank-you → the user sends them → a check-in carrying the
// article the user shared. Real database, real Redis, the sandbox; the jobs are called as the
// worker would call them, with one clock for the app and the sandbox that the test moves to the
// chat and past it, so nothing waits for the wall clock and no hour or weekday matters.
import { jest } from '@jest/globals';
import type { Job } from 'bullmq';
import { DateTime } from 'luxon';
import { addAccount } from '../../worker/core/accounts.ts';
import { queueMaterial } from '../../worker/core/check-in-material.ts';
import { requestOutreach } from '../../worker/core/outreach.ts';
import { importContacts, requestIntro } from '../../worker/core/people.ts';
import { proposalContext, scheduleProposedSlot } from '../../worker/core/propose-times.ts';
import { getStatus } from '../../worker/core/status.ts';
import { setChatNote } from '../../worker/core/user-actions.ts';
import { checkInJob } from '../../worker/jobs/check-in.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { createPrep } from '../../worker/jobs/create-prep.ts';
import { planChat } from '../../worker/jobs/plan-chat.ts';
import { planContact } from '../../worker/jobs/plan-contact.ts';
import { syncAccount } from '../../worker/jobs/sync-account.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { ACTION_JOB_OPTIONS } from '../../worker/queues/queues.ts';
import { seedMailbox, type Mailbox } from '../../sandbox/scenario.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import type { Kind } from './provider-fixtures.ts';

jest.setTimeout(240_000);
const MIN = 60_000;
const HOUR = 60 * MIN;
const NY = 'America/New_York';
const LONDON = 'Europe/London';
const BEN = 'ben@example.org';
const KENJI = 'kenji@example.org';
const ARTICLE = 'https://example.org/platform-teams?part=2';
const ADVICE = 'talk to the platform team before applying';

const CSV = [
  'name,email,company,role,connection,reason,introducer,time zone',
  `Ben Ito,${BEN},Globex,Staff Engineer,mutual,his path from support into infrastructure,${KENJI},${LONDON}`,
].join('\n');

describe.each<Kind>(['google', 'microsoft'])('a contact’s whole life on %s', (kind) => {
  /** The one clock: real time, moved forward where the test says so. */
  let shift = 0;
  const now = () => new Date(Date.now() + shift);
  let stack: Stack;
  let mb: Mailbox;
  let accountId: string;
  /** Mornings (9:00–12:00 in New York) the user is busy on every weekday of the next weeks. */
  const busy: { start: number; end: number }[] = [];
  let sends = 0;

  beforeAll(async () => {
    stack = await startStack({ now, env: { CHECK_IN_CADENCE: 'PT1H' } });
    mb = seedMailbox(stack.sandbox, {
      provider: kind,
      email: kind === 'google' ? 'maya@gmail.example' : 'maya@contoso.example',
      name: 'Maya Chen',
      timeZone: NY,
    });
    for (let d = 0; d <= 20; d++) {
      const morning = DateTime.now().setZone(NY).plus({ days: d }).set({ hour: 9, minute: 0, second: 0 });
      if (morning.weekday > 5) continue;
      const start = morning.startOf('minute');
      mb.addEvent({ title: 'Team planning', start: start.toJSDate(), minutes: 180, busy: true });
      busy.push({ start: start.toMillis(), end: start.plus({ hours: 3 }).toMillis() });
    }
    const { account } = await addAccount(stack.app, {
      provider: kind,
      refreshToken: mb.refreshToken,
      email: mb.email,
      name: 'Maya Chen',
    });
    accountId = account.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const ben = async () =>
    (await getStatus(stack.app.prisma, stack.app.now())).people.find((p) => p.email === BEN)!;
  const draftsTo = (email: string) => mb.drafts().filter((d) => d.to.toLowerCase().includes(email));
  async function send(email: string, subject: RegExp) {
    const d = draftsTo(email).find((x) => subject.test(x.subject));
    if (!d) throw new Error(`no draft to ${email} matching ${String(subject)}`);
    await mb.sendDraft(d.id);
    sends += 1;
    return d;
  }
  /** The mailbox draft the worker made for Ben of one kind (its row says which). */
  async function inMailbox(kind: 'confirmation' | 'thank_you' | 'check_in') {
    const row = await stack.app.prisma.draft.findFirst({
      where: { kind, status: 'created', contact: { email: BEN } },
    });
    const d = mb.drafts().find((x) => x.id === row?.providerDraftId);
    if (!d) throw new Error(`no ${kind} draft to Ben in the mailbox`);
    return d;
  }
  /** What the worker's queues would run now: drafts and prep blocks that are due. */
  async function runDue() {
    const due = await stack.app.prisma.draft.findMany({
      where: { status: 'scheduled', dueAt: { lte: now() } },
    });
    for (const d of due) await createDraft(stack.app, d.idempotencyKey);
    const preps = await stack.app.prisma.calendarEntry.findMany({
      where: { kind: 'prep', providerEventId: null, deleted: false },
    });
    for (const e of preps) await createPrep(stack.app, e.idempotencyKey);
  }
  const fired = (data: object) =>
    ({ name: 'check-in', data, attemptsMade: 0, opts: ACTION_JOB_OPTIONS, id: 'life' }) as unknown as Job;

  it('imported, Ben is a target whose next step is asking Kenji for an introduction', async () => {
    expect(await importContacts(stack.app, CSV)).toEqual({ added: 1, updated: 0 });
    expect(await ben()).toMatchObject({ stage: 'target', company: 'Globex', introducer: KENJI });
    expect((await ben()).next).toContain(`intro --via ${KENJI} --to ${BEN}`);
  });

  it('the introduction request goes to Kenji; when Kenji writes to both, Ben moves on', async () => {
    const r = await requestIntro(stack.app, {
      via: KENJI,
      to: BEN,
      about: 'I lead support engineering in New York and am exploring infrastructure work.',
    });
    await createDraft(stack.app, r.key);
    const ask = draftsTo(KENJI)[0]!;
    expect(ask.text).toContain('Ben Ito (Staff Engineer at Globex)');
    expect(draftsTo(BEN)).toHaveLength(0);
    await send(KENJI, /introduce/i);
    await trackDrafts(stack.app, accountId);
    // Mail carries whole seconds (Graph's sentDateTime): answers come minutes later, not in the same second.
    shift += 20 * MIN;
    await mb.receiveMail({
      from: KENJI,
      to: [BEN],
      subject: 'Intro: Maya <> Ben',
      text: 'Ben, meet Maya; Maya, meet Ben.',
      at: now(),
    });
    await waitFor('the introduction seen', async () => {
      await trackDrafts(stack.app, accountId);
      return (await ben()).stage === 'asked';
    });
  });

  it('the outreach is drafted and sent; Ben’s reply in its thread moves him to replied and a reply offering three times is drafted', async () => {
    const r = await requestOutreach(stack.app, { to: BEN, why: 'his path from support into infrastructure' });
    await createDraft(stack.app, r.key);
    const outreach = await send(BEN, /advice|coffee|chat/i);
    await trackDrafts(stack.app, accountId);
    const asked = mb.sentMail().find((m) => m.to.includes(BEN) && m.subject === outreach.subject)!;
    shift += 20 * MIN;
    await mb.receiveMail({
      from: BEN,
      subject: `Re: ${asked.subject}`,
      text: 'Happy to! Send me a few times.',
      at: now(),
      inReplyTo: asked.messageId,
    });
    const round = await trackDrafts(stack.app, accountId);
    expect(round).toMatchObject({ proposed: 1 });
    expect((await ben()).stage).toBe('replied');
    // Once: later rounds offer nothing more.
    expect(await trackDrafts(stack.app, accountId)).not.toHaveProperty('proposed');
    expect(await stack.app.prisma.draft.count({ where: { kind: 'propose_times' } })).toBe(1);
  });

  it('the three times are clear of the busy mornings, inside working hours in both zones, on different days, his time first', async () => {
    await runDue();
    const row = await stack.app.prisma.draft.findFirstOrThrow({ where: { kind: 'propose_times' } });
    const { slots } = proposalContext.parse(row.context);
    expect(slots).toHaveLength(3);
    const draft = draftsTo(BEN).find((d) => /^Re: /.test(d.subject))!;
    expect(draft).toBeDefined();
    const days = new Set<string>();
    for (const s of slots) {
      const start = Date.parse(s.start);
      const end = Date.parse(s.end);
      expect(end - start).toBeGreaterThanOrEqual(15 * MIN);
      expect(end - start).toBeLessThanOrEqual(30 * MIN);
      expect(start).toBeGreaterThan(now().getTime() + 12 * HOUR);
      for (const b of busy) expect(start < b.end && end > b.start).toBe(false);
      for (const zone of [NY, LONDON]) {
        const a = DateTime.fromMillis(start, { zone });
        const z = DateTime.fromMillis(end, { zone });
        expect(a.weekday).toBeLessThanOrEqual(5);
        expect(a.hour).toBeGreaterThanOrEqual(9);
        expect(z.hour * 60 + z.minute).toBeLessThanOrEqual(17 * 60 + 30);
      }
      days.add(DateTime.fromMillis(start, { zone: NY }).toISODate()!);
      // Ben reads his own clock first, Maya's beside it.
      const his = DateTime.fromMillis(start, { zone: LONDON }).setLocale('en-US');
      const hers = DateTime.fromMillis(start, { zone: NY }).setLocale('en-US');
      expect(draft.text).toContain(`${his.toFormat('cccc, LLL d, h:mm a')} your time`);
      expect(draft.text).toContain(`${hers.toFormat('h:mm a')} for me`);
    }
    expect(days.size).toBe(3);
    await send(BEN, /^Re: /);
    await trackDrafts(stack.app, accountId);
    expect((await ben()).next).toContain(`schedule --with ${BEN} --slot N`);
  });

  it('Ben picks the second time: the invite is created, detected as the chat, and gets its prep block and confirmation', async () => {
    const row = await stack.app.prisma.draft.findFirstOrThrow({ where: { kind: 'propose_times' } });
    const second = proposalContext.parse(row.context).slots[1]!;
    await scheduleProposedSlot(stack.app, { with: BEN, slot: 2 });
    const invite = mb.createdEvents().find((e) => e.attendees === 1)!;
    expect(Date.parse(invite.start)).toBe(Date.parse(second.start));
    await syncAccount(stack.app, accountId);
    const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { contact: { email: BEN } } });
    expect(chat.startUtc.toISOString()).toBe(new Date(second.start).toISOString());
    expect((await ben()).stage).toBe('scheduled');

    // Three hours before the chat.
    shift = chat.startUtc.getTime() - 3 * HOUR - Date.now();
    await planChat(stack.app, chat.id);
    await runDue();
    const prep = mb
      .createdEvents()
      .find((e) => e.attendees === 0 && Date.parse(e.end) <= chat.startUtc.getTime());
    expect(prep?.title).toMatch(/prep/i);
    const confirmation = await inMailbox('confirmation');
    const his = DateTime.fromJSDate(chat.startUtc, { zone: LONDON }).setLocale('en-US');
    expect(confirmation.text).toContain(his.toFormat('h:mm a'));
    await mb.sendDraft(confirmation.id);
    sends += 1;
  });

  it('after the chat: the thank-you cites the advice; sent, then a check-in carries the article the user shared and asks for nothing', async () => {
    const chat = await stack.app.prisma.chat.findFirstOrThrow({ where: { contact: { email: BEN } } });
    await setChatNote(stack.app, chat.id, ADVICE);
    shift = chat.endUtc.getTime() + 10 * MIN - Date.now();
    await planChat(stack.app, chat.id);
    await runDue();
    const thanks = await inMailbox('thank_you');
    expect(thanks.text).toContain(ADVICE);
    await mb.sendDraft(thanks.id);
    sends += 1;
    await trackDrafts(stack.app, accountId);
    expect((await ben()).stage).toBe('thanked');

    await queueMaterial(stack.app, BEN, {
      kind: 'article',
      url: ARTICLE,
      note: 'it describes the platform team you told me about',
    });
    const contact = await stack.app.prisma.contact.findFirstOrThrow({ where: { email: BEN } });
    const plan = await stack.app.prisma.checkInPlan.findUniqueOrThrow({ where: { contactId: contact.id } });
    shift = plan.nextAt.getTime() + MIN - Date.now();
    const planned = (await planContact(stack.app, contact.id)) as { outcome: string; key: string };
    expect(planned.outcome).toBe('scheduled');
    expect(await checkInJob(stack.app, fired({ contactId: contact.id, key: planned.key }))).toMatchObject({
      outcome: 'created',
    });
    const checkIn = await inMailbox('check_in');
    expect(checkIn.text).toContain(ARTICLE);
    expect(checkIn.text).not.toMatch(/\[add a two-line update/i);
    expect(checkIn.text).not.toMatch(/\?\s*$/m);
    await mb.sendDraft(checkIn.id);
    sends += 1;
    await trackDrafts(stack.app, accountId);
    expect((await ben()).stage).toBe('in_touch');

    // Everything that left the mailbox is what the user sent: the worker sent nothing itself.
    expect(mb.sentMail()).toHaveLength(sends);
  });
});
