// Shared types of the pure pipeline (detect, time zones, plan, render). Plain data only:
// no Prisma, no SDK, no clock. `now` is always an argument.
import type { Duration } from 'luxon';

export type ActionKind = 'prep' | 'confirmation' | 'thank_you' | 'check_in';

/** What should be scheduled. The reconciler makes the queue match a list of these. */
export interface DesiredAction {
  kind: ActionKind;
  /**
   * Deterministic key: the BullMQ jobId and the DB idempotency key. No ':' (BullMQ forbids it).
   * For moves (reschedule), the key stays the same and dueAt changes.
   */
  key: string;
  dueAt: Date;
  chatId?: string;
  contactId?: string;
  /** For prep: the block's own start and end. */
  window?: { start: Date; end: Date };
  /**
   * Wanted only as far as an earlier run may have made it already: found, it is kept (and brought
   * up to date); not found, nothing new is made.
   */
  adoptOnly?: true;
}

/** What plan needs to know of a chat (read from the DB by the caller). */
export interface ChatFacts {
  id: string;
  status: 'upcoming' | 'done' | 'cancelled';
  startUtc: Date;
  endUtc: Date;
  /** First seen more than 24 h after it ended: no thank-you. */
  seenLate: boolean;
  contactDoNotContact: boolean;
  /** Kinds already done for this chat (draft created/sent/discarded, prep created). */
  done: ActionKind[];
  /**
   * Kinds whose draft a run asked the provider to create without recording what came of it: it
   * may already be in the user's mailbox.
   */
  attempted?: ActionKind[];
  /**
   * The window of the prep block already created, if any. When the chat was rescheduled the
   * block no longer ends at the chat's start, and plan asks for it again (same key) so the
   * prep job moves the block.
   */
  prepWindow?: { start: Date; end: Date } | null;
  /** Why nothing is planned yet (pipeline/chat-waiting.ts), or null/absent: plan it. */
  waiting?: string | null;
}

export interface CheckInFacts {
  contactId: string;
  status: 'active' | 'stopped';
  step: number;
  anchorAt: Date;
  unansweredCount: number;
  consecutiveDiscards: number;
  snoozedUntil: Date | null;
  doNotContact: boolean;
  lastMailExchangedAt: Date | null;
  /** Contact's IANA zone (for business hours), null when unknown (use the user's). */
  contactTimeZone: string | null;
  userTimeZone: string;
}

export interface Policy {
  prepLead: Duration;
  thankYouDelay: Duration;
  checkInCadence: Duration[];
}
