// What a job that failed for good leaves on its row: the draft becomes `failed` with the error,
// marked retryable when another try may fix it (the reconciler takes those up again while the
// draft is still useful).
import type { App } from '../app.ts';
import { isRetryableFailure } from '../provider-policy.ts';

export async function recordFinalFailure(
  app: App,
  job: { name: string; data: unknown },
  err: Error,
): Promise<void> {
  const key = (job.data as { key?: string } | undefined)?.key;
  if (!key || (job.name !== 'create-draft' && job.name !== 'check-in')) return;
  await app.prisma.draft.updateMany({
    where: { idempotencyKey: key, status: 'scheduled' },
    data: { status: 'failed', lastError: err.message, retryable: isRetryableFailure(err) },
  });
}
