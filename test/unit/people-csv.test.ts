import { describe, expect, it } from '@jest/globals';
import { cleanContact, parseCsv } from '../../worker/core/people.ts';

describe('contacts import reads the CSV a spreadsheet writes', () => {
  it('quoted fields keep their commas, doubled quotes and line breaks; CRLF, a BOM and blank lines are fine', () => {
    const csv =
      '\uFEFFname,email,reason\r\n"Lopez, Ana",ana@example.org,"she said ""yes"" to\r\nproduct"\r\n\r\nBen,ben@example.org,\r\n';
    expect(parseCsv(csv)).toEqual([
      ['name', 'email', 'reason'],
      ['Lopez, Ana', 'ana@example.org', 'she said "yes" to\r\nproduct'],
      ['Ben', 'ben@example.org', ''],
    ]);
  });

  it('an unclosed quote is one clear error', () => {
    expect(() => parseCsv('name,email\n"Ana,ana@example.org\n')).toThrow(/a " is not closed/);
  });

  it('each field is checked with a one-line reason', () => {
    expect(() => cleanContact({ email: 'not-an-address' })).toThrow(
      '"not-an-address" is not an email address',
    );
    expect(() => cleanContact({ email: 'a@b.org', connection: 'friend' })).toThrow(
      'connection "friend" must be one of alumni, mutual, colleague, cold',
    );
    expect(() => cleanContact({ email: 'a@b.org', reason: 'why not' })).toThrow(/at least 10 characters/);
    expect(() => cleanContact({ email: 'a@b.org', introducer: 'A@b.org' })).toThrow(
      'a@b.org cannot introduce themselves',
    );
    expect(
      cleanContact({ email: ' Ana@Example.org ', connection: 'Alumni', company: '  Acme  Corp ' }),
    ).toMatchObject({
      email: 'ana@example.org',
      connection: 'alumni',
      company: 'Acme Corp',
      introducer: null,
    });
  });
});
