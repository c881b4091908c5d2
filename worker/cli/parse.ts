// Option parsers shared by the CLI commands (commander calls them; a bad value is one line).
import { InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number (0: any free one)');
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** An instant with its offset, e.g. 2027-03-14T06:30:00Z or 2027-03-14T09:30-07:00. */
export function parseInstant(value: string): Date {
  const d = DateTime.fromISO(value, { setZone: true });
  if (!d.isValid || !/(Z|[+-]\d\d:?\d\d)$/i.test(value)) {
    throw new InvalidArgumentError(
      'expected an ISO-8601 date and time with its offset, e.g. 2027-03-14T06:30:00Z',
    );
  }
  return d.toJSDate();
}
