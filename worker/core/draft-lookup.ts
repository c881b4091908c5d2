// What send detection needs to know about a draft we made (DraftLookup): its ids, the conversation
// it is in, when it was made and to whom. One reading of a Draft row for track-drafts,
// refresh-draft and retract-chat.
import type { DraftLookup } from '../../integrations/provider.ts';

/**
 * `draftedAt` is our clock, a sent copy's time the provider's: a copy up to this much older than
 * our record still counts as the draft's send.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface DraftRow {
  idempotencyKey: string;
  providerDraftId: string | null;
  internetMessageId: string | null;
  threadId: string | null;
  draftedAt: Date | null;
}

/** The lookup for a made draft, or null for a row without a provider draft. */
export function draftLookup(d: DraftRow, to: string | null | undefined): DraftLookup | null {
  if (!d.providerDraftId || !d.internetMessageId) return null;
  return {
    draftId: d.providerDraftId,
    internetMessageId: d.internetMessageId,
    threadId: d.threadId,
    madeAfter: d.draftedAt ? new Date(d.draftedAt.getTime() - CLOCK_SKEW_MS) : null,
    to: to ?? null,
    marker: d.idempotencyKey,
  };
}
