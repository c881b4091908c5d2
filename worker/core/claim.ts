// One claim rule for every provider write (drafts, prep blocks). Jobs are at-least-once, and two
// runs of one job can overlap: a worker that crashed (BullMQ runs the job again without counting
// the crashed run as an attempt) or one whose event loop was blocked past BullMQ's lockDuration
// (the job is deemed stalled and handed to another worker while the first still runs). So:
// 1. claim the row atomically with a lease (one UPDATE … WHERE <still wanted> AND <no live lease>
//    RETURNING): a second run while the lease lives gets nothing and waits for it to end;
// 2. a claim that is not the first (`fresh: false`) means an earlier run may have reached the
//    provider: look the marker up before creating;
// 3. the final write is conditional on the row still being wanted (`stillWanted`), so a run
//    that finishes after a cancel set the row aside cannot revive it.
import { DelayedError, type Job } from 'bullmq';
import type { App } from '../app.ts';

/**
 * How long a claim keeps other runs away: BullMQ's lockDuration (20 s, runtime.ts) plus its stalled
 * check (10 s). A job whose worker died is run again only after those, so its re-run finds the
 * lease over (or waits seconds, not minutes); a second run while the first is merely slow comes
 * sooner and waits. A run still going after the lease (an event loop blocked longer than that) is
 * covered by the conditional final write: the loser takes its own copy back. Leases are measured
 * on the real clock (not app.now(), which the demo and tests shift or freeze).
 */
export const CLAIM_LEASE_MS = 30_000;

export type Claim =
  /** fresh: no earlier run claimed this row (or its generation): nothing of ours can exist yet. */
  | { claimed: true; fresh: boolean; until: Date }
  /** Another run holds a live lease until `heldUntil`. */
  | { claimed: false; heldUntil: Date | null };

type Table = 'draft' | 'entry';

/**
 * Claims a Draft (status `scheduled`) or a CalendarEntry (not deleted) for one run. Returns
 * claimed: false when the row is no longer wanted or another run holds it (heldUntil says which).
 */
export async function claimRow(app: App, table: Table, id: string): Promise<Claim> {
  const now = new Date(Date.now());
  const until = new Date(now.getTime() + CLAIM_LEASE_MS);
  const free = { OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] };
  const data = { claims: { increment: 1 }, claimedUntil: until };
  const rows =
    table === 'draft'
      ? await app.prisma.draft.updateManyAndReturn({
          where: { id, status: 'scheduled', ...free },
          data,
          select: { claims: true },
        })
      : await app.prisma.calendarEntry.updateManyAndReturn({
          where: { id, deleted: false, ...free },
          data,
          select: { claims: true },
        });
  if (rows[0]) return { claimed: true, fresh: rows[0].claims === 1, until };
  const row =
    table === 'draft'
      ? await app.prisma.draft.findUnique({ where: { id }, select: { claimedUntil: true } })
      : await app.prisma.calendarEntry.findUnique({ where: { id }, select: { claimedUntil: true } });
  const held = row?.claimedUntil && row.claimedUntil >= now ? row.claimedUntil : null;
  return { claimed: false, heldUntil: held };
}

/** Ends our lease early (the run failed): the retry need not wait for it. Never someone else's. */
export async function releaseClaim(app: App, table: Table, id: string, until: Date): Promise<void> {
  const where = { id, claimedUntil: until };
  if (table === 'draft') await app.prisma.draft.updateMany({ where, data: { claimedUntil: null } });
  else await app.prisma.calendarEntry.updateMany({ where, data: { claimedUntil: null } });
}

/**
 * What a run does with a row another run holds: with a BullMQ job, wait until the lease ends
 * (moveToDelayed does not use up an attempt) and look again then (the row is made, or the holder
 * died and this run claims it, not fresh); called without a job, just say so.
 */
export async function waitForClaim(
  job: Job | undefined,
  token: string | undefined,
  heldUntil: Date,
): Promise<{ outcome: 'skipped'; why: string }> {
  if (job && token) {
    await job.moveToDelayed(heldUntil.getTime() + 1_000, token);
    throw new DelayedError();
  }
  return { outcome: 'skipped', why: `another run holds it until ${heldUntil.toISOString()}` };
}
