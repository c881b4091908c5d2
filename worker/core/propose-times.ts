// Offering times for a chat, and turning the one the contact chose into the invite. `proposeTimes`
// reads the user's free/busy from their calendar, picks slots with the pure finder and records them
// on a draft reply (kind propose_times) that the create-draft job puts in the mailbox; nothing is
// sent. `scheduleProposedSlot` takes slot N of the latest proposal to that contact and creates the
// invite through `scheduleChat`, like `schedule --at`.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { Draft } from '../db/generated/client.ts';
import { withProvider } from '../provider-policy.ts';
import { scheduleJob } from '../queues/schedule-job.ts';
import { setAsideDrafts } from './set-aside.ts';
import { DEFAULT_SLOT_POLICY, proposeSlots } from '../pipeline/propose-slots.ts';
import { formatBothZones, isValidZone } from '../pipeline/time-zones.ts';
import { isMailAddress } from '../pipeline/mail-address.ts';
import { pickAccount, scheduleChat } from './outreach.ts';

/** What a propose_times draft keeps in Draft.context: the render needs it, `--slot N` reads it. */
export const proposalContext = z.object({
  slots: z.array(z.object({ start: z.string(), end: z.string() })),
  minutes: z.number().int().positive(),
  userZone: z.string(),
  /** The contact's zone when proposed (null: unknown, the draft asks for it). */
  contactZone: z.string().nullable(),
  /** "Re: <the outreach's subject>" when the proposal answers an outreach we drafted. */
  replySubject: z.string().nullable().optional(),
  /** The outreach's conversation, when the same account drafted it: the reply joins it. */
  replyTo: z
    .object({ threadId: z.string().nullable(), internetMessageId: z.string().nullable() })
    .nullable()
    .optional(),
  /** Set once a slot was chosen: its number and the invite's key. */
  chosen: z.object({ slot: z.number().int(), inviteKey: z.string(), at: z.string() }).nullable().optional(),
});
export type ProposalContext = z.infer<typeof proposalContext>;

export interface ProposedTimes {
  key: string;
  status: string;
  account: string;
  contact: string;
  contactZoneKnown: boolean;
  /** Earlier proposals to them still in the mailbox as drafts (`--slot N` no longer refers to them). */
  earlierDraftsInMailbox: number;
  /** Each slot as the user reads it (their side first), numbered for `schedule --slot N`. */
  slots: { n: number; start: string; end: string; when: string }[];
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/**
 * Drafts a reply to `with` offering a few times from the user's free time (the merger calls this
 * when a reply to an outreach is detected, as `propose --with` does by hand).
 */
export async function proposeTimes(
  app: App,
  input: { with: string; from?: string; minutes?: number; accountId?: string },
): Promise<ProposedTimes> {
  const email = input.with.trim().toLowerCase();
  if (!isMailAddress(email)) throw new Error(`"${input.with}" is not an email address`);
  const minutes = input.minutes ?? DEFAULT_SLOT_POLICY.minutes;
  if (!Number.isInteger(minutes) || minutes < 15 || minutes > 30)
    throw new Error('a proposed chat is 15 to 30 minutes');
  // By id when the worker calls it (an address is unique per provider only, not across them).
  const account = input.accountId
    ? await app.prisma.account.findUniqueOrThrow({ where: { id: input.accountId } })
    : await pickAccount(app, input.from);
  const user = await app.prisma.user.findUniqueOrThrow({ where: { id: account.userId } });
  const contact = await app.prisma.contact.upsert({
    where: { userId_email: { userId: account.userId, email } },
    create: { userId: account.userId, email },
    update: {},
  });
  if (contact.doNotContact)
    throw new Error(`${email} is marked do-not-contact (coffee-chat contacts resume ${email} to undo)`);
  const userZone = isValidZone(user.timeZone) ? user.timeZone : 'UTC';
  const contactZone = isValidZone(contact.timeZone) ? contact.timeZone : null;

  const now = app.now();
  const policy = { minutes };
  const window = { from: now, to: new Date(now.getTime() + DEFAULT_SLOT_POLICY.horizonDays * 86_400_000) };
  // Busy on any of the user's calendars is busy: a work and a personal account share one person.
  const accounts = await app.prisma.account.findMany({
    where: { userId: account.userId, status: 'active' },
    orderBy: { createdAt: 'asc' },
  });
  const busy = (
    await Promise.all(
      (accounts.some((a) => a.id === account.id) ? accounts : [account, ...accounts]).map((a) =>
        withProvider(app, undefined, undefined, a, ({ calendar }) => calendar.freeBusy(window)),
      ),
    )
  ).flat();
  const slots = proposeSlots({ now, userZone, contactZone, busy, policy });

  // A reply to the outreach we drafted for them, when there is one (its subject, "Re: …").
  const outreach = await app.prisma.draft.findFirst({
    where: { contactId: contact.id, kind: 'outreach', status: { in: ['created', 'sent'] } },
    orderBy: { createdAt: 'desc' },
  });
  const replySubject = outreach?.subject ? `Re: ${outreach.subject.replace(/^re:\s*/i, '')}` : null;

  const context: ProposalContext = {
    slots: slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })),
    minutes,
    userZone,
    contactZone,
    replySubject,
    replyTo:
      outreach && outreach.accountId === account.id
        ? { threadId: outreach.threadId, internetMessageId: outreach.internetMessageId }
        : null,
    chosen: null,
  };
  // The same slots for the same contact are the same proposal (a repeated command makes no second draft).
  const key = `propose-${contact.id}-${shortHash(`${account.id}|${JSON.stringify(context.slots)}|${contactZone}`)}`;
  const draft = await app.prisma.draft.upsert({
    where: { idempotencyKey: key },
    create: {
      idempotencyKey: key,
      kind: 'propose_times',
      userId: account.userId,
      accountId: account.id,
      contactId: contact.id,
      dueAt: now,
      context,
    },
    update: {},
  });
  if (draft.status === 'scheduled' || draft.status === 'failed') {
    await scheduleJob(app.queues, 'create-draft', { key }, { jobId: key, dueAt: now, now });
  }
  // `--slot N` reads the latest proposal: an earlier one not yet in the mailbox is set aside; one
  // already there is the user's to delete (it may have been edited or sent), so it is named.
  const earlier = { kind: 'propose_times' as const, contactId: contact.id, idempotencyKey: { not: key } };
  await setAsideDrafts(app, earlier, 'replaced by a later proposal');
  await app.prisma.draft.updateMany({
    where: { ...earlier, status: 'failed' },
    data: { status: 'set_aside', lastError: 'replaced by a later proposal' },
  });
  const stillDrafted = await app.prisma.draft.count({ where: { ...earlier, status: 'created' } });
  return {
    earlierDraftsInMailbox: stillDrafted,
    key,
    status: draft.status,
    account: account.email,
    contact: email,
    contactZoneKnown: contactZone !== null,
    slots: slots.map((s, i) => ({
      n: i + 1,
      start: s.start.toISOString(),
      end: s.end.toISOString(),
      when: formatBothZones(
        s.start,
        userZone,
        contactZone,
        contact.name ? `${contact.name.split(' ')[0]}'s` : null,
      ),
    })),
  };
}

/** The latest proposal to a contact (of any of the user's accounts), or null. */
export async function latestProposal(app: App, email: string, from?: string) {
  const address = email.trim().toLowerCase();
  const account = from ? await pickAccount(app, from) : null;
  const drafts = await app.prisma.draft.findMany({
    where: {
      kind: 'propose_times',
      status: { not: 'set_aside' },
      contact: { email: address },
      ...(account ? { accountId: account.id } : {}),
    },
    include: { account: true, contact: true },
    orderBy: { createdAt: 'desc' },
    take: 1,
  });
  const draft = drafts[0];
  if (!draft) return null;
  const parsed = proposalContext.safeParse(draft.context);
  if (!parsed.success) throw new Error(`the proposal to ${address} is unreadable; propose again`);
  return { draft, context: parsed.data };
}

/**
 * Creates the invite for slot `slot` (1-based) of the latest proposal to `with`, on the account that
 * proposed it, through the existing `scheduleChat`.
 */
export async function scheduleProposedSlot(
  app: App,
  input: { with: string; slot: number | string; from?: string; title?: string },
) {
  const email = input.with.trim().toLowerCase();
  const found = await latestProposal(app, email, input.from);
  if (!found) throw new Error(`no times were proposed to ${email} (coffee-chat propose --with ${email})`);
  return scheduleSlotOf(app, found.draft, found.context, input.slot, input.title);
}

/** The same, for one proposal named by its draft (the review page's buttons). */
export async function scheduleSlotOfDraft(app: App, draftId: string, slot: number | string) {
  const draft = await app.prisma.draft.findUnique({
    where: { id: draftId },
    include: { account: true, contact: true },
  });
  if (!draft || draft.kind !== 'propose_times') throw new Error('that proposal no longer exists');
  // A stale page's button: a proposal set aside, deleted or never made was never read by them.
  if (draft.status === 'set_aside' || draft.status === 'discarded' || draft.status === 'failed')
    throw new Error('those times were never sent (the proposal was replaced or deleted); propose again');
  const parsed = proposalContext.safeParse(draft.context);
  if (!parsed.success) throw new Error('that proposal is unreadable; propose again');
  return scheduleSlotOf(app, draft, parsed.data, slot);
}

async function scheduleSlotOf(
  app: App,
  draft: Draft & { account: { email: string }; contact: { email: string; name: string | null } | null },
  context: ProposalContext,
  slotInput: number | string,
  title?: string,
) {
  const email = draft.contact?.email;
  if (!email) throw new Error('the proposal lost its contact');
  const n = typeof slotInput === 'number' ? slotInput : Number(String(slotInput).trim());
  if (context.slots.length === 0)
    throw new Error(`the proposal to ${email} offered no times; propose again or use --at`);
  if (!Number.isInteger(n) || n < 1 || n > context.slots.length)
    throw new Error(`--slot must be 1 to ${context.slots.length} (the times proposed to ${email})`);
  if (context.chosen && context.chosen.slot !== n)
    throw new Error(
      `slot ${context.chosen.slot} of this proposal was already chosen (invite at ${context.chosen.at}); move the event in your calendar instead`,
    );
  const slot = context.slots[n - 1]!;
  if (Date.parse(slot.start) <= app.now().getTime())
    throw new Error(`slot ${n} has passed; propose new times (coffee-chat propose --with ${email})`);
  const r = await scheduleChat(app, {
    with: email,
    ...(draft.contact?.name ? { name: draft.contact.name } : {}),
    at: slot.start,
    duration: `${context.minutes}m`,
    zone: context.userZone,
    from: draft.account.email,
    ...(title ? { title } : {}),
  });
  await app.prisma.draft.update({
    where: { id: draft.id },
    data: { context: { ...context, chosen: { slot: n, inviteKey: r.key, at: slot.start } } },
  });
  return { ...r, slot: n };
}
