// Is a string one plain mail address (`local@domain`)? A calendar hands over attendee addresses as
// free text: "eve@example.com, x@evil.example" is two recipients once it lands in a To header, and
// a line break could add headers. zod's email pattern admits neither a comma, a space, angle
// brackets nor quotes (ASCII addresses only: an internationalized address is refused, not guessed).
import { z } from 'zod';

const address = z.email();

export function isMailAddress(s: string): boolean {
  return s.length <= 254 && address.safeParse(s).success;
}
