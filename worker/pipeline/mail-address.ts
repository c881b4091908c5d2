// Is a string one plain mail address (`local@domain`)? A calendar hands over attendee addresses as
// free text: "eve@example.com, x@evil.example" is two recipients once it lands in a To header, and
// a line break could add headers. zod's email pattern admits neither a comma, a space, angle
// brackets nor quotes (ASCII addresses only: an internationalized address is refused, not guessed).
import { z } from 'zod';

const address = z.email();

export function isMailAddress(s: string): boolean {
  return s.length <= 254 && address.safeParse(s).success;
}

/** Longest display name kept from a calendar (a name, not a paragraph). */
export const DISPLAY_NAME_MAX = 100;

/**
 * A display name from a calendar, fit for a To header and a greeting: control characters (a line
 * break would read as "Eve" then "Bcc: x@evil.example" in the recipient's To line and split the
 * subject "Thank you, Eve…") become spaces, runs of space one, and it is cut to DISPLAY_NAME_MAX.
 * Nothing left: null (the address alone is used).
 */
export function cleanDisplayName(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const s = raw
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s ? [...s].slice(0, DISPLAY_NAME_MAX).join('').trim() : null;
}
