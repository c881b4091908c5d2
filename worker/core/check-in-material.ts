// Substance for check-ins: an article the user shares (`contacts share`) or what they did with the
// contact's advice (`contacts update`), queued in the database. The next check-in draft carries
// the oldest item not yet used, one per draft; the item counts as used once that draft is sent. A
// draft discarded, set aside or failed lets its item go to the next check-in. Queuing an item while
// an unedited check-in waits in the mailbox refreshes that draft (refresh-draft leaves edited ones
// alone).
import type { App } from '../app.ts';
import type { CheckInMaterial } from '../pipeline/render-draft.ts';
import { scheduleJob } from '../queues/schedule-job.ts';

export const MATERIAL_TEXT_MAX = 1000;
export const MATERIAL_URL_MAX = 2000;

/** A problem with what the user typed (shown as one line by the CLI and the page). */
export class MaterialInputError extends Error {}

/** An http(s) address, or a one-line reason it is not one. */
export function checkArticleUrl(raw: string): string {
  const url = raw.trim();
  if (!url) throw new MaterialInputError('give the article’s address, e.g. https://example.org/post');
  if (url.length > MATERIAL_URL_MAX)
    throw new MaterialInputError(`the address is longer than ${MATERIAL_URL_MAX} characters`);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol) || /\s/.test(url))
    throw new MaterialInputError(`“${url.slice(0, 80)}” is not an http(s) address`);
  return url;
}

function checkText(raw: string | undefined, what: string, required: boolean): string | null {
  const text = (raw ?? '').trim().replace(/\s+/g, ' ');
  if (!text) {
    if (required) throw new MaterialInputError(`the ${what} is empty`);
    return null;
  }
  if (text.length > MATERIAL_TEXT_MAX)
    throw new MaterialInputError(
      `keep the ${what} under ${MATERIAL_TEXT_MAX} characters (it has ${text.length})`,
    );
  return text;
}

export type MaterialInput =
  { kind: 'article'; url: string; note?: string } | { kind: 'update'; text: string };

/**
 * Queues material for a contact's next check-in (by address; `userId` narrows it to one user's
 * contact). Returns what was queued and whether a waiting check-in draft is being refreshed.
 */
export async function queueMaterial(app: App, email: string, input: MaterialInput, userId?: string) {
  const data =
    input.kind === 'article'
      ? {
          kind: 'article' as const,
          url: checkArticleUrl(input.url),
          text: checkText(input.note, 'note', false),
        }
      : { kind: 'update' as const, url: null, text: checkText(input.text, 'update', true) };
  const contacts = await app.prisma.contact.findMany({
    where: { email: email.trim().toLowerCase(), ...(userId ? { userId } : {}) },
  });
  if (contacts.length === 0) throw new MaterialInputError(`no contact ${email} (see: coffee-chat contacts)`);
  const stopped = contacts.find((c) => c.doNotContact);
  if (stopped)
    throw new MaterialInputError(
      `${email} asked not to be contacted: nothing is drafted to them (coffee-chat contacts resume ${email})`,
    );
  let refreshing = 0;
  for (const c of contacts) {
    await app.prisma.contactMaterial.create({ data: { contactId: c.id, ...data } });
    refreshing += await refreshWaitingCheckIn(app, c.id);
  }
  return { ...data, contacts: contacts.length, refreshing: refreshing > 0 };
}

/** A check-in of ours waiting in the mailbox without material gets it (if the user has not edited it). */
async function refreshWaitingCheckIn(app: App, contactId: string): Promise<number> {
  const waiting = await app.prisma.draft.findMany({
    where: { contactId, kind: 'check_in', status: 'created', material: { none: {} } },
    select: { idempotencyKey: true },
  });
  const now = app.now();
  for (const d of waiting) {
    await scheduleJob(
      app.queues,
      'refresh-draft',
      { key: d.idempotencyKey },
      { jobId: `refresh-${d.idempotencyKey}-${now.getTime()}`, dueAt: now, now },
    );
  }
  return waiting.length;
}

/** Drafts whose material is free again: they will never be sent. */
const RELEASED = ['discarded', 'set_aside', 'failed'] as const;

/** The item a check-in draft carries: the one it already has, else the oldest one free. */
export async function materialFor(app: App, draftId: string, contactId: string) {
  const carried = await app.prisma.contactMaterial.findFirst({
    where: { draftId, usedAt: null },
    orderBy: { createdAt: 'asc' },
  });
  if (carried) return carried;
  return app.prisma.contactMaterial.findFirst({
    where: {
      contactId,
      usedAt: null,
      OR: [{ draftId: null }, { draft: { status: { in: [...RELEASED] } } }],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}

/** What the renderer needs of an item. */
export function renderable(m: {
  kind: 'article' | 'update';
  url: string | null;
  text: string | null;
}): CheckInMaterial {
  return m.kind === 'article'
    ? { kind: 'article', url: m.url ?? '', note: m.text }
    : { kind: 'update', text: m.text ?? '' };
}

/** After the draft's content reached the mailbox: the item it was written with is now its own. */
export async function attachMaterial(app: App, draftId: string, contactId: string | null): Promise<void> {
  if (!contactId) return;
  const m = await materialFor(app, draftId, contactId);
  if (m && m.draftId !== draftId)
    await app.prisma.contactMaterial.update({ where: { id: m.id }, data: { draftId } });
}

/** The draft carrying it was sent: its item is used. */
export async function materialSent(app: App, draftId: string, sentAt: Date): Promise<void> {
  await app.prisma.contactMaterial.updateMany({ where: { draftId, usedAt: null }, data: { usedAt: sentAt } });
}

export interface MaterialRow {
  id: string;
  contactId: string;
  kind: 'article' | 'update';
  url: string | null;
  text: string | null;
  createdAt: Date;
  /** queued: waiting for the next check-in; drafted: in a check-in in the mailbox; sent. */
  state: 'queued' | 'drafted' | 'sent';
  usedAt: Date | null;
}

/** Every contact's items, newest first (the review page). */
/** `userId`: that user's contacts only (a per-user token); undefined: every user's. */
export async function listMaterial(app: App, userId?: string): Promise<MaterialRow[]> {
  const rows = await app.prisma.contactMaterial.findMany({
    ...(userId ? { where: { contact: { userId } } } : {}),
    include: { draft: { select: { status: true } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: 500,
  });
  return rows.map((m) => ({
    id: m.id,
    contactId: m.contactId,
    kind: m.kind,
    url: m.url,
    text: m.text,
    createdAt: m.createdAt,
    usedAt: m.usedAt,
    state: m.usedAt
      ? 'sent'
      : m.draft && (m.draft.status === 'created' || m.draft.status === 'scheduled')
        ? 'drafted'
        : 'queued',
  }));
}
