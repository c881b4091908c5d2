// Check-in plans: one per contact. Created when a chat is over (anchored at its end), re-anchored
// when the thank-you is sent or mail is exchanged; planned by the `plan-contact` job.
import type { App } from '../app.ts';
import { requestContactPlan } from './request-plan.ts';

export async function ensureCheckInPlan(app: App, contactId: string, anchorAt: Date): Promise<void> {
  const existing = await app.prisma.checkInPlan.findUnique({ where: { contactId } });
  if (existing) return;
  await app.prisma.checkInPlan.upsert({
    where: { contactId },
    create: { contactId, anchorAt, nextAt: anchorAt },
    update: {},
  });
  await requestContactPlan(app, contactId);
}

export async function reanchorCheckIn(
  app: App,
  contactId: string,
  anchorAt: Date,
  change: { step?: 'advance'; unanswered?: 'increment' | 'reset'; discard?: 'increment' | 'reset' } = {},
): Promise<void> {
  const plan = await app.prisma.checkInPlan.findUnique({ where: { contactId } });
  if (!plan) {
    await app.prisma.checkInPlan.create({ data: { contactId, anchorAt, nextAt: anchorAt } });
  } else {
    await app.prisma.checkInPlan.update({
      where: { contactId },
      data: {
        anchorAt,
        ...(change.step === 'advance' ? { step: { increment: 1 } } : {}),
        ...(change.unanswered === 'increment' ? { unansweredCount: { increment: 1 } } : {}),
        ...(change.unanswered === 'reset' ? { unansweredCount: 0 } : {}),
        ...(change.discard === 'increment' ? { consecutiveDiscards: { increment: 1 } } : {}),
        ...(change.discard === 'reset' ? { consecutiveDiscards: 0 } : {}),
      },
    });
  }
  await requestContactPlan(app, contactId);
}
