// Job `sync-account`: incremental sync of every watched calendar of one account, then plan again
// for every chat that changed. A refused cursor (Google 410 / Graph expired delta) drops the
// cursor and resyncs the window in full, counted and logged; ingest then drops the stored events of
// the window that did not come back (deleted while no cursor held them).
import type { Job } from 'bullmq';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { Account, Calendar, Prisma } from '../db/generated/client.ts';
import { ingestSyncPage } from '../core/ingest-events.ts';
import { jobSchemas } from '../queues/queues.ts';
import { requestChatPlan } from '../core/request-plan.ts';
import { isProviderError, type CalendarProvider, type SyncPage } from '../../integrations/provider.ts';
import { withProvider } from '../provider-policy.ts';
import { withLock } from '../core/locks.ts';
import { unscheduleAccount } from '../queues/account-schedulers.ts';

const DAY_MS = 86_400_000;
/** The window a full sync covers: a month back (recent chats need thank-yous), half a year ahead. */
export const SYNC_WINDOW = { backDays: 30, aheadDays: 180 };

export interface SyncSummary {
  account: string;
  calendars: number;
  events: number;
  chats: number;
  fullSyncs: number;
  calls: number;
}

export async function syncAccountJob(app: App, job: Job | undefined, token?: string): Promise<SyncSummary> {
  const { accountId } = jobSchemas['sync-account'].parse(job?.data);
  return syncAccount(app, accountId, job, token);
}

export async function syncAccount(
  app: App,
  accountId: string,
  job?: Job,
  token?: string,
): Promise<SyncSummary> {
  return withLock(app, `sync-${accountId}`, job, token, () => syncAccountLocked(app, accountId, job, token));
}

async function syncAccountLocked(
  app: App,
  accountId: string,
  job?: Job,
  token?: string,
): Promise<SyncSummary> {
  // The user (their time zone) is read by ingest only for a page with events in it: an idle sync
  // reads the account with its calendars in one statement, and writes once (bench: idle sync
  // beside its floor).
  const read = await readForSync(app, accountId);
  if (!read) {
    // A scheduler left behind (a reconcile that read the accounts before the removal upserted it
    // after) would fire every interval: taken away.
    await unscheduleAccount(app, accountId);
    app.log.info({ job: 'sync-account', accountId }, 'account removed: its schedulers taken away');
    return { account: accountId, calendars: 0, events: 0, chats: 0, fullSyncs: 0, calls: 0 };
  }
  const { account } = read;
  const summary: SyncSummary = {
    account: account.email,
    calendars: 0,
    events: 0,
    chats: 0,
    fullSyncs: 0,
    calls: 0,
  };
  if (account.status !== 'active') return summary;
  const log = app.log.child({ job: 'sync-account', account: account.email });

  await withProvider(app, job, token, account, async ({ calendar: provider }) => {
    let calendars: SyncCalendar[] = read.calendars;
    if (calendars.length === 0) {
      await discoverCalendars(app, accountId, provider);
      calendars = await app.prisma.calendar.findMany({
        where: { accountId, selected: true },
        select: SYNC_CALENDAR_FIELDS,
        orderBy: [{ primary: 'desc' }, { id: 'asc' }],
      });
    }
    const now = app.now();
    const window = {
      from: new Date(now.getTime() - SYNC_WINDOW.backDays * DAY_MS),
      to: new Date(now.getTime() + SYNC_WINDOW.aheadDays * DAY_MS),
    };
    const changedChats = new Set<string>();
    for (const [i, cal] of calendars.entries()) {
      let page: SyncPage;
      try {
        page = await provider.syncCalendar(cal.providerCalendarId, cal.syncCursor, window);
      } catch (err) {
        if (!(isProviderError(err) && err.kind === 'cursor_expired')) throw err;
        log.warn({ calendar: cal.name }, 'sync cursor refused by provider: full resync of the window');
        page = await provider.syncCalendar(cal.providerCalendarId, null, window);
      }
      const result = await ingestSyncPage(app, account, cal, page);
      result.changedChatIds.forEach((id) => changedChats.add(id));
      if (i === calendars.length - 1 && !page.full) {
        // The last calendar's cursor and the account's lastSyncAt in one statement (one round trip).
        await app.prisma
          .$executeRaw`WITH c AS (UPDATE "Calendar" SET "syncCursor" = ${page.cursor}, "lastSyncAt" = ${now} WHERE id = ${cal.id}) UPDATE "Account" SET "lastSyncAt" = ${now} WHERE id = ${accountId}`;
      } else {
        await app.prisma.calendar.update({
          where: { id: cal.id },
          data: {
            syncCursor: page.cursor,
            lastSyncAt: now,
            ...(page.full ? { lastFullSyncAt: now, fullSyncCount: { increment: 1 } } : {}),
          },
        });
        if (i === calendars.length - 1)
          await app.prisma.account.update({ where: { id: accountId }, data: { lastSyncAt: now } });
      }
      summary.calendars += 1;
      summary.events += result.events;
      summary.chats += result.chats;
      summary.calls += page.calls;
      if (page.full) summary.fullSyncs += 1;
    }
    if (calendars.length === 0)
      await app.prisma.account.update({ where: { id: accountId }, data: { lastSyncAt: now } });
    for (const chatId of changedChats) {
      await requestChatPlan(app, chatId);
    }
  });
  // (The logger already names the account.) A sync that found nothing is the common case, every
  // SYNC_INTERVAL per account (10,000 accounts at PT5M: 33 a second): kept at debug.
  const { account: _account, ...counts } = summary;
  if (summary.events > 0 || summary.fullSyncs > 0) log.info(counts, 'synced');
  else log.debug(counts, 'synced, nothing new');
  return summary;
}

/** What a sync reads of each watched calendar. */
const SYNC_CALENDAR_FIELDS = {
  id: true,
  providerCalendarId: true,
  name: true,
  timeZone: true,
  syncCursor: true,
} as const satisfies Prisma.CalendarSelect;
export type SyncCalendar = Pick<Calendar, keyof typeof SYNC_CALENDAR_FIELDS>;

const syncCalendars = z.array(
  z.object({
    id: z.string(),
    providerCalendarId: z.string(),
    name: z.string(),
    timeZone: z.string().nullable(),
    syncCursor: z.string().nullable(),
  }),
);

/**
 * The account and its watched calendars (the primary first: a meeting on two of them is taken in
 * from it) in one statement, or null when the account is gone. Prisma reads a relation with a
 * statement of its own; an idle sync is otherwise only its calls and one write, so this read was a
 * third of its SQL.
 */
export async function readForSync(
  app: App,
  accountId: string,
): Promise<{ account: Account; calendars: SyncCalendar[] } | null> {
  const rows = await app.prisma.$queryRaw<(Account & { syncCalendars: unknown })[]>`
    SELECT a.*, COALESCE((
      SELECT json_agg(json_build_object('id', c.id, 'providerCalendarId', c."providerCalendarId",
        'name', c.name, 'timeZone', c."timeZone", 'syncCursor', c."syncCursor")
        ORDER BY c."primary" DESC, c.id)
      FROM "Calendar" c WHERE c."accountId" = a.id AND c.selected), '[]'::json) AS "syncCalendars"
    FROM "Account" a WHERE a.id = ${accountId}`;
  const row = rows[0];
  if (!row) return null;
  const { syncCalendars: raw, ...account } = row;
  return {
    account,
    calendars: syncCalendars.parse(typeof raw === 'string' ? JSON.parse(raw) : raw),
  };
}

/** First sync: learn the account's calendars; the primary one is watched by default. */
export async function discoverCalendars(
  app: App,
  accountId: string,
  provider: CalendarProvider,
): Promise<void> {
  const calendars = await provider.listCalendars();
  for (const c of calendars) {
    await app.prisma.calendar.upsert({
      where: { accountId_providerCalendarId: { accountId, providerCalendarId: c.id } },
      create: {
        accountId,
        providerCalendarId: c.id,
        name: c.name,
        primary: c.primary,
        selected: c.primary,
        timeZone: c.timeZone ?? null,
      },
      update: { name: c.name, primary: c.primary, timeZone: c.timeZone ?? null },
    });
  }
}
