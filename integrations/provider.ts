// The provider-neutral contract. The worker core speaks only these types; each provider folder
// (google/, microsoft/) turns its SDK's payloads into them and its errors into ProviderError.
// Nothing here imports an SDK.

export type ProviderKind = 'google' | 'microsoft';

export type ResponseStatus = 'accepted' | 'declined' | 'tentative' | 'needsAction' | 'unknown';

export interface Person {
  email: string;
  name?: string;
}

export interface NeutralAttendee extends Person {
  /** This attendee is the account owner. */
  self: boolean;
  organizer: boolean;
  /** A room or other resource (ignored when counting people). */
  resource: boolean;
  /** An optional attendee. */
  optional?: boolean;
  response: ResponseStatus;
}

/**
 * A point in calendar time. Timed events carry an exact instant (UTC ISO) plus the IANA zone
 * they were scheduled in (null when the provider gave none: floating, use the calendar's zone).
 * All-day events carry dates only (end exclusive, as both providers do).
 */
export type EventTime =
  { kind: 'timed'; utc: string; timeZone: string | null } | { kind: 'allDay'; date: string };

/**
 * The name of the marker property our own provider objects carry (Google: a private extended
 * property; Graph: a single-value extended property in our property set): its value is the
 * object's idempotency key. One name for both providers and the worker.
 */
export const MARKER_KEY = 'coffeeChatKey';

export interface NeutralEvent {
  providerEventId: string;
  iCalUid?: string;
  calendarId: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  title: string;
  /** Plain text (providers' HTML bodies are converted). */
  description: string;
  start: EventTime;
  end: EventTime;
  organizer?: Person & { self: boolean };
  attendees: NeutralAttendee[];
  /** Set on an instance of a recurring series: the series' id. */
  recurringEventId?: string;
  /** The series' frequency when known (RRULE FREQ, or Graph's pattern type), e.g. 'WEEKLY'. */
  recurrenceFrequency?: string;
  conferenceUrl?: string;
  location?: string;
  /**
   * Our own markers, stored by the provider with the event (private extended properties). The
   * idempotency key of something the worker made is under MARKER_KEY.
   */
  markers: Record<string, string>;
  /** Provider's last-modified instant (ISO). */
  updatedAt?: string;
  /** Link that opens the event in the provider's UI. */
  webLink?: string;
}

export interface CalendarInfo {
  id: string;
  name: string;
  primary: boolean;
  /** IANA zone of the calendar, when the provider gives one. */
  timeZone?: string;
  canWrite: boolean;
  /**
   * Can an event made here get a video link from the provider (Teams / Meet)? false when the
   * calendar says it cannot (e.g. a personal Microsoft account: no Teams); absent when the provider
   * does not say. Even when true, only a link that actually comes back counts.
   */
  onlineMeetings?: boolean;
}

export interface AccountProfile {
  email: string;
  name?: string;
  /** The account owner's IANA time zone (Windows names already mapped). */
  timeZone: string;
}

export interface SyncWindow {
  from: Date;
  to: Date;
}

export interface SyncPage {
  changed: NeutralEvent[];
  /** providerEventIds that were deleted or cancelled since the cursor. */
  removed: string[];
  /** The cursor to store for the next incremental sync (Google syncToken / Graph deltaLink). */
  cursor: string;
  /** True when this was a full sync (no cursor given, or the provider started a new round). */
  full: boolean;
  /**
   * The window the changes were tracked in. A removal counts only for a stored event whose start
   * lies inside it: Graph's `@removed` also means "changed outside the window"
   * (https://learn.microsoft.com/en-us/graph/api/event-delta). Absent: every removal counts.
   */
  window?: SyncWindow;
  /**
   * Set when `changed` lists EVERY event of the calendar in this window (a full round): a stored
   * event starting inside it that is neither in `changed` nor in `removed` is gone. A full round
   * lists only what exists now, so this is the only way a deletion made while no cursor was held
   * (window roll, refused cursor) is seen.
   */
  fullWindow?: SyncWindow;
  /** How many provider HTTP calls the sync took (for the benchmark and logs). */
  calls: number;
}

export interface NewEvent {
  title: string;
  /** Plain text description. */
  description: string;
  start: Date;
  end: Date;
  /** IANA zone to show the event in. */
  timeZone: string;
  attendees?: Person[];
  /**
   * Ask the provider for an online meeting link (Meet / Teams) where it can. Providers may create
   * the event without one (Graph answers 201 with isOnlineMeeting false where Teams is not
   * allowed): CreatedEvent.conferenceUrl says whether one came back.
   */
  withConference?: boolean;
  /** Free/busy: a prep block is busy, but never invites anyone. */
  showAs?: 'busy' | 'free';
  /** Idempotency marker stored on the event (private extended property). */
  marker: string;
}

export interface CreatedEvent {
  providerEventId: string;
  /**
   * The event's version as this call left it (Google etag / Graph changeKey): any later change,
   * the user's included, gives another. Absent where the provider did not say.
   */
  version?: string;
  iCalUid?: string;
  conferenceUrl?: string;
  webLink?: string;
}

/** A push channel on one calendar (Google events.watch channel / Graph subscription). */
export interface WatchChannel {
  channelId: string;
  /** Google's resourceId (channels.stop needs it); Graph: the subscribed resource path. */
  resourceId: string;
  expiresAt: Date;
}

export interface WatchOptions {
  /** Absolute HTTPS URL the provider POSTs notifications to. */
  address: string;
  /** Our per-channel secret, echoed by the provider in every notification (Google token / Graph clientState). */
  channelToken: string;
  /** Wished lifetime; each provider caps it at its own maximum. */
  ttlSeconds?: number;
}

export interface CalendarProvider {
  readonly provider: ProviderKind;
  getProfile(): Promise<AccountProfile>;
  listCalendars(): Promise<CalendarInfo[]>;
  /**
   * Incremental sync. With cursor null: full sync of the window. Throws ProviderError
   * kind 'cursor_expired' when the provider refused the cursor (caller resyncs with null).
   */
  syncCalendar(calendarId: string, cursor: string | null, window: SyncWindow): Promise<SyncPage>;
  createEvent(calendarId: string, event: NewEvent): Promise<CreatedEvent>;
  updateEvent(calendarId: string, providerEventId: string, event: NewEvent): Promise<CreatedEvent>;
  /** Deleting an event that is already gone is not an error. */
  deleteEvent(calendarId: string, providerEventId: string): Promise<void>;
  /**
   * Conditional update of an event of ours that nobody else should have touched (a prep block):
   * replaces it only if its version is still `version`; null when someone changed it (the user
   * wrote notes, ticked the checklist, moved it) or it is gone. Notifies nobody.
   */
  updateEventIfUnchanged(
    calendarId: string,
    providerEventId: string,
    version: string,
    event: NewEvent,
  ): Promise<CreatedEvent | null>;
  /**
   * Deletes an event of ours only if its version is still `version`, notifying nobody:
   * 'changed' when someone changed it (left alone); 'deleted' when deleted or already gone.
   */
  deleteEventIfUnchanged(
    calendarId: string,
    providerEventId: string,
    version: string,
  ): Promise<'deleted' | 'changed'>;
  /** Finds an event we created earlier by its marker (for a retried create). */
  findEventByMarker(calendarId: string, marker: string): Promise<CreatedEvent | null>;
  /**
   * Optional push: ask the provider to notify `address` when the calendar's events change. The
   * notification only says "something changed"; the receiver runs the incremental sync.
   */
  watchCalendar?(calendarId: string, opts: WatchOptions): Promise<WatchChannel>;
  /** Closes a channel; one that is already gone (expired, stopped) is not an error. */
  stopWatch?(channel: { channelId: string; resourceId: string }): Promise<void>;
  // ---- free/busy (p-slots) ----
  /**
   * The account owner's busy time on their own calendar inside `window` (Google freebusy.query on
   * the primary calendar; Graph getSchedule on the default one), clipped to the window, in order.
   * Free time is what is not listed. Each provider caps the window (Google 90 days, Graph 62): the
   * caller asks for less.
   */
  freeBusy(window: SyncWindow): Promise<BusyInterval[]>;
}

/** A stretch of the owner's time that is not free (see CalendarProvider.freeBusy). */
export interface BusyInterval {
  start: Date;
  end: Date;
  /** Google says only "busy"; Graph tells tentative, out of office and working elsewhere apart. */
  status: 'busy' | 'tentative' | 'oof' | 'workingElsewhere';
}

export interface DraftInput {
  /** Idempotency marker: stored in a header (Gmail) / extended property (Graph). */
  marker: string;
  from?: Person;
  to: Person;
  subject: string;
  text: string;
  html: string;
  /**
   * Make it a reply in this conversation (p-slots: the times offered answer the outreach). Gmail
   * puts the draft in `threadId` with In-Reply-To/References; providers that cannot (Graph drafts
   * join a conversation only through createReply) leave it a new message with a "Re:" subject.
   */
  replyTo?: { threadId?: string | null; internetMessageId?: string | null };
}

export interface DraftRef {
  draftId: string;
  /**
   * RFC 5322 Message-ID of the draft's message. A sent copy keeps it only sometimes: mail sent
   * from Gmail's own composer and from classic Outlook desktop carries a new one.
   */
  internetMessageId: string;
  /**
   * The conversation the draft is in (Gmail threadId / Graph conversationId): the sent copy stays
   * in it. Send detection falls back to it when the Message-ID did not survive the send.
   */
  threadId?: string;
  /**
   * Changes whenever the draft's content changes (Gmail: the draft's message id; Graph:
   * changeKey). A draft whose version differs from the one we stored was edited by the user.
   */
  version: string;
  webLink?: string;
}

/** What draftState() needs to know about a draft we made. */
export interface DraftLookup extends Pick<DraftRef, 'draftId' | 'internetMessageId'> {
  /** DraftRef.threadId as last seen (null for drafts recorded before it was kept). */
  threadId?: string | null;
  /** The draft was made at or after this instant: an older message is never its sent copy. */
  madeAfter?: Date | null;
  /** The draft's recipient: a message in the same conversation to someone else is not its copy. */
  to?: string | null;
  /** DraftInput.marker (Graph keeps our extended property on the sent copy). */
  marker?: string | null;
}

export type DraftState =
  /** threadId: the conversation it is in now (Gmail moves a draft whose subject the user edits). */
  | { state: 'draft'; version: string; threadId?: string }
  /** messageId: the provider's id of the sent copy (for sentText), when the lookup saw it. */
  | { state: 'sent'; sentAt: Date; messageId?: string }
  /** Gone without a sent copy: the user deleted (discarded) it. */
  | { state: 'deleted' };

/** One draft of listDrafts(): DraftState 'draft' without asking for it alone. */
export interface ListedDraft {
  version: string;
  threadId?: string;
}

/** What findSentByMarker looks for. */
export interface SentLookup {
  marker: string;
  to: string;
  subject: string;
  since: Date;
}
/** The sent copy findSentByMarker found (threadId: its Gmail thread / Graph conversation). */
export interface SentCopy {
  sentAt: Date;
  messageId?: string;
  threadId?: string;
}

export interface MailboxProvider {
  readonly provider: ProviderKind;
  createDraft(draft: DraftInput): Promise<DraftRef>;
  /**
   * Finds a draft we created earlier by its marker (a retried create must not make a second),
   * including one made a second ago: never through a search index that may not hold it yet.
   */
  findDraftByMarker(marker: string): Promise<DraftRef | null>;
  /**
   * The sent copy of a draft we made, for a retried create whose draft is not among the drafts
   * any more: its predecessor made it and died before recording it, and the user has sent it
   * since. Found by our marker where the provider keeps it, else as a message sent to `to` with
   * `subject` at or after `since`. Looks at the latest sent messages only (a listing, never a
   * search index that may not hold a message sent a second ago).
   */
  findSentByMarker(q: SentLookup): Promise<SentCopy | null>;
  updateDraft(draftId: string, draft: DraftInput): Promise<DraftRef>;
  /**
   * Optional conditional update in ONE provider call (where the provider can make a write
   * conditional): replaces the draft's content only if its current version is still `version`
   * (the DraftRef.version we stored). Returns the new ref (with the new version), or null when the
   * draft was not touched because it was edited by the user (version differs), was sent, or is
   * gone. It never tells those three apart: a caller that needs to know calls draftState().
   * Other failures throw ProviderError as every other call does. Providers without it: read
   * draftState() and call updateDraft().
   */
  updateDraftIfUnchanged?(draftId: string, version: string, draft: DraftInput): Promise<DraftRef | null>;
  /** Deleting a draft that is already gone is not an error. */
  deleteDraft(draftId: string): Promise<void>;
  /** Is it still a draft, was it sent, or was it deleted unsent? */
  draftState(ref: DraftLookup): Promise<DraftState>;
  /**
   * The drafts in the mailbox now, by draft id, each with its version and conversation (what
   * draftState says of a draft): a few listing calls per round instead of one read per draft we
   * made. A draft not in it may still be one (beyond the pages read, or not listed yet): ask
   * draftState() about it.
   */
  listDrafts(): Promise<Map<string, ListedDraft>>;
  /** Latest mail (sent or received, drafts excluded) exchanged with an address since an instant. */
  lastMailExchanged(address: string, since: Date): Promise<Date | null>;

  // ---- conversations (the people pipeline: replies, introductions) ----
  /**
   * The messages of one conversation (Gmail thread / Graph conversationId), drafts left out,
   * oldest first; [] when the conversation is gone. Read by id, not through a search index.
   */
  threadMessages(threadId: string): Promise<ThreadMessage[]>;
  /**
   * The latest conversation with a message (drafts left out) since `since` whose sender and
   * recipients include every one of `addresses`: an introduction copies both people. null when none.
   */
  findThreadWith(addresses: string[], since: Date): Promise<{ threadId: string; at: Date } | null>;

  // ---- what was sent (how much the user changed a draft) ----
  /**
   * The plain text of a message in the mailbox (DraftState sent's messageId): the text/plain part
   * where there is one, else the HTML body as text. null when the message is gone.
   */
  sentText(messageId: string): Promise<string | null>;
  /** What a draft says now (its text read as sentText reads a message); null when it is gone. */
  draftContent(draftId: string): Promise<DraftContent | null>;
}

/** A draft's content as draftContent() reads it. */
export interface DraftContent {
  subject: string;
  /** To, Cc and Bcc, lower-cased. */
  recipients: string[];
  text: string;
}

/** One message of a conversation, as threadMessages() gives it. */
export interface ThreadMessage {
  /** Sender address, lower-cased ('' when the provider gave none). */
  from: string;
  /** To and Cc addresses, lower-cased. */
  recipients: string[];
  /** When it was sent (received mail) or sent by the user. */
  at: Date;
  /** An automatic answer (out of office, vacation responder, bulk): not the person writing back. */
  automatic: boolean;
}

// ---- errors ----------------------------------------------------------------------------

export type ProviderErrorKind =
  'auth_revoked' | 'rate_limited' | 'cursor_expired' | 'transient' | 'not_found' | 'bad_request';

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: ProviderKind;
  /** For rate_limited (and transient when the provider said so): how long to wait. */
  readonly retryAfterMs?: number;
  readonly status?: number;

  constructor(
    provider: ProviderKind,
    kind: ProviderErrorKind,
    message: string,
    opts: { retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
  }
}

/** The call's result, or null when the provider says the thing is gone (ProviderError not_found). */
export async function nullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'not_found') return null;
    throw e;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}

// ---- connecting ------------------------------------------------------------------------

export interface ProviderEndpoints {
  googleApiRootUrl: string;
  googleTokenUrl: string;
  googleAuthUrl: string;
  googleClientId?: string;
  googleClientSecret?: string;
  microsoftGraphBaseUrl: string;
  microsoftTokenUrl: string;
  microsoftAuthUrl: string;
  microsoftClientId?: string;
  microsoftClientSecret?: string;
}

/** An endpoint on this machine (the sandbox, or another local emulator) rather than the provider. */
export function isLoopbackUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface AccountCredentials {
  provider: ProviderKind;
  email: string;
  refreshToken: string;
  /** Called when the provider rotates the refresh token (Microsoft does on every refresh). */
  onRefreshTokenRotated?: (newToken: string) => Promise<void>;
  /** Counts provider HTTP calls (benchmark, logs). */
  onCall?: (endpoint: string) => void;
  /**
   * An access token of this account still valid from an earlier session (the caller keeps them:
   * with thousands of accounts a session is not kept per account, and a new one would otherwise
   * spend a token refresh, one more HTTP call, on every sync).
   */
  accessToken?: { token: string; expiresAt: number };
  /** Each new access token, for the caller to keep for the account's next session. */
  onAccessToken?: (token: string, expiresAt: number) => void;
}

export interface ProviderClients {
  calendar: CalendarProvider;
  mailbox: MailboxProvider;
}

// ---- the provider registry ---------------------------------------------------------------

/** A browser consent in progress (loopback redirect + PKCE, see oauth-loopback.ts). */
export interface ConsentInProgress {
  /** Open this in a browser. */
  url: string;
  redirectUri: string;
  /**
   * Resolves once the browser came back, the code was exchanged and every scope the worker needs
   * was granted (a consent that granted fewer rejects, naming what is missing).
   */
  result: Promise<{ refreshToken: string; grantedScopes: string[] }>;
  close(): void;
}

/**
 * Everything the worker needs from one provider, exported by integrations/<provider>/index.ts.
 * The worker asks one table of these (worker/providers.ts) instead of choosing by name.
 */
export interface ProviderModule {
  readonly kind: ProviderKind;
  /** The name shown to the user: "Google", "Microsoft 365". */
  readonly label: string;
  /** OAuth scopes asked for at consent (and recorded on the account). */
  readonly scopes: readonly string[];
  /** One account's clients, sharing one OAuth session. */
  createClients(creds: AccountCredentials, endpoints: ProviderEndpoints): ProviderClients;
  /**
   * Checks a refresh token by using it (refresh, then read the profile and the time zone). Returns
   * the token to store (the rotated one where the provider rotates) and the scopes its grant holds.
   * Throws ProviderError (auth_revoked for a bad token, or one lacking a needed scope) with a
   * one-line message.
   */
  validateRefreshToken(
    refreshToken: string,
    endpoints: ProviderEndpoints,
  ): Promise<{ profile: AccountProfile; refreshToken: string; grantedScopes: string[] }>;
  /**
   * The client credentials the provider's token endpoint will insist on, when they are missing
   * (one line naming the variable), or null. A local emulator (loopback endpoints) is not checked.
   */
  credentialsProblem(endpoints: ProviderEndpoints): string | null;
  /** A problem that would only show after the consent screen (no OAuth client configured), or null. */
  consentProblem(endpoints: ProviderEndpoints): string | null;
  /** What a stored grant (the scopes recorded at connect) lacks, as one line naming it, or null. */
  grantProblem(grantedScopes: readonly string[]): string | null;
  /** Starts the browser consent for installed apps (loopback redirect + PKCE). */
  startConsent(opts: {
    endpoints: ProviderEndpoints;
    loginHint?: string;
    port?: number;
    timeoutMs?: number;
  }): Promise<ConsentInProgress>;
}

/** A provider's scope check (throws ProviderError naming what is missing) as a one-line answer. */
export function grantProblemOf(check: (scope: string) => unknown, granted: readonly string[]): string | null {
  try {
    check(granted.join(' '));
    return null;
  } catch (err) {
    if (isProviderError(err)) return err.message;
    throw err;
  }
}
