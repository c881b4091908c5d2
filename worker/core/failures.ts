// What a job that failed for good leaves on its row: the draft becomes `failed` with the error,
// marked retryable when another try may fix it (the reconciler takes those up again while the
// draft is still useful); a prep block's entry keeps when and why. The row is the record: the
// failed job itself is trimmed from Redis after a while (queues.ts KEEP_FAILED).
import type { App } from '../app.ts';
import { isRetryableFailure } from '../provider-policy.ts';
import { jobData, type JobName } from '../queues/queues.ts';
import { STRAY_POSSIBLE } from './set-aside.ts';

export async function recordFinalFailure(
  app: App,
  job: { name: string; data: unknown; id?: string | null },
  err: Error,
): Promise<void> {
  // As its processor reads it: a keyed job's key (and a check-in's contact) may be only in its id.
  const data = jobData(job.name as JobName, job) as { key?: string; contactId?: string };
  const key = data.key;
  if (key && job.name === 'create-prep') {
    // A prep block not made: the row says so, and the reconciler stops putting its job back.
    await app.prisma.calendarEntry.updateMany({
      where: { idempotencyKey: key, providerEventId: null },
      data: { failedAt: app.now(), lastError: err.message },
    });
    return;
  }
  if (!key || (job.name !== 'create-draft' && job.name !== 'check-in')) return;
  const failed = { status: 'failed' as const, lastError: err.message, retryable: isRetryableFailure(err) };
  const done = await app.prisma.draft.updateMany({
    where: { idempotencyKey: key, status: 'scheduled' },
    data: failed,
  });
  if (done.count > 0) return;
  if (job.name === 'create-draft') {
    // The run that was to take back a copy an unrecorded create may have left (core/set-aside.ts):
    // the row says it could not, and the reconciler stops putting the job back.
    await app.prisma.draft.updateMany({
      where: { idempotencyKey: key, ...STRAY_POSSIBLE },
      data: { strayCheckedAt: app.now(), lastError: `could not look for a copy made before: ${err.message}` },
    });
    return;
  }
  // A check-in that failed before its draft row was made (asking the mailbox for exchanged mail):
  // the failed draft row records it, so the reconciler does not put the job back once trimmed.
  const contactId = data.contactId;
  if (!contactId || (await app.prisma.draft.findUnique({ where: { idempotencyKey: key } }))) return;
  const contact = await app.prisma.contact.findUnique({ where: { id: contactId } });
  const account = contact
    ? await app.prisma.account.findFirst({
        where: { userId: contact.userId },
        orderBy: [{ status: 'asc' }, { createdAt: 'asc' }],
      })
    : null;
  if (!contact || !account) return;
  await app.prisma.draft
    .create({
      data: {
        idempotencyKey: key,
        kind: 'check_in',
        userId: contact.userId,
        accountId: account.id,
        contactId,
        dueAt: app.now(),
        ...failed,
      },
    })
    .catch(() => undefined); // made meanwhile: that row is the record
}
