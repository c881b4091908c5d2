// Google Calendar v3 as the sandbox serves it (under /calendar/v3): the routes for settings, the
// calendar list and events. The model, writes, sync and push channels live beside it
// (calendar-*.ts).
// Reference: https://developers.google.com/calendar/api/v3/reference
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { GoogleApiError, notFound } from './errors.ts';
import { type GoogleState } from './state.ts';
import {
  checkIfMatch,
  deleteEvent,
  findInstance,
  insertEvent,
  patchEvent,
  splitInstanceId,
} from './calendar-mutations.ts';
import {
  type Json,
  bodyOf,
  calendarGuard,
  eventResource,
  instanceResource,
  resolveCalendar,
} from './calendar-model.ts';
import { enc, listEvents } from './calendar-sync.ts';
import { PushDispatcher, registerChannels } from './calendar-push.ts';
import { queryFreeBusy } from './calendar-freebusy.ts';

export function registerCalendar(
  app: FastifyInstance,
  state: GoogleState,
  ctx: SandboxContext,
  push: PushDispatcher,
): void {
  const guard = calendarGuard(state, ctx);
  type P = { calendarId: string; eventId: string; setting: string };
  const cdv = (req: FastifyRequest) => Number((req.query as Json).conferenceDataVersion ?? 0) || 0;

  // https://developers.google.com/calendar/api/v3/reference/settings/get
  app.get('/users/me/settings/:setting', async (req) => {
    const account = await guard(req);
    const { setting } = req.params as P;
    const primary = account.calendars.get(account.email)!;
    const values: Record<string, string> = {
      timezone: primary.timeZone,
      format24HourTime: 'false',
      weekStart: '0',
      locale: 'en',
    };
    const value = values[setting];
    if (value === undefined) throw notFound();
    return { kind: 'calendar#setting', etag: `"${primary.seq}"`, id: setting, value };
  });

  // https://developers.google.com/calendar/api/v3/reference/calendarList/list
  app.get('/users/me/calendarList', async (req) => {
    const account = await guard(req);
    return {
      kind: 'calendar#calendarList',
      etag: `"${account.calendars.size}"`,
      nextSyncToken: enc({ cl: account.calendars.size }),
      items: [...account.calendars.values()].map((c) => ({
        kind: 'calendar#calendarListEntry',
        etag: `"${c.seq}"`,
        id: c.id,
        summary: c.summary,
        timeZone: c.timeZone,
        accessRole: c.accessRole,
        selected: true,
        ...(c.primary ? { primary: true } : {}),
        defaultReminders: [],
      })),
    };
  });

  // https://developers.google.com/calendar/api/v3/reference/events/list
  app.get('/calendars/:calendarId/events', async (req) => {
    const query = req.query as Json;
    const account = await guard(req, { syncTokenRequest: query.syncToken !== undefined });
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    return listEvents(account, cal, query, ctx.now());
  });

  // https://developers.google.com/calendar/api/v3/reference/events/get
  app.get('/calendars/:calendarId/events/:eventId', async (req) => {
    const account = await guard(req);
    const { calendarId, eventId } = req.params as P;
    const cal = resolveCalendar(account, calendarId);
    const ev = cal.events.get(eventId);
    if (ev) return eventResource(ev, account, cal);
    const split = splitInstanceId(cal, eventId);
    const inst = split && findInstance(cal, split.master, eventId);
    if (!inst) throw notFound();
    return instanceResource(inst, account, cal);
  });

  // https://developers.google.com/calendar/api/v3/reference/events/insert
  app.post('/calendars/:calendarId/events', async (req) => {
    const account = await guard(req);
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    if (cal.accessRole !== 'owner' && cal.accessRole !== 'writer')
      throw new GoogleApiError(403, 'forbidden', 'Forbidden');
    const ev = insertEvent(account, cal, bodyOf(req), {
      viaApi: true,
      conferenceDataVersion: cdv(req),
      now: ctx.now(),
      notifier: push,
    });
    return eventResource(ev, account, cal);
  });

  // https://developers.google.com/calendar/api/v3/reference/events/patch and /update
  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/calendars/:calendarId/events/:eventId',
      handler: async (req) => {
        const account = await guard(req);
        const { calendarId, eventId } = req.params as P;
        const cal = resolveCalendar(account, calendarId);
        checkIfMatch(cal, eventId, req.headers['if-match']);
        const r = patchEvent(account, cal, eventId, bodyOf(req), {
          replace: method === 'PUT',
          conferenceDataVersion: cdv(req),
          now: ctx.now(),
          notifier: push,
        });
        return r.kind === 'event'
          ? eventResource(r.ev, account, cal)
          : instanceResource(r.inst, account, cal);
      },
    });
  }

  // https://developers.google.com/calendar/api/v3/reference/events/delete — 204, then "cancelled" in the next sync
  app.delete('/calendars/:calendarId/events/:eventId', async (req, reply) => {
    const account = await guard(req);
    const { calendarId, eventId } = req.params as P;
    const cal = resolveCalendar(account, calendarId);
    checkIfMatch(cal, eventId, req.headers['if-match']);
    deleteEvent(account, cal, eventId, ctx.now(), push);
    return reply.code(204).send();
  });

  // https://developers.google.com/calendar/api/v3/reference/freebusy/query (see calendar-freebusy.ts)
  app.post('/freeBusy', async (req) => queryFreeBusy(await guard(req), bodyOf(req)));

  registerChannels(app, state, ctx, push);
}
