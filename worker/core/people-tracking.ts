// What the mailbox says about people the user asked: a reply in the outreach's thread (→ replied),
// an introduction arriving (a thread with both the introducer and the person to meet → asked),
// and, with neither, the one gentle follow-up once FOLLOW_UP_BUSINESS_DAYS of theirs have passed.
// Runs with send detection (track-drafts), on each of the user's accounts.
import type { App } from '../app.ts';
import type { Account } from '../db/generated/client.ts';
import type { MailboxProvider } from '../../integrations/provider.ts';
import { planFollowUp } from '../pipeline/plan-follow-up.ts';
import { scheduleJob } from '../queues/schedule-job.ts';
import { setAsideDrafts } from './set-aside.ts';

/** An ask older than this is no longer watched for a reply (or followed up). */
export const WATCH_DAYS = 60;

export function followUpKey(contactId: string): string {
  return `follow-up-${contactId}`;
}

/** Anyone asked and not answered, or waiting for an introduction (a cheap check before any provider call). */
export async function hasPeopleToTrack(app: App, userId: string): Promise<boolean> {
  const horizon = new Date(app.now().getTime() - WATCH_DAYS * 86_400_000);
  const one = await app.prisma.contact.findFirst({
    where: {
      userId,
      doNotContact: false,
      repliedAt: null,
      OR: [
        { introThreadId: { not: null }, introducedAt: { gte: horizon } },
        {
          drafts: {
            some: { kind: { in: ['outreach', 'follow_up'] }, status: 'sent', sentAt: { gte: horizon } },
          },
        },
      ],
    },
    select: { id: true },
  });
  return one !== null || (await introsAwaited(app, userId, horizon)).length > 0;
}

/** People waiting for an introduction the user asked for, and since when. */
async function introsAwaited(app: App, userId: string, horizon: Date) {
  const requests = await app.prisma.draft.findMany({
    where: { userId, kind: 'intro_request', status: { in: ['created', 'sent'] }, dueAt: { gte: horizon } },
    select: { dueAt: true, context: true },
  });
  const since = new Map<string, Date>();
  for (const r of requests) {
    const id = (r.context as { targetId?: string } | null)?.targetId;
    if (id && (!since.has(id) || since.get(id)! > r.dueAt)) since.set(id, r.dueAt);
  }
  if (since.size === 0) return [];
  const targets = await app.prisma.contact.findMany({
    where: { id: { in: [...since.keys()] }, doNotContact: false, introducedAt: null, repliedAt: null },
    include: { introducer: true },
  });
  return targets.map((target) => ({ target, since: since.get(target.id)! }));
}

export async function trackPeople(app: App, account: Account, mailbox: MailboxProvider) {
  const now = app.now();
  const counts = { replied: 0, introduced: 0, followUps: 0 };
  const horizon = new Date(now.getTime() - WATCH_DAYS * 86_400_000);

  // Introductions: the user asked someone to introduce them (an intro request made or sent),
  // and no thread with both the introducer and the person to meet has been seen since.
  for (const { target, since } of await introsAwaited(app, account.userId, horizon)) {
    if (!target.introducer) continue;
    const found = await mailbox.findThreadWith([target.introducer.email, target.email], since);
    if (!found) continue;
    counts.introduced += 1;
    await app.prisma.contact.update({
      where: { id: target.id },
      data: { introducedAt: found.at, introThreadId: found.threadId },
    });
  }

  // Replies: in the threads of asks sent from this account, or in the introduction's thread.
  const asked = await app.prisma.contact.findMany({
    where: {
      userId: account.userId,
      doNotContact: false,
      repliedAt: null,
      OR: [
        {
          drafts: {
            some: {
              accountId: account.id,
              kind: { in: ['outreach', 'follow_up'] },
              status: 'sent',
              sentAt: { gte: horizon },
            },
          },
        },
        { introThreadId: { not: null }, introducedAt: { gte: horizon } },
      ],
    },
    include: {
      user: { select: { timeZone: true } },
      chats: { select: { status: true } },
      drafts: {
        where: { kind: { in: ['outreach', 'follow_up'] } },
        select: { kind: true, status: true, sentAt: true, threadId: true, accountId: true },
      },
    },
  });
  for (const c of asked) {
    const threads = new Map<string, Date>();
    for (const d of c.drafts)
      // The outreach and its follow-up share a thread: replies count from the first of them.
      if (d.status === 'sent' && d.sentAt && d.threadId && d.accountId === account.id) {
        const known = threads.get(d.threadId);
        if (!known || d.sentAt < known) threads.set(d.threadId, d.sentAt);
      }
    if (c.introThreadId && c.introducedAt)
      threads.set(c.introThreadId, new Date(c.introducedAt.getTime() - 1));
    let replied: Date | null = null;
    for (const [threadId, after] of threads) {
      const messages = await mailbox.threadMessages(threadId);
      // Their own answer: an out-of-office or vacation responder is not one (it would cancel the
      // follow-up and draft an offer of times to someone who never answered).
      const reply = messages.find(
        // At or after: mail times are whole seconds (Graph), and a message from them in the ask's
        // own thread can only answer it.
        (m) => m.from === c.email && !m.automatic && m.at.getTime() >= after.getTime(),
      );
      if (reply && (!replied || reply.at < replied)) replied = reply.at;
    }
    if (replied) {
      counts.replied += 1;
      await app.prisma.contact.update({
        where: { id: c.id },
        data: {
          repliedAt: replied,
          ...(!c.lastMailExchangedAt || c.lastMailExchangedAt < replied
            ? { lastMailExchangedAt: replied }
            : {}),
        },
      });
      // A follow-up still waiting to be made is no longer wanted (create-draft re-checks too).
      await setAsideDrafts(app, { idempotencyKey: followUpKey(c.id) }, 'they replied');
      continue;
    }
    const outreach = c.drafts
      .filter((d) => d.kind === 'outreach' && d.status === 'sent' && d.sentAt && d.accountId === account.id)
      .sort((a, b) => a.sentAt!.getTime() - b.sentAt!.getTime())[0];
    const decision = planFollowUp(
      {
        doNotContact: c.doNotContact,
        repliedAt: null,
        declined: false,
        outreachSentAt: outreach?.sentAt ?? null,
        followUpExists: c.drafts.some((d) => d.kind === 'follow_up'),
        hasChat: c.chats.some((x) => x.status !== 'cancelled'),
        contactTimeZone: c.timeZone,
        userTimeZone: c.user.timeZone,
      },
      app.config.FOLLOW_UP_BUSINESS_DAYS,
    );
    if (!('due' in decision) || decision.due.getTime() > now.getTime()) continue;
    const key = followUpKey(c.id);
    // The key is unique: never a second follow-up, whatever happens to the first.
    const row = await app.prisma.draft.upsert({
      where: { idempotencyKey: key },
      create: {
        idempotencyKey: key,
        kind: 'follow_up',
        userId: c.userId,
        accountId: account.id,
        contactId: c.id,
        dueAt: now,
      },
      update: {},
    });
    if (row.status === 'scheduled') {
      counts.followUps += 1;
      await scheduleJob(app.queues, 'create-draft', { key }, { jobId: key, dueAt: now, now });
    }
  }
  return counts;
}
