// Graph's `iCalUId` as the meeting's iCalendar UID, the one Google and every other calendar the
// invite reached report: the same meeting on a Google and a Microsoft account is then one chat.
//
// Graph's iCalUId is the hex of Exchange's global object id ("A unique identifier for an event
// across calendars. This ID is different for each occurrence in a recurring series",
// https://learn.microsoft.com/en-us/graph/api/resources/event). Its layout ([MS-ASEMAIL] 3.1.4.7
// and 4.3, https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-asemail/e7424ddc-dd10-431e-a0b7-5c794863370e):
// 16 bytes of class id, 4 of instance date (zero for the series), 8 of creation time, 8 of
// padding, a UInt32 little-endian size, then the data. When the data begins with "vCal-Uid" the
// meeting came from elsewhere and the data holds its UID (01 00 00 00, the UID, a NUL); otherwise it
// is Exchange's own id, exported as a UID in hex with the instance date zeroed.
const CLASS_ID = '040000008200E00074C5B7101A82E008';
const HEADER_BYTES = 40;

export function iCalUidOfGraph(iCalUId: string): string {
  const hex = iCalUId.trim();
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0 || !hex.toUpperCase().startsWith(CLASS_ID))
    return iCalUId;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length < HEADER_BYTES) return iCalUId;
  const size = bytes.readUInt32LE(36);
  const data = bytes.subarray(HEADER_BYTES, HEADER_BYTES + size);
  if (data.length === size && data.subarray(0, 8).toString('latin1') === 'vCal-Uid' && size >= 13) {
    const uid = data.subarray(12, data.at(-1) === 0 ? size - 1 : size).toString('utf8');
    if (uid) return uid;
  }
  // Every occurrence of one series under one id, as the other providers give it.
  bytes.fill(0, 16, 20);
  return bytes.toString('hex').toUpperCase();
}
