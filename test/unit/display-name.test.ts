// Display names from calendars are cleaned before they reach a To header or a greeting.
import { cleanDisplayName, DISPLAY_NAME_MAX } from '../../worker/pipeline/mail-address.ts';

describe('cleanDisplayName', () => {
  it('turns line breaks and other control characters into one space', () => {
    expect(cleanDisplayName('Eve\r\nBcc: spy@evil.example')).toBe('Eve Bcc: spy@evil.example');
    expect(cleanDisplayName('Ana\u0000\tLopez\u2028')).toBe('Ana Lopez');
  });
  it('keeps an ordinary name as it is, accents and all', () => {
    expect(cleanDisplayName('José Ñúñez-O’Brien')).toBe('José Ñúñez-O’Brien');
  });
  it('gives null for nothing left, and cuts a paragraph to a name', () => {
    expect(cleanDisplayName('\r\n \t')).toBeNull();
    expect(cleanDisplayName(undefined)).toBeNull();
    expect(cleanDisplayName('x'.repeat(5000))).toHaveLength(DISPLAY_NAME_MAX);
  });
});
