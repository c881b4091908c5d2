// People as a pipeline (issue 16, items 1–3) on both providers, with the sandbox, a real database
// and real Redis; jobs are called directly so the clock can be moved for the follow-up:
// import → board by stage → introduction request → the introduction arrives → outreach → a reply
// in its thread → replied; no reply → exactly one gentle follow-up, none after a reply or stop.
import { jest } from '@jest/globals';
import { addAccount } from '../../worker/core/accounts.ts';
import { requestOutreach } from '../../worker/core/outreach.ts';
import { importContacts, requestIntro } from '../../worker/core/people.ts';
import { followUpKey } from '../../worker/core/people-tracking.ts';
import { getStatus } from '../../worker/core/status.ts';
import { stopContact } from '../../worker/core/user-actions.ts';
import { createDraft } from '../../worker/jobs/create-draft.ts';
import { trackDrafts } from '../../worker/jobs/track-drafts.ts';
import { seedMailbox, type Mailbox } from '../../sandbox/scenario.ts';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';
import type { Kind } from './provider-fixtures.ts';

jest.setTimeout(180_000);
const DAY = 86_400_000;

const CSV = [
  'name,email,company,role,connection,reason,introducer',
  'Ana Lopez,ana@example.org,Acme,Product Manager,cold,"she moved from research into product, my next step",',
  'Ben Ito,ben@example.org,Globex,Staff Engineer,mutual,his path from support into infrastructure,kenji@example.org',
  'Cleo Park,cleo@example.org,Initech,Design Lead,alumni,she built the design team I would like to join,',
  'Dan Roy,dan@example.org,Umbrella,Data Scientist,colleague,how he moved into applied research,',
].join('\r\n');

describe.each<Kind>(['google', 'microsoft'])('the people pipeline on %s', (kind) => {
  let stack: Stack;
  let mb: Mailbox;
  let accountId: string;
  /** The worker's clock: real time, moved forward where the test says so. */
  let shift = 0;
  beforeAll(async () => {
    stack = await startStack();
    stack.app.now = () => new Date(Date.now() + shift);
    mb = seedMailbox(stack.sandbox, {
      provider: kind,
      email: kind === 'google' ? 'maya@gmail.example' : 'maya@contoso.example',
      name: 'Maya Chen',
      timeZone: 'America/New_York',
    });
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

  const board = async () => (await getStatus(stack.app.prisma, stack.app.now())).people;
  const person = async (email: string) => (await board()).find((p) => p.email === email)!;
  const draftTo = (email: string) => mb.drafts().filter((d) => d.to.toLowerCase().includes(email));
  async function sendOnly(email: string) {
    const [d] = draftTo(email);
    expect(d).toBeDefined();
    await mb.sendDraft(d!.id);
  }
  const sentTo = (email: string) => mb.sentMail().find((m) => m.to.includes(email))!;

  it('a CSV with a bad row imports nothing and names the row; fixed, everyone lands on the board as a target', async () => {
    await expect(importContacts(stack.app, CSV.replace('cold,', 'stranger,'))).rejects.toThrow(
      /nothing imported: row 2: connection "stranger" must be one of alumni, mutual, colleague, cold/,
    );
    expect(await board()).toEqual([]);
    expect(await importContacts(stack.app, CSV)).toEqual({ added: 4, updated: 0 });
    // Importing again updates, never duplicates; the introducer is not on the board.
    expect(await importContacts(stack.app, CSV)).toEqual({ added: 0, updated: 4 });
    const people = await board();
    expect(people.map((p) => [p.email, p.stage])).toEqual([
      ['ana@example.org', 'target'],
      ['ben@example.org', 'target'],
      ['cleo@example.org', 'target'],
      ['dan@example.org', 'target'],
    ]);
    const ben = people.find((p) => p.email === 'ben@example.org')!;
    expect(ben).toMatchObject({ company: 'Globex', connection: 'mutual', introducer: 'kenji@example.org' });
    expect(ben.next).toContain('coffee-chat intro --via kenji@example.org --to ben@example.org');
  });

  it('an introduction request goes to the introducer, short, with a note to forward; when the introduction arrives the target moves on', async () => {
    const r = await requestIntro(stack.app, {
      via: 'kenji@example.org',
      to: 'ben@example.org',
      about: 'I lead support engineering at a startup in New York and am exploring infrastructure work.',
    });
    expect(await createDraft(stack.app, r.key)).toMatchObject({ outcome: 'created' });
    const [d] = draftTo('kenji@example.org');
    expect(d!.subject).toBe('Would you introduce me to Ben?');
    expect(d!.text).toContain('Ben Ito (Staff Engineer at Globex)');
    expect(d!.text).toContain('his path from support into infrastructure');
    expect(d!.text).toContain('I lead support engineering at a startup in New York');
    expect(draftTo('ben@example.org')).toHaveLength(0); // nothing goes to Ben himself
    expect((await person('ben@example.org')).next).toContain('review and send the introduction request');

    await sendOnly('kenji@example.org');
    await trackDrafts(stack.app, accountId);
    expect((await person('ben@example.org')).next).toBe('waiting for kenji@example.org to introduce you');

    // Kenji writes to both of them.
    await mb.receiveMail({
      from: 'kenji@example.org',
      to: ['ben@example.org'],
      subject: 'Intro: Maya <> Ben',
      text: 'Ben, meet Maya. Maya, meet Ben.',
      at: new Date(),
      messageId: `<intro-${kind}@example.org>`,
    });
    const ben = await waitFor('the introduction seen', async () => {
      await trackDrafts(stack.app, accountId);
      const p = await person('ben@example.org');
      return p.stage === 'asked' ? p : null;
    });
    expect(ben.introducedAt).not.toBeNull();
    expect(ben.next).toContain('introduced by kenji@example.org');

    // Ben answers everyone in the introduction's thread: that is his reply.
    await mb.receiveMail({
      from: 'ben@example.org',
      to: ['kenji@example.org'],
      subject: 'Re: Intro: Maya <> Ben',
      text: 'Thanks Kenji (to bcc). Maya, happy to talk.',
      at: new Date(),
      inReplyTo: `<intro-${kind}@example.org>`,
    });
    await trackDrafts(stack.app, accountId);
    expect((await person('ben@example.org')).stage).toBe('replied');
  });

  it('a reply in the outreach’s thread moves the contact to replied; mail outside it does not', async () => {
    for (const email of ['ana@example.org', 'cleo@example.org', 'dan@example.org']) {
      const c = await stack.app.prisma.contact.findFirstOrThrow({ where: { email } });
      const r = await requestOutreach(stack.app, { to: email, why: c.reason! });
      expect(await createDraft(stack.app, r.key)).toMatchObject({ outcome: 'created' });
      await sendOnly(email);
    }
    await trackDrafts(stack.app, accountId);
    expect((await person('ana@example.org')).stage).toBe('asked');
    expect((await person('ana@example.org')).next).toMatch(
      /^waiting for a reply; one gentle follow-up drafted /,
    );

    const ask = sentTo('ana@example.org');
    // Her out-of-office answers first, in the same thread: that is not Ana writing back.
    await mb.receiveMail({
      from: 'ana@example.org',
      subject: `Re: ${ask.subject}`,
      text: 'I am away until Monday with limited access to email.',
      at: new Date(),
      inReplyTo: ask.messageId,
      automatic: true,
    });
    await trackDrafts(stack.app, accountId);
    expect((await person('ana@example.org')).stage).toBe('asked');
    await mb.receiveMail({
      from: 'ana@example.org',
      subject: `Re: ${ask.subject}`,
      text: 'Happy to! Next week works.',
      at: new Date(),
      inReplyTo: ask.messageId,
    });
    // Cleo writes, but about something else, in a new thread: not an answer to the ask.
    await mb.receiveMail({ from: 'cleo@example.org', subject: 'Alumni newsletter', at: new Date() });
    await trackDrafts(stack.app, accountId);
    expect((await person('ana@example.org')).stage).toBe('replied');
    // …and the reply offering three times is drafted by itself, for the user to review.
    expect((await person('ana@example.org')).next).toBe('review the draft offering three times');
    expect((await person('cleo@example.org')).stage).toBe('asked');
  });

  it('no reply after 7 of their business days: exactly one gentle follow-up, none after a reply or do-not-contact', async () => {
    await stopContact(stack.app, 'dan@example.org');
    // Five days on: never 7 business days yet, whatever the weekday.
    shift = 5 * DAY;
    await trackDrafts(stack.app, accountId);
    expect(await stack.app.prisma.draft.count({ where: { kind: 'follow_up' } })).toBe(0);

    // Fourteen days on: due for Cleo (asked, no reply) only.
    shift = 14 * DAY;
    await trackDrafts(stack.app, accountId);
    const cleo = await stack.app.prisma.contact.findFirstOrThrow({ where: { email: 'cleo@example.org' } });
    expect(await createDraft(stack.app, followUpKey(cleo.id))).toMatchObject({ outcome: 'created' });
    const followUps = draftTo('cleo@example.org');
    expect(followUps).toHaveLength(1);
    expect(followUps[0]!.subject).toBe(`Re: ${sentTo('cleo@example.org').subject}`);
    expect(followUps[0]!.text).toContain('no reply is needed');
    expect((await person('cleo@example.org')).next).toBe('review the follow-up draft in your mailbox');
    expect(draftTo('ana@example.org')).toHaveLength(0); // she replied
    expect(draftTo('dan@example.org')).toHaveLength(0); // do not contact

    // Later rounds, even after the user deletes it or sends it: never a second one.
    await mb.sendDraft(followUps[0]!.id);
    shift = 30 * DAY;
    await trackDrafts(stack.app, accountId);
    await trackDrafts(stack.app, accountId);
    expect(await stack.app.prisma.draft.count({ where: { kind: 'follow_up' } })).toBe(1);
    expect(draftTo('cleo@example.org')).toHaveLength(0);
    expect((await person('cleo@example.org')).next).toBe('followed up once: leave it with them');
    expect((await person('dan@example.org')).stage).toBe('stopped');
  });
});
