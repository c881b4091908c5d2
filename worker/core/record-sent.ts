// What happens when one of our drafts turns out to have been sent: the row says sent (with how much
// the user changed it), check-in material counts as used, the check-in cadence moves on from the
// send and the contact's last exchange is now. Used by send detection (track-drafts) and by a
// retried create that finds the draft its crashed predecessor made already sent by the user.
import type { App } from '../app.ts';
import type { DraftKind } from '../db/generated/client.ts';
import { reanchorCheckIn } from './check-in-plans.ts';
import { materialSent } from './check-in-material.ts';
import { editDistance } from '../pipeline/edit-distance.ts';
import { isProviderError, type ProviderErrorKind } from '../../integrations/provider.ts';

/** Provider errors that concern the whole account, not one draft. */
export const ACCOUNT_WIDE = new Set<ProviderErrorKind>(['auth_revoked', 'rate_limited', 'transient']);

export async function recordSent(
  app: App,
  d: { id: string; kind: DraftKind; contactId: string | null; draftedText: string | null },
  sent: { sentAt: Date; messageId?: string },
  read: (messageId: string) => Promise<string | null>,
): Promise<void> {
  // Read before the row says sent: a throttled or failed account stops the round here and the
  // next round finds the send again, text and all.
  const edits = await measureEdits(app, d, sent.messageId, read);
  await app.prisma.draft.update({
    where: { id: d.id },
    data: { status: 'sent', sentAt: sent.sentAt, editDistance: edits, claimedUntil: null },
  });
  if (d.kind === 'check_in') await materialSent(app, d.id, sent.sentAt);
  if (d.contactId && d.kind === 'thank_you') {
    await reanchorCheckIn(app, d.contactId, sent.sentAt, { discard: 'reset' });
  } else if (d.contactId && d.kind === 'check_in') {
    await reanchorCheckIn(app, d.contactId, sent.sentAt, {
      step: 'advance',
      unanswered: 'increment',
      discard: 'reset',
    });
  }
  if (d.contactId) {
    await app.prisma.contact.update({
      where: { id: d.contactId },
      data: { lastMailExchangedAt: sent.sentAt },
    });
  }
}

/**
 * How much the user changed the draft before sending it (edit-distance.ts), or null when there is
 * nothing to compare: a row made before drafted text was kept, a send found without its message,
 * or a message that could not be read (logged; the send still counts).
 */
async function measureEdits(
  app: App,
  d: { id: string; kind: string; draftedText: string | null },
  messageId: string | undefined,
  read: (messageId: string) => Promise<string | null>,
): Promise<number | null> {
  if (d.draftedText === null || !messageId) return null;
  let sent: string | null;
  try {
    sent = await read(messageId);
  } catch (err) {
    if (isProviderError(err) && ACCOUNT_WIDE.has(err.kind)) throw err;
    app.log.warn({ err, draftId: d.id, kind: d.kind }, 'sent message unreadable: edits not measured');
    return null;
  }
  return sent === null ? null : editDistance(d.draftedText, sent);
}
