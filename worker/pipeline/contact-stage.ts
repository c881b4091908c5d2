// A contact's stage in the playbook, derived from what happened (never typed by hand), and the
// next step the user could take. Pure: the caller reads the rows and passes `now`.
//   target → asked → replied → scheduled → met → thanked → in touch, and paused / stopped.
import { DateTime } from 'luxon';
import { planFollowUp } from './plan-follow-up.ts';
import { safeZone } from './time-zones.ts';

export const CONTACT_STAGES = [
  'target',
  'asked',
  'replied',
  'scheduled',
  'met',
  'thanked',
  'in_touch',
  'paused',
  'stopped',
] as const;
export type ContactStage = (typeof CONTACT_STAGES)[number];

/** How the board and `status` name a stage. */
export const STAGE_LABELS: Record<ContactStage, string> = {
  target: 'Target',
  asked: 'Asked',
  replied: 'Replied',
  scheduled: 'Scheduled',
  met: 'Met',
  thanked: 'Thanked',
  in_touch: 'In touch',
  paused: 'Paused',
  stopped: 'Stopped',
};

export type StageDraftKind =
  'confirmation' | 'thank_you' | 'check_in' | 'outreach' | 'intro_request' | 'follow_up' | 'propose_times';
export type StageDraftStatus = 'scheduled' | 'created' | 'sent' | 'discarded' | 'failed' | 'set_aside';

export interface ContactStageFacts {
  email: string;
  doNotContact: boolean;
  /** Who could introduce them (address), when the user named one. */
  introducer: string | null;
  introducedAt: Date | null;
  repliedAt: Date | null;
  drafts: { kind: StageDraftKind; status: StageDraftStatus; sentAt: Date | null }[];
  chats: { status: 'upcoming' | 'done' | 'cancelled'; startUtc: Date; endUtc: Date; declined?: boolean }[];
  checkIn: {
    status: 'active' | 'stopped';
    stopReason: string | null;
    nextAt: Date;
    snoozedUntil: Date | null;
  } | null;
  contactTimeZone: string | null;
  userTimeZone: string;
  /** FOLLOW_UP_BUSINESS_DAYS. */
  followUpBusinessDays: number;
}

export interface ContactStageView {
  stage: ContactStage;
  /** One line for the user: what to do next, or what the worker is waiting for. */
  next: string;
}

const sent = (f: ContactStageFacts, kind: StageDraftKind) =>
  f.drafts.filter((d) => d.kind === kind && d.status === 'sent');
const waiting = (f: ContactStageFacts, kind: StageDraftKind) =>
  f.drafts.some((d) => d.kind === kind && (d.status === 'created' || d.status === 'scheduled'));

export function contactStage(f: ContactStageFacts, now: Date): ContactStageView {
  // The user reads the board: dates in their own zone.
  const day = (d: Date) =>
    DateTime.fromJSDate(d, { zone: safeZone(f.userTimeZone) })
      .setLocale('en-US')
      .toFormat('ccc, LLL d');
  const live = f.chats.filter((c) => c.status !== 'cancelled');
  const upcoming = live.filter((c) => c.endUtc.getTime() > now.getTime());
  const met = live.filter((c) => c.endUtc.getTime() <= now.getTime());

  if (f.doNotContact)
    return { stage: 'stopped', next: `do not contact (coffee-chat contacts resume ${f.email} to undo)` };
  if (f.checkIn?.snoozedUntil && f.checkIn.snoozedUntil.getTime() > now.getTime())
    return { stage: 'paused', next: `snoozed until ${day(f.checkIn.snoozedUntil)}` };
  if (f.checkIn?.status === 'stopped' && met.length > 0 && upcoming.length === 0)
    return { stage: 'paused', next: `check-ins stopped: ${f.checkIn.stopReason ?? 'paused'}` };

  const nextCheckIn = () =>
    waiting(f, 'check_in')
      ? 'review the check-in draft in your mailbox'
      : f.checkIn?.status === 'active'
        ? `check-in drafted around ${day(f.checkIn.nextAt)}`
        : 'a check-in is planned after the thank-you is sent';
  if (upcoming.length === 0 && sent(f, 'check_in').length > 0)
    return { stage: 'in_touch', next: nextCheckIn() };
  if (upcoming.length === 0 && sent(f, 'thank_you').length > 0)
    return { stage: 'thanked', next: nextCheckIn() };
  if (upcoming.length > 0) {
    const first = upcoming.sort((a, b) => a.startUtc.getTime() - b.startUtc.getTime())[0]!;
    return {
      stage: 'scheduled',
      next: waiting(f, 'confirmation')
        ? `chat ${day(first.startUtc)}: review the confirmation draft`
        : `chat ${day(first.startUtc)}: prep block and confirmation are taken care of`,
    };
  }
  if (met.length > 0)
    return {
      stage: 'met',
      next: waiting(f, 'thank_you')
        ? 'send the thank-you (drafted: cite one piece of advice)'
        : 'note the advice to cite (coffee-chat chats note ID "…"); the thank-you follows',
    };
  if (f.repliedAt)
    return {
      stage: 'replied',
      next: waiting(f, 'propose_times')
        ? 'review the draft offering three times'
        : sent(f, 'propose_times').length > 0
          ? `when they pick a time: coffee-chat schedule --with ${f.email} --slot N`
          : `agree a time: coffee-chat propose --with ${f.email}`,
    };

  const outreachSent = [...sent(f, 'outreach'), ...sent(f, 'follow_up')].sort(
    (a, b) => a.sentAt!.getTime() - b.sentAt!.getTime(),
  )[0];
  if (outreachSent || f.introducedAt) {
    if (waiting(f, 'follow_up'))
      return { stage: 'asked', next: 'review the follow-up draft in your mailbox' };
    if (f.drafts.some((d) => d.kind === 'follow_up'))
      return { stage: 'asked', next: 'followed up once: leave it with them' };
    if (!outreachSent)
      return {
        stage: 'asked',
        next: `introduced by ${f.introducer ?? 'a friend'}: reply in that thread to thank them and ask for 15–20 minutes`,
      };
    const decision = planFollowUp(
      {
        doNotContact: false,
        repliedAt: null,
        declined: false,
        outreachSentAt: outreachSent.sentAt,
        followUpExists: false,
        hasChat: false,
        contactTimeZone: f.contactTimeZone,
        userTimeZone: f.userTimeZone,
      },
      f.followUpBusinessDays,
    );
    return {
      stage: 'asked',
      next:
        'due' in decision
          ? `waiting for a reply; one gentle follow-up drafted ${day(decision.due)} if none`
          : 'waiting for a reply',
    };
  }
  // target
  if (waiting(f, 'outreach'))
    return { stage: 'target', next: 'review and send the outreach draft in your mailbox' };
  if (f.introducer) {
    if (waiting(f, 'intro_request'))
      return { stage: 'target', next: `review and send the introduction request to ${f.introducer}` };
    if (sent(f, 'intro_request').length > 0)
      return { stage: 'target', next: `waiting for ${f.introducer} to introduce you` };
    return {
      stage: 'target',
      next: `ask for an introduction: coffee-chat intro --via ${f.introducer} --to ${f.email}`,
    };
  }
  return { stage: 'target', next: `draft the ask: coffee-chat outreach --to ${f.email} --why "…"` };
}
