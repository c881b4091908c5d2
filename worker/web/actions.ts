// The page's POST forms. Each one validates its fields, calls the same user action as the CLI
// (which writes the database and enqueues the plan jobs), then redirects back (303) to one line of
// feedback kept on the server (flash.ts; the address holds only its id). A rejected value is kept
// with it so the form shows it again.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { App } from '../app.ts';
import {
  overrideEvent,
  resumeContact,
  setChatNote,
  setContactTimeZone,
  snoozeContact,
  stopContact,
} from '../core/user-actions.ts';
import { isValidZone } from '../pipeline/time-zones.ts';
import { scheduleSlotOfDraft } from '../core/propose-times.ts';
import type { FlashStore } from './flash.ts';
import type { Flash } from './overview-page.ts';
import { viewerOf, type Guard } from './security.ts';
import { registerMaterialActions } from './substance-section.ts';

export const NOTE_MAX = 1000;

/** A problem with what the user typed: shown as one line beside the form. */
class FormError extends Error {}

interface Outcome {
  ok: string;
  anchor: string;
}

interface Target {
  anchor: string;
  form?: string;
  value?: string;
}

const params = z.object({ id: z.string().min(1).max(100) });
const body = z.record(z.string(), z.unknown());

function field(req: FastifyRequest, name: string): string {
  const parsed = body.safeParse(req.body ?? {});
  const v = parsed.success ? parsed.data[name] : undefined;
  return typeof v === 'string' ? v : '';
}

function redirectTo(flashes: FlashStore) {
  return (reply: FastifyReply, flash: Flash, anchor: string) => {
    const id = flashes.put(flash);
    return reply
      .code(303)
      .header('cache-control', 'no-store')
      .header('location', `/?flash=${id}#${encodeURIComponent(anchor)}`)
      .send();
  };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').slice(0, 300) || 'something went wrong';
}

export function registerActions(server: FastifyInstance, app: App, guard: Guard, flashes: FlashStore): void {
  const redirect = redirectTo(flashes);
  const route = (
    path: string,
    target: (id: string, req: FastifyRequest) => Target,
    run: (id: string, req: FastifyRequest) => Promise<Outcome>,
  ) => {
    server.post(path, async (req, reply) => {
      const p = params.safeParse(req.params);
      if (!p.success) return redirect(reply, { error: 'That item was not found.' }, 'top');
      const id = p.data.id;
      const t = target(id, req);
      // With a user's token, only that user's chats, events and contacts can be changed: anything
      // else is "not found", as if it did not exist.
      const { userId } = viewerOf(req);
      if (userId !== null && (await ownerOf(app, id)) !== userId)
        return redirect(reply, { error: 'That item was not found.' }, 'top');
      if (!guard.checkCsrf(field(req, '_csrf'))) {
        // Most likely the server restarted since the page was loaded (the token is per process).
        return redirect(
          reply,
          {
            error: 'The page was out of date, so nothing was changed. Please try again.',
            form: t.form,
            value: t.value,
          },
          t.anchor,
        );
      }
      try {
        const out = await run(id, req);
        return redirect(reply, { ok: out.ok }, out.anchor);
      } catch (err) {
        if (!(err instanceof FormError)) app.log.warn({ err, path }, 'review page action failed');
        return redirect(
          reply,
          { error: firstLine(err), form: t.form, value: t.value?.slice(0, NOTE_MAX + 100) },
          t.anchor,
        );
      }
    });
  };

  route(
    '/chats/:id/note',
    (id, req) => ({ anchor: `chat-${id}`, form: `note-${id}`, value: field(req, 'note') }),
    async (id, req) => {
      const note = field(req, 'note').trim();
      if (!note) throw new FormError('Write the advice first: the note is empty.');
      if (note.length > NOTE_MAX)
        throw new FormError(`Keep the note under ${NOTE_MAX} characters (it has ${note.length}).`);
      const chat = await setChatNote(app, id, note);
      return { ok: `Noted for “${chat.title}”: the thank-you will cite it.`, anchor: `chat-${id}` };
    },
  );

  route(
    '/chats/:id/exclude',
    () => ({ anchor: 'upcoming' }),
    async (id) => {
      const r = await overrideEvent(app, id, 'exclude');
      return {
        ok: `“${r.title}” is excluded: it is not treated as a coffee chat.`,
        anchor: `event-${r.eventId}`,
      };
    },
  );

  route(
    '/events/:id/include',
    (id) => ({ anchor: `event-${id}` }),
    async (id) => {
      const r = await overrideEvent(app, id, 'include');
      if (!r.isChat)
        return {
          ok: `“${r.title}” is included, but it still is not a chat: ${r.reasons.join('; ')}`,
          anchor: `event-${r.eventId}`,
        };
      const chat = await app.prisma.chat.findUnique({ where: { eventId: r.eventId }, select: { id: true } });
      return {
        ok: `“${r.title}” is now treated as a coffee chat.`,
        anchor: chat ? `chat-${chat.id}` : 'upcoming',
      };
    },
  );

  route(
    '/proposals/:id/schedule',
    (id) => ({ anchor: `proposal-${id}` }),
    async (id, req) => {
      const slot = Number(field(req, 'slot'));
      if (!Number.isInteger(slot) || slot < 1) throw new FormError('Pick one of the times offered.');
      const r = await scheduleSlotOfDraft(app, id, slot);
      return {
        ok: `Invite created for ${r.when}; the invitation goes out from your calendar.`,
        anchor: `proposal-${id}`,
      };
    },
  );

  const contactById = async (id: string) => {
    const c = await app.prisma.contact.findUnique({ where: { id } });
    if (!c) throw new FormError('That contact no longer exists.');
    return c;
  };

  route(
    '/contacts/:id/time-zone',
    (id, req) => ({ anchor: `contact-${id}`, form: `tz-${id}`, value: field(req, 'timeZone') }),
    async (id, req) => {
      const zone = field(req, 'timeZone').trim();
      if (!zone) throw new FormError('Enter a time zone such as Asia/Tokyo or Europe/London.');
      if (!isValidZone(zone))
        throw new FormError(`“${zone}” is not a time zone name; pick one from the list, such as Asia/Tokyo.`);
      const c = await contactById(id);
      await setContactTimeZone(app, c.email, zone, c.userId);
      return {
        ok: `${c.name ?? c.email} is in ${zone} now; their drafts show both times.`,
        anchor: `contact-${id}`,
      };
    },
  );

  route(
    '/contacts/:id/stop',
    (id) => ({ anchor: `contact-${id}` }),
    async (id) => {
      const c = await contactById(id);
      await stopContact(app, c.email, c.userId);
      return {
        ok: `${c.name ?? c.email}: do not contact. Nothing more is drafted to them.`,
        anchor: `contact-${id}`,
      };
    },
  );

  route(
    '/contacts/:id/resume',
    (id) => ({ anchor: `contact-${id}` }),
    async (id) => {
      const c = await contactById(id);
      await resumeContact(app, c.email, c.userId);
      return { ok: `${c.name ?? c.email}: check-ins resumed.`, anchor: `contact-${id}` };
    },
  );

  route(
    '/contacts/:id/snooze',
    (id, req) => ({ anchor: `contact-${id}`, form: `snooze-${id}`, value: field(req, 'until') }),
    async (id, req) => {
      const raw = field(req, 'until').trim();
      const c = await contactById(id);
      const zone =
        (await app.prisma.user.findUnique({ where: { id: c.userId }, select: { timeZone: true } }))
          ?.timeZone ?? 'UTC';
      if (!raw) throw new FormError('Pick a date to snooze until.');
      // The date is a day in the user's own zone: no check-in before it starts.
      const day = /^\d{4}-\d{2}-\d{2}$/.test(raw)
        ? DateTime.fromISO(raw, { zone })
        : DateTime.invalid('format');
      if (!day.isValid) throw new FormError(`“${raw}” is not a date; use the date picker (YYYY-MM-DD).`);
      const until = day.startOf('day');
      if (until.toMillis() <= app.now().getTime())
        throw new FormError('Pick a date in the future to snooze until.');
      await snoozeContact(app, c.email, until.toJSDate(), c.userId);
      return {
        ok: `${c.name ?? c.email}: no check-in before ${until.setLocale('en-US').toFormat('ccc, LLL d, yyyy')}.`,
        anchor: `contact-${id}`,
      };
    },
  );

  registerMaterialActions(route, app, field, (m) => new FormError(m));
}

/** The user a chat, event, contact or draft id belongs to (ids are UUIDs: one table at most has it). */
async function ownerOf(app: App, id: string): Promise<string | null> {
  const chat = await app.prisma.chat.findUnique({ where: { id }, select: { userId: true } });
  if (chat) return chat.userId;
  const event = await app.prisma.event.findUnique({
    where: { id },
    select: { calendar: { select: { account: { select: { userId: true } } } } },
  });
  if (event) return event.calendar.account.userId;
  const contact = await app.prisma.contact.findUnique({ where: { id }, select: { userId: true } });
  if (contact) return contact.userId;
  // A draft: the proposals' "schedule this time" buttons.
  const draft = await app.prisma.draft.findUnique({ where: { id }, select: { userId: true } });
  return draft?.userId ?? null;
}
