// Calendar push notifications: events.watch opens a channel, channels.stop closes it, and every
// change to a watched calendar is POSTed to the channel's address in order.
// Reference: https://developers.google.com/calendar/api/guides/push
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { GoogleApiError, badRequest, notFound } from './errors.ts';
import { type Account, type Calendar, type Channel, type GoogleState } from './state.ts';
import { type Notifier } from './calendar-mutations.ts';
import { bodyOf, calendarGuard, resolveCalendar } from './calendar-model.ts';

// ---- push notifications -------------------------------------------------------------------

/**
 * https://developers.google.com/calendar/api/guides/push — notifications are POSTs with an empty
 * body and X-Goog-Channel-ID, X-Goog-Channel-Token, X-Goog-Channel-Expiration, X-Goog-Resource-ID,
 * X-Goog-Resource-URI, X-Goog-Resource-State ("sync" first, then "exists"), X-Goog-Message-Number.
 */
export class PushDispatcher implements Notifier {
  private queues = new Map<string, Promise<void>>();
  delivered: { channelId: string; state: string; messageNumber: number; status: number | 'error' }[] = [];
  constructor(private readonly state: GoogleState) {}

  changed(_account: Account, cal: Calendar): void {
    for (const id of cal.channels) {
      const ch = this.state.channels.get(id);
      if (ch) this.send(ch, 'exists');
    }
  }

  send(ch: Channel, resourceState: 'sync' | 'exists'): void {
    const n = ch.messageNumber++;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': ch.id,
      'X-Goog-Resource-ID': ch.resourceId,
      'X-Goog-Resource-URI': ch.resourceUri,
      'X-Goog-Resource-State': resourceState,
      'X-Goog-Message-Number': String(n),
    };
    if (ch.token !== undefined) headers['X-Goog-Channel-Token'] = ch.token;
    if (ch.expiration) headers['X-Goog-Channel-Expiration'] = new Date(Number(ch.expiration)).toUTCString();
    const prev = this.queues.get(ch.id) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        const res = await fetch(ch.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
        this.delivered.push({ channelId: ch.id, state: resourceState, messageNumber: n, status: res.status });
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        this.delivered.push({ channelId: ch.id, state: resourceState, messageNumber: n, status: 'error' });
      }
    });
    this.queues.set(ch.id, next);
  }

  reset(): void {
    this.queues.clear();
    this.delivered = [];
  }
}

// ---- routes -------------------------------------------------------------------------------

export function registerChannels(
  app: FastifyInstance,
  state: GoogleState,
  ctx: SandboxContext,
  push: PushDispatcher,
): void {
  const guard = calendarGuard(state, ctx);
  type P = { calendarId: string };
  // https://developers.google.com/calendar/api/v3/reference/events/watch
  app.post('/calendars/:calendarId/events/watch', async (req) => {
    const account = await guard(req);
    const cal = resolveCalendar(account, (req.params as P).calendarId);
    const body = bodyOf(req);
    const id = typeof body.id === 'string' ? body.id : '';
    const address = typeof body.address === 'string' ? body.address : '';
    if (!id || id.length > 64)
      throw new GoogleApiError(400, 'required', 'Channel id must be set and at most 64 characters.');
    if (body.type !== 'web_hook' && body.type !== 'webhook')
      throw badRequest('Unknown channel type.', 'invalid');
    if (!/^https?:\/\//.test(address)) throw badRequest('WebHook callback must be a valid URL.', 'invalid');
    if (state.channels.has(id)) throw new GoogleApiError(400, 'channelIdNotUnique', 'Channel id not unique.');
    const resourceId = createHash('sha1')
      .update(`${account.email}/${cal.id}`)
      .digest('base64url')
      .slice(0, 27);
    // default and maximum channel lifetime for Calendar events is one week
    const maxExp = ctx.now().getTime() + 7 * 24 * 3600 * 1000;
    const expiration = String(Math.min(Number(body.expiration ?? maxExp) || maxExp, maxExp));
    const ch: Channel = {
      id,
      resourceId,
      resourceUri: `${ctx.httpUrl()}/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
      address,
      token: typeof body.token === 'string' ? body.token : undefined,
      expiration,
      account: account.email,
      calendarId: cal.id,
      messageNumber: 1,
    };
    state.channels.set(id, ch);
    cal.channels.add(id);
    push.send(ch, 'sync');
    return {
      kind: 'api#channel',
      id,
      resourceId,
      resourceUri: ch.resourceUri,
      ...(ch.token !== undefined ? { token: ch.token } : {}),
      expiration,
    };
  });

  // https://developers.google.com/calendar/api/v3/reference/channels/stop
  app.post('/channels/stop', async (req, reply) => {
    const account = await guard(req);
    const body = bodyOf(req);
    const ch = state.channels.get(String(body.id ?? ''));
    if (!ch || ch.resourceId !== body.resourceId || ch.account !== account.email) {
      throw notFound(`Channel '${String(body.id ?? '')}' not found for project`);
    }
    state.channels.delete(ch.id);
    account.calendars.get(ch.calendarId)?.channels.delete(ch.id);
    return reply.code(204).send();
  });
}
