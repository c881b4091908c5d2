// The one line of feedback after a form (and what the user typed, when it was refused) lives here,
// on the server, for one page view. The redirect carries only an opaque id: the page never shows
// text from its address, so a link cannot make it say "your account was suspended, call ..." or
// put words into a form.
import { randomBytes } from 'node:crypto';
import type { Flash } from './overview-page.ts';

/** Enough for a few people clicking; the oldest go first. */
const MAX_ENTRIES = 500;
const TTL_MS = 10 * 60_000;

export interface FlashStore {
  /** Keeps the message and returns the id for the redirect. */
  put(flash: Flash): string;
  /** The message once (a reload shows the page without it); {} for anything unknown or expired. */
  take(id: unknown): Flash;
}

export function createFlashStore(now: () => number = Date.now): FlashStore {
  const entries = new Map<string, { flash: Flash; at: number }>();
  return {
    put(flash) {
      const id = randomBytes(16).toString('base64url');
      entries.set(id, { flash, at: now() });
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      return id;
    },
    take(id) {
      if (typeof id !== 'string') return {};
      const e = entries.get(id);
      if (!e) return {};
      entries.delete(id);
      return now() - e.at <= TTL_MS ? e.flash : {};
    },
  };
}
