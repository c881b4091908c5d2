// In-memory state of the Google sandbox. Every lookup is a Map hit keyed by account email,
// refresh/access token, calendar id or message id, so 10,000 accounts stay cheap.
import { randomBytes } from 'node:crypto';

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface Attendee {
  email: string;
  displayName?: string;
  organizer?: boolean;
  self?: boolean;
  resource?: boolean;
  optional?: boolean;
  responseStatus?: string;
  comment?: string;
}

/** The writable fields of a Google Calendar event resource. */
export interface EventFields {
  status?: 'confirmed' | 'tentative' | 'cancelled';
  summary?: string;
  description?: string;
  location?: string;
  start?: EventDateTime;
  end?: EventDateTime;
  recurrence?: string[];
  attendees?: Attendee[];
  organizer?: { email: string; displayName?: string };
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  hangoutLink?: string;
  conferenceData?: Record<string, unknown>;
  transparency?: 'opaque' | 'transparent';
  visibility?: string;
  reminders?: unknown;
  colorId?: string;
  eventType?: string;
}

export interface InstanceOverride {
  fields: EventFields;
  seq: number;
  updated: string;
  sequence: number;
}

export interface StoredEvent extends EventFields {
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  start: EventDateTime;
  end: EventDateTime;
  iCalUID: string;
  sequence: number;
  created: string;
  updated: string;
  /** Calendar change counter value of the last change (drives sync tokens and etags). */
  seq: number;
  /** Exceptions of a recurring series, keyed by instance id. */
  overrides: Map<string, InstanceOverride>;
  /** Created through the API (by our client), not seeded through the admin API. */
  createdViaApi: boolean;
}

export interface Channel {
  id: string;
  resourceId: string;
  resourceUri: string;
  address: string;
  token?: string;
  expiration?: string;
  account: string;
  calendarId: string;
  messageNumber: number;
}

export interface Calendar {
  id: string;
  summary: string;
  timeZone: string;
  primary: boolean;
  accessRole: 'owner' | 'writer' | 'reader' | 'freeBusyReader';
  events: Map<string, StoredEvent>;
  /** Change counter; each change takes the next value. */
  seq: number;
  /** Sync tokens minted before this counter value are refused with 410 (admin "invalidate"). */
  syncFloor: number;
  channels: Set<string>;
}

export interface StoredMessage {
  id: string;
  threadId: string;
  labelIds: Set<string>;
  raw: Buffer;
  internalDate: number;
  historyId: number;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  text: string;
  html: string;
  rfc822MsgId: string;
  references: string[];
  headers: { name: string; value: string }[];
  /** When the sandbox stored it (search sees it SEARCH_INDEX_DELAY later; see searchMessages). */
  storedAt: number;
}

export interface HistoryRecord {
  id: number;
  kind: 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';
  messageId: string;
  threadId: string;
  labelIds: string[];
}

export interface Account {
  email: string;
  name: string;
  timeZone: string;
  revoked: boolean;
  calendars: Map<string, Calendar>;
  messages: Map<string, StoredMessage>;
  /** Draft id -> message id. */
  drafts: Map<string, string>;
  historyId: number;
  /** history.list refuses startHistoryId below this (404), like Gmail once history is gone. */
  historyFloor: number;
  history: HistoryRecord[];
  /** This account's tokens (so revoking or expiring them does not scan every account's). */
  refreshTokenSet: Set<string>;
  accessTokenSet: Set<string>;
}

export interface AccessToken {
  email: string;
  expiresAt: number;
}

const B32HEX = 'abcdefghijklmnopqrstuv0123456789';
/** Event ids use base32hex characters (a-v, 0-9), as Google documents for events.insert `id`. */
export function newEventId(): string {
  const bytes = randomBytes(20);
  let s = '';
  for (const b of bytes) s += B32HEX[b % 32];
  return s;
}
export const newHexId = () => randomBytes(8).toString('hex');
export const newToken = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

export const DEFAULT_SEARCH_INDEX_DELAY_MS = 1500;

/** An OAuth client as created in the Google Cloud console (APIs & Services → Credentials). */
export interface GoogleOAuthClient {
  clientId: string;
  clientSecret: string;
  /** "Desktop app": loopback redirects on any port; "Web application": its listed redirect URIs only. */
  type: 'desktop' | 'web';
  redirectUris?: string[];
  /**
   * The consent screen (OAuth consent screen → Audience): External in Testing (refresh tokens expire
   * after 7 days), External in production, or Internal (Workspace users of the organization only).
   */
  publishing: 'testing' | 'production' | 'internal';
}

export class GoogleState {
  accounts = new Map<string, Account>();
  refreshTokens = new Map<string, string>();
  accessTokens = new Map<string, AccessToken>();
  channels = new Map<string, Channel>();
  /** Authorization codes from the sandbox consent endpoint. */
  authCodes = new Map<
    string,
    { email: string; clientId: string; codeChallenge?: string; redirectUri?: string; scope: string }
  >();
  /**
   * OAuth clients registered in the "Google Cloud console" (oauth.ts). While none is registered, any
   * client id is accepted unchecked; once one is, the token and consent endpoints check every request
   * against them as Google does.
   */
  clients = new Map<string, GoogleOAuthClient>();
  /** What each refresh token from the consent flow was granted: client, when, scopes. */
  grants = new Map<string, { clientId: string; issuedAtMs: number; scope: string }>();
  /** Scopes an account's user unticks on the granular consent screen (until changed). */
  withheldScopes = new Map<string, string[]>();
  private draftCounter = 0;
  /**
   * How long after a message is stored Gmail search (`q`) starts to find it. Nothing in Google's
   * reference promises that search sees a message as soon as it exists, and users report the
   * search index lagging while get-by-id is immediate (anthropics/claude-code#82548: "recently
   * delivered mail is invisible to every search variant, while get_thread / get_message by ID
   * return it instantly"). Listing by label (`labelIds`, no `q`) and get-by-id are immediate.
   */
  searchIndexDelayMs = DEFAULT_SEARCH_INDEX_DELAY_MS;

  reset(): void {
    this.searchIndexDelayMs = DEFAULT_SEARCH_INDEX_DELAY_MS;
    this.clients.clear();
    this.grants.clear();
    this.withheldScopes.clear();
    this.accounts.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.channels.clear();
    this.authCodes.clear();
  }

  nextDraftId(): string {
    this.draftCounter += 1;
    return `r${(7_000_000_000_000_000_000n + BigInt(this.draftCounter) * 7919n).toString()}`;
  }

  account(email: string): Account | undefined {
    return this.accounts.get(email.toLowerCase());
  }

  addRefreshToken(account: Account, token: string): void {
    this.refreshTokens.set(token, account.email);
    account.refreshTokenSet.add(token);
  }

  addAccessToken(account: Account, token: string, expiresAt: number, now: number): void {
    for (const old of account.accessTokenSet) {
      const t = this.accessTokens.get(old);
      if (!t || t.expiresAt <= now) {
        this.accessTokens.delete(old);
        account.accessTokenSet.delete(old);
      }
    }
    this.accessTokens.set(token, { email: account.email, expiresAt });
    account.accessTokenSet.add(token);
  }

  dropAccessTokens(account: Account): void {
    for (const t of account.accessTokenSet) this.accessTokens.delete(t);
    account.accessTokenSet.clear();
  }

  dropRefreshTokens(account: Account): void {
    for (const t of account.refreshTokenSet) this.refreshTokens.delete(t);
    account.refreshTokenSet.clear();
  }
}
