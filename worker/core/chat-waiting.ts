// Reads what pipeline/chat-waiting.ts needs to say whether a chat waits: the user's answer on its
// event, and the upcoming chats that come before it (same series, same person, same account).
import type { App } from '../app.ts';
import type { Account, Chat, Event } from '../db/generated/client.ts';
import type { NeutralEvent } from '../../integrations/provider.ts';
import { unansweredInvite, waitingReason } from '../pipeline/chat-waiting.ts';

export async function chatWaiting(
  app: App,
  chat: Chat & { account: Account; event: Event | null; contact: { email: string } },
  now: Date,
): Promise<string | null> {
  const event = chat.event?.payload as Pick<
    NeutralEvent,
    'organizer' | 'attendees' | 'recurringEventId'
  > | null;
  const unanswered =
    event && Array.isArray(event.attendees) ? unansweredInvite(event, [chat.account.email]) : null;
  // The event changed and no longer looks like a chat (longer than an hour, more guests), which
  // does not cancel it: what was made stays, nothing new is planned.
  if (chat.event && !chat.event.isChat)
    return `waiting: no longer looks like a coffee chat (${chat.event.reasons.join('; ')}); nothing new is planned`;
  const upcoming = chat.status === 'upcoming' && chat.endUtc > now;
  if (unanswered || !upcoming) return waitingReason({ ...none(chat), unanswered, upcoming });
  // Upcoming chats that come before this one (ties broken by id, so exactly one is first).
  const before = {
    id: { not: chat.id },
    status: 'upcoming' as const,
    endUtc: { gt: now },
    OR: [{ startUtc: { lt: chat.startUtc } }, { startUtc: chat.startUtc, id: { lt: chat.id } }],
  };
  const series = event?.recurringEventId;
  const [earlierInSeries, plannedEarlierWithContact, plannedEarlierOnAccount] = await Promise.all([
    series
      ? app.prisma.chat.count({
          where: {
            ...before,
            accountId: chat.accountId,
            event: { payload: { path: ['recurringEventId'], equals: series } },
          },
        })
      : 0,
    app.prisma.chat.count({ where: { ...before, contactId: chat.contactId, waiting: null } }),
    app.prisma.chat.count({ where: { ...before, accountId: chat.accountId, waiting: null } }),
  ]);
  return waitingReason({
    ...none(chat),
    unanswered,
    upcoming,
    earlierInSeries,
    plannedEarlierWithContact,
    plannedEarlierOnAccount,
  });
}

function none(chat: { contact: { email: string } }) {
  return {
    earlierInSeries: 0,
    plannedEarlierWithContact: 0,
    plannedEarlierOnAccount: 0,
    contactEmail: chat.contact.email,
  };
}
