// Graph v1.0 calendar: getSchedule as the sandbox serves it (POST /v1.0/me/calendar/getSchedule).
// Reference: https://learn.microsoft.com/en-us/graph/api/calendar-getschedule and
// https://learn.microsoft.com/en-us/graph/outlook-get-free-busy-schedule
//   request  { schedules: [smtp], startTime: dateTimeTimeZone, endTime: dateTimeTimeZone, availabilityViewInterval? }
//   response { value: [scheduleInformation { scheduleId, availabilityView, scheduleItems, workingHours, error? }] }
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { GraphHttpError, badRequest } from './graph-errors.ts';
import { type Json, account, applyPreferenceHeaders, renderOptions } from './graph-request.ts';
import { expandSeries, isOwnAddress, type Account, type MicrosoftStore, type StoredEvent } from './store.ts';
import { parseDateTimeTimeZone, renderDateTime } from './time.ts';

/**
 * "The time period to look up must be less than 62 days"; a longer one is answered 400
 * ErrorTimeIntervalTooBig ("The allowed limit = 62 days; the actual limit = 63 days.",
 * https://github.com/microsoftgraph/microsoft-graph-docs/pull/19703).
 */
const MAX_DAYS = 62;
/**
 * "getSchedule can support looking up free/busy information for up to 20 entities at once" (the
 * concept page; live tenants were seen to take 100, ErrorMailboxDataArrayTooBig past that:
 * https://github.com/microsoftgraph/microsoft-graph-docs/issues/7047). The documented, less
 * forgiving number.
 */
const MAX_SCHEDULES = 20;
const DAY_MS = 86_400_000;

/** freeBusyStatus: free, tentative, busy, oof, workingElsewhere, unknown (scheduleItem resource). */
type Status = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';

/**
 * availabilityView digits: "0 = free or working elsewhere, 1 = tentative, 2 = busy, 3 = out of
 * office" (https://learn.microsoft.com/en-us/graph/api/resources/scheduleinformation); the merged
 * view shows the strongest of the items overlapping each slot.
 */
const DIGIT: Record<Status, number> = {
  free: 0,
  workingElsewhere: 0,
  unknown: 0,
  tentative: 1,
  busy: 2,
  oof: 3,
};

/**
 * The owner's availability during an event: its showAs; an invitation the owner has not answered
 * or accepted tentatively shows as tentative (https://learn.microsoft.com/en-us/graph/api/resources/event:
 * showAs, responseStatus); cancelled ones and declined invitations are not on the schedule.
 */
function statusOf(acc: Account, ev: StoredEvent): Status | null {
  if (ev.isCancelled) return null;
  const me = isOwnAddress(acc, ev.organizer.address)
    ? null
    : ev.attendees.find((a) => isOwnAddress(acc, a.emailAddress.address));
  const response = me?.status.response;
  if (response === 'declined') return null;
  const shown = (
    ['free', 'tentative', 'busy', 'oof', 'workingElsewhere'].includes(ev.showAs) ? ev.showAs : 'unknown'
  ) as Status;
  if (shown === 'busy' && (response === 'tentativelyAccepted' || response === 'notResponded'))
    return 'tentative';
  return shown;
}

interface Item {
  status: Status;
  startMs: number;
  endMs: number;
  ev: StoredEvent;
}

function itemsOf(acc: Account, fromMs: number, toMs: number): Item[] {
  const out: Item[] = [];
  for (const ev of acc.events.values()) {
    if (ev.deleted) continue;
    // "An item that describes the availability of a user corresponding to an actual event on the
    // user's default calendar" (https://learn.microsoft.com/en-us/graph/api/resources/scheduleitem).
    if (!acc.calendars.get(ev.calendarId)?.isDefault) continue;
    const instances = ev.recurrence
      ? expandSeries(ev, fromMs, toMs).map((i) => ({
          startMs: i.startMs,
          endMs: i.endMs,
          cancelled: !!ev.exceptions?.get(i.id)?.isCancelled,
        }))
      : [{ startMs: ev.startMs, endMs: ev.endMs, cancelled: false }];
    for (const i of instances) {
      if (i.cancelled || i.endMs <= fromMs || i.startMs >= toMs) continue;
      const status = statusOf(acc, ev);
      if (status) out.push({ status, startMs: i.startMs, endMs: i.endMs, ev });
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

export function registerScheduleRoutes(app: FastifyInstance, ctx: SandboxContext, store: MicrosoftStore) {
  const base = '/v1.0';
  app.post(`${base}/me/calendar/getSchedule`, async (req, reply) => {
    const me = account(req);
    // "Delegated (personal Microsoft account): Not supported." (permissions table of
    // https://learn.microsoft.com/en-us/graph/api/calendar-getschedule). The refusal's exact code is
    // not documented; a 403 ErrorAccessDenied is the plain reading.
    if (me.personal)
      throw new GraphHttpError(
        403,
        'ErrorAccessDenied',
        'getSchedule is not supported for personal Microsoft accounts.',
      );
    const body = (req.body ?? {}) as Json;
    const schedules = body.schedules;
    if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => typeof s !== 'string'))
      throw badRequest('The schedules parameter is required.', 'ErrorInvalidParameter');
    const startMs = parseDateTimeTimeZone(body.startTime as { dateTime?: string; timeZone?: string });
    const endMs = parseDateTimeTimeZone(body.endTime as { dateTime?: string; timeZone?: string });
    if (startMs === null || endMs === null)
      throw badRequest('The startTime and endTime parameters are required.', 'ErrorInvalidParameter');
    if (endMs <= startMs)
      throw badRequest('The end time must be later than the start time.', 'ErrorInvalidTimeInterval');
    const days = Math.ceil((endMs - startMs) / DAY_MS);
    if (days > MAX_DAYS)
      throw badRequest(
        `The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = ${MAX_DAYS} days; the actual limit = ${days} days.`,
        'ErrorTimeIntervalTooBig',
      );
    if (schedules.length > MAX_SCHEDULES)
      throw badRequest(
        `There are too many target users in the EmailAddress array. The allowed size = ${MAX_SCHEDULES}; the actual size = ${schedules.length}.`,
        'ErrorMailboxDataArrayTooBig',
      );
    // "The default is 30 minutes, minimum is 5, maximum is 1440."
    const interval = body.availabilityViewInterval === undefined ? 30 : Number(body.availabilityViewInterval);
    if (!Number.isInteger(interval) || interval < 5 || interval > 1440)
      throw badRequest('The availabilityViewInterval must be between 5 and 1440.', 'ErrorInvalidParameter');

    // Times in the zone of `Prefer: outlook.timezone`, "If not specified, those time values are
    // returned in UTC." (request headers of the getSchedule page).
    const { timeZone } = renderOptions(req, ctx);
    const value = (schedules as string[]).map((id) => {
      const who = isOwnAddress(me, id) ? me : store.account(id);
      if (!who)
        // "If getSchedule cannot identify a specified user or resource, it returns a single
        // schedule item and indicates the error" (freeBusyError: message, responseCode).
        return {
          scheduleId: id,
          availabilityView: '',
          scheduleItems: [],
          error: {
            message: `The specified user ${id} could not be found.`,
            responseCode: 'ErrorMailRecipientNotFound',
          },
        };
      const items = itemsOf(who, startMs, endMs);
      const slots = Math.ceil((endMs - startMs) / (interval * 60_000));
      let view = '';
      for (let i = 0; i < slots; i++) {
        const s = startMs + i * interval * 60_000;
        const e = Math.min(endMs, s + interval * 60_000);
        let digit = 0;
        for (const it of items) if (it.startMs < e && it.endMs > s) digit = Math.max(digit, DIGIT[it.status]);
        view += String(digit);
      }
      return {
        scheduleId: id,
        availabilityView: view,
        scheduleItems: items.map((it) => ({
          isPrivate: false,
          status: it.status,
          subject: it.ev.subject,
          location: it.ev.location,
          start: renderDateTime(it.startMs, timeZone),
          end: renderDateTime(it.endMs, timeZone),
        })),
        // From the user's mailboxSettings (see graph-profile.ts): the scheduleInformation resource's
        // workingHours "are set as part of the user's mailboxSettings".
        workingHours: {
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          startTime: '08:00:00.0000000',
          endTime: '17:00:00.0000000',
          timeZone: { name: who.windowsTimeZone },
        },
      };
    });
    applyPreferenceHeaders(req, reply, []);
    return {
      '@odata.context': `${ctx.httpsUrl()}${base}/$metadata#Collection(microsoft.graph.scheduleInformation)`,
      value,
    };
  });
}
