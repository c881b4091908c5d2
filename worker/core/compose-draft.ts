// Builds a draft's content (to, subject, text, HTML) from its rows with the pure renderer.
import { createHash } from 'node:crypto';
import type { App } from '../app.ts';
import type { Account, Chat, Contact, Draft, User } from '../db/generated/client.ts';
import { renderDraft } from '../pipeline/render-draft.ts';
import { citedNote } from '../pipeline/thank-you-note.ts';
import { cleanDisplayName, isMailAddress } from '../pipeline/mail-address.ts';
import { materialFor, renderable } from './check-in-material.ts';
import type { DraftInput } from '../../integrations/provider.ts';
import { proposalContext } from './propose-times.ts';

type DraftRows = Draft & {
  account: Account;
  user: User;
  contact: Contact | null;
  chat: (Chat & { contact: Contact }) | null;
};

export async function composeDraft(app: App, draft: DraftRows): Promise<Omit<DraftInput, 'marker'>> {
  const contact = draft.contact ?? draft.chat?.contact;
  if (!contact) throw new Error(`draft ${draft.idempotencyKey} has no contact`);
  const from = { name: draft.user.name, email: draft.account.email, signature: draft.user.signature || null };
  // A draft goes to one plain address, the one ingest took from the chat's own attendees; a
  // contact stored before addresses were checked at ingest never becomes a list of recipients.
  if (!isMailAddress(contact.email))
    throw new Error(
      `draft ${draft.idempotencyKey}: ${JSON.stringify(contact.email)} is not one mail address`,
    );
  // Names stored before ingest cleaned them are cleaned here too.
  const to = { name: cleanDisplayName(contact.name), email: contact.email };
  const opts = { templatesDir: app.config.TEMPLATES_DIR ?? null };
  const userZone = draft.user.timeZone;
  const event = draft.chat?.eventId
    ? await app.prisma.event.findUnique({ where: { id: draft.chat.eventId }, select: { notes: true } })
    : null;

  let rendered;
  let followUpOf: { threadId: string | null; internetMessageId: string | null } | null = null;
  switch (draft.kind) {
    case 'confirmation': {
      const chat = requireChat(draft);
      rendered = renderDraft(
        'confirmation',
        {
          from,
          to,
          chat: {
            start: chat.startUtc,
            end: chat.endUtc,
            userZone,
            contactZone: contact.timeZone,
            conferenceUrl: chat.conferenceUrl,
            location: chat.location,
          },
        },
        opts,
      );
      break;
    }
    case 'thank_you': {
      const chat = requireChat(draft);
      const cited = citedNote(chat.note, event?.notes);
      rendered = renderDraft(
        'thank-you',
        { from, to, note: cited?.text ?? null, noteFromDescription: cited?.fromDescription ?? false },
        opts,
      );
      break;
    }
    case 'check_in': {
      const last = await app.prisma.chat.findFirst({
        where: { contactId: contact.id, status: 'done' },
        orderBy: { startUtc: 'desc' },
      });
      rendered = renderDraft(
        'check-in',
        {
          from,
          to,
          chatStart: last?.startUtc ?? null,
          userZone,
          contactZone: contact.timeZone,
          note: last?.note ?? null,
          material: await materialFor(app, draft.id, contact.id).then((m) => (m ? renderable(m) : null)),
        },
        opts,
      );
      break;
    }
    case 'outreach': {
      const ctx = (draft.context ?? {}) as { why?: string; intro?: string | null };
      rendered = renderDraft('outreach', { from, to, why: ctx.why ?? '', intro: ctx.intro ?? null }, opts);
      break;
    }
    case 'intro_request': {
      // The draft goes to the introducer; the person to meet is in its context.
      const ctx = (draft.context ?? {}) as { targetId?: string; about?: string | null };
      const target = ctx.targetId
        ? await app.prisma.contact.findUnique({ where: { id: ctx.targetId } })
        : null;
      if (!target) throw new Error(`draft ${draft.idempotencyKey} lost the contact to be introduced to`);
      rendered = renderDraft(
        'intro-request',
        {
          from,
          to,
          target: { name: target.name, email: target.email, company: target.company, role: target.role },
          reason: target.reason ?? '',
          about: ctx.about ?? null,
        },
        opts,
      );
      break;
    }
    case 'follow_up': {
      const asked = await app.prisma.draft.findFirst({
        where: { contactId: contact.id, kind: 'outreach', status: 'sent' },
        orderBy: { sentAt: 'asc' },
      });
      if (!asked?.sentAt) throw new Error(`draft ${draft.idempotencyKey}: no sent outreach to follow up`);
      // A reply in the ask's own thread, so they read the ask right below it (Gmail joins a thread
      // by threadId with a matching "Re:" subject; from the same account only).
      if (asked.accountId === draft.accountId)
        followUpOf = { threadId: asked.threadId, internetMessageId: asked.internetMessageId };
      rendered = renderDraft(
        'follow-up',
        {
          from,
          to,
          originalSubject: asked.subject ?? 'coffee chat',
          sentAt: asked.sentAt,
          userZone,
          contactZone: contact.timeZone,
        },
        opts,
      );
      break;
    }
    case 'propose_times': {
      const ctx = proposalContext.parse(draft.context);
      const slots = ctx.slots.map((s) => ({ start: new Date(s.start), end: new Date(s.end) }));
      rendered = renderDraft(
        'propose-times',
        {
          from,
          to,
          slots,
          minutes: ctx.minutes,
          userZone: ctx.userZone,
          contactZone: ctx.contactZone,
          replySubject: ctx.replySubject ?? null,
        },
        opts,
      );
      break;
    }
  }
  const replyTo =
    draft.kind === 'propose_times'
      ? proposalContext.parse(draft.context).replyTo
      : draft.kind === 'follow_up'
        ? followUpOf
        : null;
  return {
    from: { name: from.name, email: from.email },
    to: { email: to.email, name: to.name ?? undefined },
    ...rendered,
    ...(replyTo ? { replyTo } : {}),
  };
}

function requireChat(draft: DraftRows): Chat {
  if (!draft.chat) throw new Error(`draft ${draft.idempotencyKey} lost its chat`);
  return draft.chat;
}

/** Fingerprint of what we would write, to tell whether a made draft is out of date. */
export function contentHash(c: Omit<DraftInput, 'marker'>): string {
  return createHash('sha256')
    .update(JSON.stringify([c.to.email, c.subject, c.text, c.html]))
    .digest('hex');
}

/** Longest plain text kept on a draft row to measure the user's edits against (edit-distance.ts). */
const DRAFTED_TEXT_MAX = 20_000;

/** The plain text we wrote, as kept on the row (Draft.draftedText). */
export function draftedText(c: Pick<DraftInput, 'text'>): string {
  return c.text.slice(0, DRAFTED_TEXT_MAX);
}
