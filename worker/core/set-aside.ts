// Setting aside drafts still waiting to be made (a cancel, a reply, a later proposal). A run of
// create-draft that called the provider's create and died before recording the draft (or lost its
// record to this set-aside and failed to take its copy back) may have left a draft in the user's
// mailbox that no row points to: its row is set aside with `createAttemptedAt` and no provider id.
// Such a row keeps its create-draft job (due now): the job finds the draft by its marker and takes
// it back while it is as we wrote it (create-draft.ts `removeStray`). The reconciler puts that
// job back too when Redis lost it (scheduled-work.ts).
import type { App } from '../app.ts';
import type { Prisma } from '../db/generated/client.ts';
import { dropKeyedJob } from '../queues/schedule-job.ts';

/** A set-aside row whose draft may exist at the provider unrecorded. */
export const STRAY_POSSIBLE = {
  status: 'set_aside',
  providerDraftId: null,
  createAttemptedAt: { not: null },
  strayCheckedAt: null,
} as const satisfies Prisma.DraftWhereInput;

export function strayPossible(d: {
  status: string;
  providerDraftId: string | null;
  createAttemptedAt: Date | null;
  strayCheckedAt: Date | null;
}): boolean {
  return d.status === 'set_aside' && !d.providerDraftId && d.createAttemptedAt !== null && !d.strayCheckedAt;
}

/**
 * Sets aside the scheduled drafts `where` selects, with the reason `status` shows. Their jobs are
 * dropped, except where a run may have made the draft already: that job runs now, to take it back.
 */
export async function setAsideDrafts(
  app: App,
  where: Prisma.DraftWhereInput,
  why: string,
): Promise<string[]> {
  const rows = await app.prisma.draft.updateManyAndReturn({
    where: { ...where, status: 'scheduled' },
    data: { status: 'set_aside', lastError: why },
    select: {
      idempotencyKey: true,
      status: true,
      providerDraftId: true,
      createAttemptedAt: true,
      strayCheckedAt: true,
    },
  });
  const now = app.now();
  for (const d of rows)
    await dropKeyedJob(app.queues, 'create-draft', d.idempotencyKey, strayPossible(d) ? { now } : null);
  return rows.map((d) => d.idempotencyKey);
}
