// Graph's iCalUId as the meeting's iCalendar UID, with the examples of [MS-ASEMAIL] 4.3
// (https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-asemail/e7424ddc-dd10-431e-a0b7-5c794863370e).
import { describe, expect, it } from '@jest/globals';
import { iCalUidOfGraph } from '../../integrations/microsoft/ical-uid.ts';
import { thirdPartyICalUId } from '../../sandbox/microsoft/operations.ts';

const hexOf = (base64: string) => Buffer.from(base64, 'base64').toString('hex').toUpperCase();

describe('iCalUidOfGraph', () => {
  it('a meeting from another calendar system gives back the UID its organizer sent', () => {
    const goid = hexOf(
      'BAAAAIIA4AB0xbcQGoLgCAAAAAAAAAAAAAAAAAAAAAAAAAAAMwAAAHZDYWwtVWlkAQAAAHs4MTQxMkQzQy0yQTI0LTRFOUQtQjIwRS0xMUY3QkJFOTI3OTl9AA==',
    );
    expect(iCalUidOfGraph(goid)).toBe('{81412D3C-2A24-4E9D-B20E-11F7BBE92799}');
    expect(iCalUidOfGraph(thirdPartyICalUId('abc123@google.com'))).toBe('abc123@google.com');
  });

  it("an Exchange meeting's occurrence gives the series' UID, as other calendars see it", () => {
    const occurrence = hexOf('BAAAAIIA4AB0xbcQGoLgCAfUCRDgQMnBJoXEAQAAAAAAAAAAEAAAAAvw7UtuTulOnjnjhns3jvM=');
    expect(iCalUidOfGraph(occurrence)).toBe(
      '040000008200E00074C5B7101A82E00800000000E040C9C12685C4010000000000000000100000000BF0ED4B6E4EE94E9E39E3867B378EF3',
    );
  });

  it('anything else is kept as it is', () => {
    for (const v of ['not-hex@example.com', '0400', 'ZZZ', '040000008200E00074C5B7101A82E00800'])
      expect(iCalUidOfGraph(v)).toBe(v);
  });
});
