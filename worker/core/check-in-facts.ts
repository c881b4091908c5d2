// What the pure check-in policy needs to know of a contact, read from its rows.
import type { App } from '../app.ts';
import type { CheckInFacts } from '../pipeline/types.ts';

type PlanRows = NonNullable<Awaited<ReturnType<typeof loadPlan>>>;

const loadPlan = (app: App, contactId: string) =>
  app.prisma.checkInPlan.findUnique({
    where: { contactId },
    include: { contact: { include: { user: true } } },
  });

/** The pure policy's view of a plan row with its contact and user. */
export function factsOfPlan(plan: PlanRows): CheckInFacts {
  return {
    contactId: plan.contactId,
    status: plan.status,
    step: plan.step,
    anchorAt: plan.anchorAt,
    unansweredCount: plan.unansweredCount,
    consecutiveDiscards: plan.consecutiveDiscards,
    snoozedUntil: plan.snoozedUntil,
    doNotContact: plan.contact.doNotContact,
    lastMailExchangedAt: plan.contact.lastMailExchangedAt,
    contactTimeZone: plan.contact.timeZone,
    userTimeZone: plan.contact.user.timeZone,
  };
}

export async function checkInFacts(app: App, contactId: string) {
  const plan = await loadPlan(app, contactId);
  if (!plan) return null;
  return { plan, facts: factsOfPlan(plan) };
}

/**
 * A draft that holds the cadence: a check-in of ours waiting for the user (the next one waits
 * for it), or a thank-you still to be made or waiting in the mailbox (the cadence
 * starts once it is sent or discarded).
 */
export function pendingDraft(app: App, contactId: string) {
  return app.prisma.draft.findFirst({
    where: {
      contactId,
      OR: [
        { kind: 'check_in', status: { in: ['scheduled', 'created'] } },
        { kind: 'thank_you', status: { in: ['scheduled', 'created'] } },
      ],
    },
  });
}
