// When someone the user asked replies, the next step of the playbook is agreeing on a time: the
// worker drafts the reply offering three times (proposeTimes), once per person, for the user to
// review. Read from the rows each round (replied, no proposal yet, no chat), so a round that fails
// (the calendar unreachable) is simply tried again by the next one, and nothing is offered twice.
import type { App } from '../app.ts';
import type { Account } from '../db/generated/client.ts';
import { proposeTimes } from './propose-times.ts';

/** A reply older than this is history: the user has moved on (or arranged it by hand). */
export const FRESH_REPLY_DAYS = 14;

export async function proposeAfterReplies(app: App, account: Account): Promise<number> {
  const since = new Date(app.now().getTime() - FRESH_REPLY_DAYS * 86_400_000);
  const replied = await app.prisma.contact.findMany({
    where: {
      userId: account.userId,
      doNotContact: false,
      repliedAt: { gte: since },
      drafts: { none: { kind: 'propose_times' } },
      chats: { none: { status: { not: 'cancelled' } } },
    },
    select: {
      email: true,
      // The account the latest ask went out from (not one whose draft the user discarded).
      drafts: {
        where: { kind: { in: ['outreach', 'follow_up'] }, status: 'sent' },
        orderBy: { sentAt: 'desc' },
        take: 1,
        select: { accountId: true },
      },
    },
  });
  if (replied.length === 0) return 0;
  // The account that asked answers; an introduced contact asked from no account gets the user's
  // first connected one, so two accounts never both offer times.
  const first = await app.prisma.account.findFirst({
    where: { userId: account.userId, status: 'active' },
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
  let proposed = 0;
  for (const c of replied) {
    const asker = c.drafts[0]?.accountId ?? first?.id;
    if (asker !== account.id) continue;
    try {
      await proposeTimes(app, { with: c.email, accountId: account.id });
      proposed += 1;
    } catch (err) {
      app.log.warn(
        { err, accountId: account.id },
        'offering times after a reply failed; the next round tries again',
      );
    }
  }
  return proposed;
}
