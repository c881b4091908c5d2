// The end-to-end tests' mailbox on either provider: the sandbox's one seeding API
// (sandbox/scenario.ts) with the tests' people and their words ("seed", "move", "cancel").
import { seedMailbox, type CreatedEvent, type MailboxDraft } from '../../sandbox/scenario.ts';
import type { Sandbox } from '../../sandbox/server.ts';

export type Kind = 'google' | 'microsoft';

export interface ChatSeed {
  title: string;
  start: Date;
  minutes: number;
  /** Other people (besides the user). */
  others: { email: string; name?: string }[];
  /** The user's own response (declining is what an invitee does: the first other organised it). */
  response?: 'accepted' | 'declined';
  /** IANA or Windows zone name. */
  zone?: string;
  allDay?: boolean;
  description?: string;
}

export interface SeededEvent {
  id: string;
}

export interface Fixture {
  kind: Kind;
  email: string;
  refreshToken: string;
  seed(e: ChatSeed): SeededEvent;
  move(id: string, start: Date, minutes: number): void;
  cancel(id: string): void;
  drafts(): MailboxDraft[];
  sendDraft(id: string): Promise<void>;
  receiveMail(from: string, subject: string, at: Date): Promise<void>;
  /** Events our worker created through the API (prep blocks, invites). */
  createdEvents(): CreatedEvent[];
}

const PEOPLE = {
  google: { domain: 'gmail.example', name: 'Maya Chen', timeZone: 'America/Los_Angeles' },
  microsoft: { domain: 'contoso.example', name: 'Sam Okafor', timeZone: 'Pacific Standard Time' },
} as const;

export function fixture(sandbox: Sandbox, kind: Kind, who: string): Fixture {
  const p = PEOPLE[kind];
  const mb = seedMailbox(sandbox, {
    provider: kind,
    email: `${who}@${p.domain}`,
    name: p.name,
    timeZone: p.timeZone,
  });
  return {
    kind,
    email: mb.email,
    refreshToken: mb.refreshToken,
    seed: (e) => ({
      id: mb.addEvent({
        title: e.title,
        description: e.description ?? '',
        start: e.start,
        minutes: e.minutes,
        allDay: e.allDay,
        timeZone: e.zone,
        organizer: e.response === 'declined' ? e.others[0] : undefined,
        guests: e.others,
        response: e.response,
      }),
    }),
    move: (id, start, minutes) => mb.moveEvent(id, start, minutes),
    cancel: (id) => mb.cancelEvent(id),
    drafts: () => mb.drafts(),
    // The less forgiving client: Outlook as classic Outlook desktop (a new internetMessageId);
    // Gmail's composer always sends with Gmail's own Message-ID.
    sendDraft: (id) => mb.sendDraft(id, { newInternetMessageId: true }),
    receiveMail: (from, subject, at) => mb.receiveMail({ from, subject, at }),
    createdEvents: () => mb.createdEvents(),
  };
}
