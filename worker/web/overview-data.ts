// Everything the overview page shows, read once per request: the status report (shared with the
// CLI and the demo) plus what only the page needs: ids of ignored events (for "include") and each
// contact's check-in plan.
import type { App } from '../app.ts';
import type { NeutralEvent } from '../../integrations/provider.ts';
import { getStatus, type StatusReport } from '../core/status.ts';
import { listMaterial, type MaterialRow } from '../core/check-in-material.ts';
import { PREP_BLOCK_REASON } from '../pipeline/detect-chat.ts';
import { loadProposals, type ProposalRow } from './proposals.ts';

const DAY_MS = 86_400_000;
/** Ignored events older than this are history, not something to review. */
const IGNORED_LOOKBACK_DAYS = 14;
const IGNORED_LIMIT = 60;

export interface IgnoredEvent {
  id: string;
  accountEmail: string;
  title: string;
  startUtc: Date | null;
  timeZone: string | null;
  allDay: boolean;
  /** All-day events carry a date only (YYYY-MM-DD). */
  allDayDate: string | null;
  /** For a recurring series: how many of its instances are listed under this one row. */
  occurrences: number;
  cancelled: boolean;
  excludedByUser: boolean;
  reasons: string[];
}

export interface ContactRow {
  id: string;
  email: string;
  name: string | null;
  timeZone: string | null;
  timeZoneSource: string | null;
  doNotContact: boolean;
  userTimeZone: string;
  lastMailExchangedAt: Date | null;
  checkIn: {
    status: 'active' | 'stopped';
    step: number;
    nextAt: Date;
    anchorAt: Date;
    snoozedUntil: Date | null;
    stopReason: string | null;
    unansweredCount: number;
  } | null;
}

export interface OverviewData {
  now: Date;
  status: StatusReport;
  /** Zone used for times that belong to no chat (drafts, schedule); the first user's. */
  userTimeZone: string;
  /** Contacts by email, for names and zones beside scheduled items and drafts. */
  contacts: ContactRow[];
  ignored: IgnoredEvent[];
  /** Open proposals of times (propose --with), latest per contact. */
  proposals: ProposalRow[];
  /** Material queued for check-ins (substance-section.ts). */
  material: MaterialRow[];
}

/** `viewer.userId`: that user's data only (a per-user token); null: every user's. */
export async function loadOverview(
  app: App,
  viewer: { userId: string | null } = { userId: null },
): Promise<OverviewData> {
  const now = app.now();
  const userId = viewer.userId ?? undefined;
  const status = await getStatus(app.prisma, now, {
    followUpBusinessDays: app.config.FOLLOW_UP_BUSINESS_DAYS,
    ...(userId ? { userId } : {}),
  });
  const users = await app.prisma.user.findMany({
    where: userId ? { id: userId } : {},
    orderBy: { createdAt: 'asc' },
    select: { id: true, timeZone: true },
  });
  const zoneOf = new Map(users.map((u) => [u.id, u.timeZone]));
  const contacts = await app.prisma.contact.findMany({
    where: userId ? { userId } : {},
    include: { checkIn: true },
    orderBy: [{ name: 'asc' }, { email: 'asc' }],
  });
  const since = new Date(now.getTime() - IGNORED_LOOKBACK_DAYS * DAY_MS);
  const events = await app.prisma.event.findMany({
    where: {
      isChat: false,
      OR: [{ startUtc: { gte: since } }, { startUtc: null, updatedAt: { gte: since } }],
      ...(userId ? { calendar: { account: { userId } } } : {}),
    },
    include: { calendar: { include: { account: true } } },
    orderBy: [{ startUtc: 'asc' }],
    take: IGNORED_LIMIT,
  });
  return {
    now,
    status,
    userTimeZone: users[0]?.timeZone ?? 'UTC',
    material: await listMaterial(app, userId),
    contacts: contacts.map((c) => ({
      id: c.id,
      email: c.email,
      name: c.name,
      timeZone: c.timeZone,
      timeZoneSource: c.timeZoneSource,
      doNotContact: c.doNotContact,
      userTimeZone: zoneOf.get(c.userId) ?? 'UTC',
      lastMailExchangedAt: c.lastMailExchangedAt,
      checkIn: c.checkIn
        ? {
            status: c.checkIn.status,
            step: c.checkIn.step,
            nextAt: c.checkIn.nextAt,
            anchorAt: c.checkIn.anchorAt,
            snoozedUntil: c.checkIn.snoozedUntil,
            stopReason: c.checkIn.stopReason,
            unansweredCount: c.checkIn.unansweredCount,
          }
        : null,
    })),
    proposals: await loadProposals(app, now, userId),
    ignored: foldSeries(events.filter((e) => !e.reasons.includes(PREP_BLOCK_REASON))).map(
      ({ event: e, occurrences }) => ({
        id: e.id,
        occurrences,
        accountEmail: e.calendar.account.email,
        title: e.title,
        startUtc: e.startUtc,
        timeZone: e.timeZone,
        allDay: e.allDay,
        allDayDate: allDayDate(e.payload),
        cancelled: e.cancelled,
        excludedByUser: e.override === 'exclude',
        reasons: e.reasons,
      }),
    ),
  };
}

/** Instances of one recurring series share a row (the first one listed), with their count. */
function foldSeries<T extends { payload: unknown }>(events: T[]): { event: T; occurrences: number }[] {
  const rows: { event: T; occurrences: number }[] = [];
  const bySeries = new Map<string, { event: T; occurrences: number }>();
  for (const event of events) {
    const series = (event.payload as { recurringEventId?: string } | null)?.recurringEventId;
    const row = series ? bySeries.get(series) : undefined;
    if (row) {
      row.occurrences += 1;
      continue;
    }
    const fresh = { event, occurrences: 1 };
    if (series) bySeries.set(series, fresh);
    rows.push(fresh);
  }
  return rows;
}

function allDayDate(payload: unknown): string | null {
  const start = (payload as Partial<NeutralEvent> | null)?.start;
  return start?.kind === 'allDay' && typeof start.date === 'string' ? start.date : null;
}
