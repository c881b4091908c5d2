// The demo's people pipeline (Maya, on Google): a few people at different stages, seeded as data
// and mail history so the worker derives each stage itself. Alex is a target with no ask yet;
// Rosa is a target reached through a mutual friend (the introduction request is drafted by the
// worker); Tomás was asked two days ago (the follow-up date shows on the board); Nadia was asked
// and answered in the outreach's thread, which the worker notices (replied). Priya (met), Kenji
// and the DST contact (scheduled) come from the calendar week.
import type { App } from '../app.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { importContacts, requestIntro } from '../core/people.ts';
import { DEMO_GOOGLE } from './seed-week.ts';

export const DEMO_PEOPLE = {
  alex: { email: 'alex.kim@example.net', name: 'Alex Kim' },
  rosa: { email: 'rosa.diaz@example.org', name: 'Rosa Diaz' },
  dev: { email: 'dev.patel@example.com', name: 'Dev Patel' },
  tomas: { email: 'tomas.silva@example.com.br', name: 'Tomás Silva' },
  nadia: { email: 'nadia.haddad@example.ae', name: 'Nadia Haddad' },
};

const CSV = `name,email,company,role,connection,reason,introducer
Alex Kim,alex.kim@example.net,Fabrikam,Engineering Manager,cold,he grew the platform team I would like to join from three people to thirty,
Rosa Diaz,rosa.diaz@example.org,Contoso Health,Head of Product,mutual,"she moved from clinical research into product, the move I am weighing",dev.patel@example.com
Tomás Silva,tomas.silva@example.com.br,Northwind,Design Director,alumni,he built a design systems practice across three time zones,
Nadia Haddad,nadia.haddad@example.ae,Tailspin,Staff Researcher,colleague,her talk on running user research for products in new markets,
`;

const HOUR = 3_600_000;

export async function seedPeople(app: App, sandbox: Sandbox): Promise<void> {
  const now = app.now();
  await importContacts(app, CSV);
  await requestIntro(app, {
    via: DEMO_PEOPLE.dev.email,
    to: DEMO_PEOPLE.rosa.email,
    about: 'I design patient-facing tools at a startup in Los Angeles and am exploring product management.',
  });
  const account = await app.prisma.account.findFirstOrThrow({ where: { email: DEMO_GOOGLE.email } });
  // Asks Maya sent earlier from Gmail: their sent copies, and the rows send detection would have left.
  for (const [who, sentHoursAgo] of [
    [DEMO_PEOPLE.tomas, 50],
    [DEMO_PEOPLE.nadia, 75],
  ] as const) {
    const first = who.name.split(' ')[0];
    const subject = `Could I ask your advice, ${first}? (15–20 minutes)`;
    const sentAt = new Date(now.getTime() - sentHoursAgo * HOUR);
    const sent = await sandbox.google.seedMail(DEMO_GOOGLE.email, {
      direction: 'sent',
      to: who.email,
      subject,
      text: `Hi ${first},\n\nWould you have 15–20 minutes in the next few weeks for some advice?\n\nMaya`,
      date: sentAt,
    });
    const contact = await app.prisma.contact.findFirstOrThrow({
      where: { userId: account.userId, email: who.email },
    });
    await app.prisma.draft.upsert({
      where: { idempotencyKey: `demo-outreach-${contact.id}` },
      create: {
        idempotencyKey: `demo-outreach-${contact.id}`,
        kind: 'outreach',
        status: 'sent',
        userId: account.userId,
        accountId: account.id,
        contactId: contact.id,
        subject,
        threadId: sent.threadId,
        internetMessageId: sent.messageId,
        dueAt: sentAt,
        draftedAt: sentAt,
        sentAt,
      },
      update: {},
    });
    if (who === DEMO_PEOPLE.nadia) {
      await sandbox.google.seedMail(DEMO_GOOGLE.email, {
        direction: 'received',
        from: `${who.name} <${who.email}>`,
        to: DEMO_GOOGLE.email,
        subject: `Re: ${subject}`,
        text: 'Hi Maya, happy to. Send me a few times that work for you?\n\nNadia',
        date: new Date(now.getTime() - 20 * HOUR),
        inReplyTo: sent.messageId,
      });
    }
  }
}
