// What the worker is doing for the user, read from the database: accounts and their sync state,
// chats (with both parties' zones and the detector's reasons), what is scheduled, drafts made,
// and the events it ignored and why. `status --json`, the demo summary and the review page use it.
import { DateTime } from 'luxon';
import type { DraftKind, PrismaClient } from '../db/generated/client.ts';
import { PENDING_PREFIX } from '../pipeline/chat-waiting.ts';
import { PREP_BLOCK_REASON } from '../pipeline/detect-chat.ts';
import { peopleBoard, type PersonOnBoard } from './people.ts';
import { editShares, type EditShare } from '../pipeline/edit-distance.ts';

export interface StatusReport {
  accounts: {
    id: string;
    userId: string;
    email: string;
    provider: string;
    status: string;
    lastSyncAt: string | null;
    lastError: string | null;
    timeZone: string | null;
  }[];
  chats: {
    id: string;
    accountEmail: string;
    contactEmail: string;
    contactName: string | null;
    contactTimeZone: string | null;
    title: string;
    start: string;
    end: string;
    timeZone: string;
    userTimeZone: string;
    /** pending: an invite the user has not accepted (nothing is drafted or blocked until then). */
    status: 'upcoming' | 'pending' | 'done' | 'cancelled';
    /** Why nothing is planned for it yet (pending invite, later occurrence of a series, a cap). */
    waiting: string | null;
    reasons: string[];
    note: string | null;
  }[];
  scheduled: {
    kind: DraftKind | 'prep';
    contactEmail: string;
    dueAt: string;
    chatId: string | null;
  }[];
  drafts: {
    kind: string;
    contactEmail: string | null;
    subject: string | null;
    status: string;
    createdAt: string;
    webLink: string | null;
    chatId: string | null;
    /** Why it failed (status `failed`): the provider's or the worker's one line. */
    lastError: string | null;
  }[];
  ignored: { accountEmail: string; title: string; start: string | null; reasons: string[] }[];
  /** The people pipeline: each person's derived stage and next step. */
  people: PersonOnBoard[];
  /** Per draft kind, how many sent drafts went out with at most a small edit (edit-distance.ts). */
  edits: EditShare[];
}

const iso = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toISO()!;

export async function getStatus(
  prisma: PrismaClient,
  now: Date,
  opts: { userId?: string; followUpBusinessDays?: number } = {},
): Promise<StatusReport> {
  const userFilter = opts.userId ? { userId: opts.userId } : {};
  const accounts = await prisma.account.findMany({ where: userFilter, orderBy: { createdAt: 'asc' } });
  const chats = await prisma.chat.findMany({
    where: userFilter,
    include: { account: true, contact: true, user: true },
    orderBy: { startUtc: 'asc' },
  });
  const drafts = await prisma.draft.findMany({
    where: userFilter,
    include: { contact: true },
    orderBy: { dueAt: 'asc' },
  });
  const entries = await prisma.calendarEntry.findMany({
    where: {
      providerEventId: null,
      deleted: false,
      ...(opts.userId ? { chat: { userId: opts.userId } } : {}),
    },
    include: { chat: { include: { contact: true } } },
  });
  const plans = await prisma.checkInPlan.findMany({
    where: { status: 'active', ...(opts.userId ? { contact: { userId: opts.userId } } : {}) },
    include: { contact: true },
  });
  const ignoredEvents = await prisma.event.findMany({
    where: { isChat: false, ...(opts.userId ? { calendar: { account: { userId: opts.userId } } } : {}) },
    include: { calendar: { include: { account: true } } },
    orderBy: { startUtc: 'asc' },
  });

  const scheduled: StatusReport['scheduled'] = [];
  for (const d of drafts) {
    if (d.status === 'scheduled') {
      scheduled.push({
        kind: d.kind,
        contactEmail: d.contact?.email ?? '',
        dueAt: d.dueAt.toISOString(),
        chatId: d.chatId,
      });
    }
  }
  // A prep block whose job used up its attempts (failedAt) is not scheduled any more: it shows
  // among the drafts as failed, with the reason, and the reconciler leaves it alone.
  const failedPrep: StatusReport['drafts'] = [];
  for (const e of entries) {
    if (e.failedAt) {
      failedPrep.push({
        kind: 'prep',
        contactEmail: e.chat?.contact.email ?? null,
        subject: e.chat ? `Prep: ${e.chat.title}` : null,
        status: 'failed',
        createdAt: e.failedAt.toISOString(),
        webLink: null,
        chatId: e.chatId,
        lastError: e.lastError,
      });
      continue;
    }
    if (e.chat && e.chat.status === 'upcoming') {
      scheduled.push({
        kind: 'prep',
        contactEmail: e.chat.contact.email,
        dueAt: e.startUtc.toISOString(),
        chatId: e.chatId,
      });
    }
  }
  for (const p of plans) {
    const pending = drafts.some(
      (d) =>
        d.contactId === p.contactId &&
        d.kind === 'check_in' &&
        (d.status === 'scheduled' || d.status === 'created'),
    );
    if (!pending && p.nextAt > p.anchorAt) {
      scheduled.push({
        kind: 'check_in',
        contactEmail: p.contact.email,
        dueAt: p.nextAt.toISOString(),
        chatId: null,
      });
    }
  }
  scheduled.sort((a, b) => a.dueAt.localeCompare(b.dueAt));

  return {
    accounts: accounts.map((a) => ({
      id: a.id,
      userId: a.userId,
      email: a.email,
      provider: a.provider,
      status: a.status,
      lastSyncAt: a.lastSyncAt?.toISOString() ?? null,
      lastError: a.lastError,
      timeZone: a.timeZone,
    })),
    chats: chats.map((c) => ({
      id: c.id,
      accountEmail: c.account.email,
      contactEmail: c.contact.email,
      contactName: c.contact.name,
      contactTimeZone: c.contact.timeZone,
      title: c.title,
      start: iso(c.startUtc, c.timeZone),
      end: iso(c.endUtc, c.timeZone),
      timeZone: c.timeZone,
      userTimeZone: c.user.timeZone,
      status:
        c.status === 'upcoming' && c.endUtc <= now
          ? 'done'
          : c.status === 'upcoming' && c.waiting?.startsWith(PENDING_PREFIX)
            ? 'pending'
            : c.status,
      waiting: c.waiting,
      reasons: c.waiting ? [...c.detectionReasons, c.waiting] : c.detectionReasons,
      note: c.note,
    })),
    scheduled,
    drafts: [
      ...drafts
        .filter((d) => d.status !== 'scheduled')
        .map((d) => ({
          kind: d.kind,
          contactEmail: d.contact?.email ?? null,
          subject: d.subject,
          // Shown as before: set aside by the worker reads "discarded" to the user.
          status: d.status === 'set_aside' ? 'discarded' : d.status,
          createdAt: d.createdAt.toISOString(),
          webLink: d.webLink,
          chatId: d.chatId,
          lastError: d.status === 'failed' ? d.lastError : null,
        })),
      ...failedPrep,
    ],
    ignored: ignoredEvents
      .filter((e) => !e.reasons.includes(PREP_BLOCK_REASON))
      .map((e) => ({
        accountEmail: e.calendar.account.email,
        title: e.title,
        start: e.startUtc ? iso(e.startUtc, e.timeZone ?? 'UTC') : null,
        reasons: e.reasons,
      })),
    people: await peopleBoard(prisma, now, opts),
    edits: editShares(drafts.filter((d) => d.status === 'sent')),
  };
}
