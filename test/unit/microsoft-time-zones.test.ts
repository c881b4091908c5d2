// Windows zone names from Graph (originalStartTimeZone, mailboxSettings) map to IANA zones.
import { DateTime } from 'luxon';
import { eventZone, ianaToWindows, windowsToIana } from '../../integrations/microsoft/time-zones.ts';

describe('windowsToIana', () => {
  test.each([
    ['Tokyo Standard Time', 'Asia/Tokyo'],
    ['Pacific Standard Time', 'America/Los_Angeles'],
    ['W. Europe Standard Time', 'Europe/Berlin'],
    ['GMT Standard Time', 'Europe/London'],
    ['AUS Eastern Standard Time', 'Australia/Sydney'],
    ['E. South America Standard Time', 'America/Sao_Paulo'],
  ])('%s -> %s', (win, iana) => {
    expect(windowsToIana(win)).toBe(iana);
  });

  test('prefers the current IANA name over CLDR legacy aliases', () => {
    expect(windowsToIana('India Standard Time')).toBe('Asia/Kolkata');
    expect(windowsToIana('Nepal Standard Time')).toBe('Asia/Kathmandu');
    expect(windowsToIana('Myanmar Standard Time')).toBe('Asia/Yangon');
    expect(windowsToIana('Argentina Standard Time')).toBe('America/Argentina/Buenos_Aires');
    expect(windowsToIana('US Eastern Standard Time')).toBe('America/Indiana/Indianapolis');
  });

  test('keeps CLDR ids that are still canonical', () => {
    // The alias lists also hold older names (Asia/Dacca, Asia/Chongqing): not chosen.
    expect(windowsToIana('Bangladesh Standard Time')).toBe('Asia/Dhaka');
    expect(windowsToIana('China Standard Time')).toBe('Asia/Shanghai');
  });

  test('every mapped zone is one luxon accepts', () => {
    for (const win of [
      'India Standard Time',
      'Greenland Standard Time',
      'FLE Standard Time',
      'Samoa Standard Time',
    ]) {
      const z = windowsToIana(win);
      expect(z).not.toBeNull();
      expect(DateTime.now().setZone(z!).isValid).toBe(true);
    }
  });

  test('UTC in all the ways Graph writes it', () => {
    for (const n of ['UTC', 'tzone://Microsoft/Utc', 'Etc/UTC', 'Coordinated Universal Time'])
      expect(windowsToIana(n)).toBe('UTC');
  });

  test('custom and unknown zones give null (the caller falls back to the mailbox zone)', () => {
    expect(windowsToIana('tzone://Microsoft/Custom')).toBeNull();
    expect(windowsToIana('Customized Time Zone')).toBeNull();
    expect(windowsToIana('Nowhere Standard Time')).toBeNull();
    expect(windowsToIana('')).toBeNull();
    expect(windowsToIana(undefined)).toBeNull();
    expect(eventZone('tzone://Microsoft/Custom', 'Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(eventZone('Pacific Standard Time', 'Asia/Tokyo')).toBe('America/Los_Angeles');
  });

  test('IANA names passed through by Graph are accepted', () => {
    expect(windowsToIana('Europe/Paris')).toBe('Europe/Paris');
    expect(windowsToIana('Asia/Calcutta')).toBe('Asia/Kolkata');
  });
});

describe('ianaToWindows', () => {
  test('maps IANA zones back for writing events', () => {
    expect(ianaToWindows('Asia/Tokyo')).toBe('Tokyo Standard Time');
    expect(ianaToWindows('Asia/Kolkata')).toBe('India Standard Time');
    expect(ianaToWindows('Europe/Kyiv')).toBe('FLE Standard Time');
    expect(ianaToWindows('UTC')).toBe('UTC');
    expect(ianaToWindows('Mars/Olympus_Mons')).toBeNull();
  });

  test('round trips for common zones', () => {
    for (const z of ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Shanghai']) {
      expect(windowsToIana(ianaToWindows(z))).toBe(z);
    }
  });
});
