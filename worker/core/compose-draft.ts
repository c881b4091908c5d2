// Builds a draft's content (to, subject, text, HTML) from its rows with the pure renderer.
import { createHash } from 'node:crypto';
import type { App } from '../app.ts';
import type { Account, Chat, Contact, Draft, User } from '../db/generated/client.ts';
import { renderDraft } from '../pipeline/render-draft.ts';
import { effectiveNote } from '../pipeline/thank-you-note.ts';
import { cleanDisplayName, isMailAddress } from '../pipeline/mail-address.ts';
import type { DraftInput } from '../../integrations/provider.ts';

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
      rendered = renderDraft('thank-you', { from, to, note: effectiveNote(chat.note, event?.notes) }, opts);
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
  }
  return {
    from: { name: from.name, email: from.email },
    to: { email: to.email, name: to.name ?? undefined },
    ...rendered,
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
