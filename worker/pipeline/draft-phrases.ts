// The small facts every draft is built from: how to greet someone, how to sign, where the
// chat happens, how long it is. Anything the tool cannot know becomes a loud placeholder the
// user must replace, never a guess that could go out unnoticed.

export const NOT_READY = 'this draft is not ready to send';

/** "[ADD X — this draft is not ready to send]" */
export function placeholder(what: string): string {
  return `[${what.toUpperCase()} — ${NOT_READY}]`;
}

export interface PersonLike {
  name?: string | null;
  email: string;
}

export interface SenderLike extends PersonLike {
  /** The user's own signature block; their name (else address) when unset. */
  signature?: string | null;
}

const HONORIFICS = /^(?:dr|mr|mrs|ms|mx|prof|professor|sir|dame)\.?$/i;

/** "Ana" from "Dr. Ana Lopez", "Lopez, Ana" or ana.lopez@x.com; null when nothing sensible is there. */
export function firstNameOf(person: PersonLike): string | null {
  const name = person.name?.trim();
  if (name && !name.includes('@')) {
    const ordered = name.includes(',') ? name.split(',').slice(1).join(' ') + ' ' + name.split(',')[0] : name;
    const words = ordered.split(/\s+/).filter((w) => w && !HONORIFICS.test(w));
    if (words[0]) return words[0];
  }
  // ana.lopez@ or ana_lopez@ tells us a first name; "jsmith@" does not.
  const local = person.email.split('@')[0] ?? '';
  const parts = local.split(/[._-]/).filter(Boolean);
  if (parts.length >= 2 && /^[a-z]{2,}$/i.test(parts[0]!)) return capitalize(parts[0]!);
  return null;
}

/** The greeting name, or a placeholder the user cannot miss. */
export function greetingName(person: PersonLike): string {
  return firstNameOf(person) ?? placeholder('their first name');
}

/** "Ana Lopez" or the address. */
export function displayName(person: PersonLike): string {
  return person.name?.trim() || person.email;
}

export function signatureOf(sender: SenderLike): string {
  return sender.signature?.trim() || sender.name?.trim() || sender.email;
}

export interface Place {
  /** "Google Meet", "Zoom", "Microsoft Teams", "a video call", or the location itself. */
  label: string;
  /** An http(s) link, only when it is one (never a javascript: or other scheme). */
  url: string | null;
  /** One line for a text body: "Google Meet: https://…". */
  text: string;
}

const PLATFORMS: [RegExp, string][] = [
  [/(^|\.)meet\.google\.com$/i, 'Google Meet'],
  [/(^|\.)zoom\.us$/i, 'Zoom'],
  [/(^|\.)teams\.(microsoft|live)\.com$/i, 'Microsoft Teams'],
  [/(^|\.)webex\.com$/i, 'Webex'],
  [/(^|\.)whereby\.com$/i, 'Whereby'],
];

/** Where the chat happens: the conference link, else the location, else a placeholder. */
export function placeOf(conferenceUrl?: string | null, location?: string | null): Place {
  const url = httpUrl(conferenceUrl) ?? httpUrl(location);
  if (url) {
    const host = new URL(url).hostname;
    const label = PLATFORMS.find(([re]) => re.test(host))?.[1] ?? 'Video call';
    return { label, url, text: `${label}: ${url}` };
  }
  const where = location?.trim();
  if (where) return { label: where, url: null, text: where };
  const missing = placeholder('add the meeting link or place');
  return { label: missing, url: null, text: missing };
}

/** "20 minutes", "1 hour", "1 hour 15 minutes". */
export function durationText(start: Date, end: Date): string {
  const minutes = Math.max(0, Math.round((end.getTime() - start.getTime()) / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m || !h) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  return parts.join(' ');
}

function httpUrl(value?: string | null): string | null {
  const v = value?.trim();
  if (!v || !URL.canParse(v)) return null;
  const u = new URL(v);
  return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}
