// The one mapping of Microsoft errors to the shared kinds.
import { GraphError } from '@microsoft/microsoft-graph-client';
import {
  MicrosoftTokenError,
  isDuplicateTransactionId,
  isEditConflict,
  parseRetryAfter,
  toProviderError as mapError,
} from '../../integrations/microsoft/errors.ts';
import type { ProviderError } from '../../integrations/provider.ts';

const toProviderError = (e: unknown) => mapError(e) as ProviderError;

function graphError(status: number, code: string, headers: Record<string, string> = {}): GraphError {
  const e = new GraphError(status, `${code} happened`);
  e.code = code;
  e.headers = new Headers(headers);
  return e;
}

describe('toProviderError (Microsoft)', () => {
  test('invalid_grant from the token endpoint -> auth_revoked', () => {
    const e = toProviderError(
      new MicrosoftTokenError(
        400,
        'invalid_grant',
        'AADSTS50173: The provided grant has expired due to it being revoked. Trace ID: x',
      ),
    );
    expect(e.kind).toBe('auth_revoked');
    expect(e.provider).toBe('microsoft');
    expect(e.message).not.toMatch(/Trace ID/);
  });

  test('429 with Retry-After -> rate_limited with the wait', () => {
    const e = toProviderError(graphError(429, 'TooManyRequests', { 'Retry-After': '12' }));
    expect(e).toMatchObject({ kind: 'rate_limited', retryAfterMs: 12_000, status: 429 });
  });

  test('429 without Retry-After still carries a wait', () => {
    expect(toProviderError(graphError(429, 'TooManyRequests')).retryAfterMs).toBeGreaterThan(0);
  });

  test('503 with Retry-After -> rate_limited; without -> transient', () => {
    expect(toProviderError(graphError(503, 'serviceNotAvailable', { 'Retry-After': '3' }))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 3000,
    });
    expect(toProviderError(graphError(503, 'serviceNotAvailable')).kind).toBe('transient');
  });

  test('delta token refused -> cursor_expired (410, syncStateNotFound, resyncRequired)', () => {
    expect(toProviderError(graphError(410, 'syncStateNotFound')).kind).toBe('cursor_expired');
    expect(toProviderError(graphError(400, 'syncStateNotFound')).kind).toBe('cursor_expired');
    expect(toProviderError(graphError(410, 'resyncRequired')).kind).toBe('cursor_expired');
    expect(toProviderError(graphError(410, 'Gone')).kind).toBe('cursor_expired');
  });

  test('5xx and network failures -> transient; 404 -> not_found; 400 -> bad_request; 401 after refresh -> auth_revoked', () => {
    expect(toProviderError(graphError(500, 'generalException')).kind).toBe('transient');
    expect(toProviderError(graphError(504, 'gatewayTimeout')).kind).toBe('transient');
    expect(toProviderError(graphError(-1, 'TypeError')).kind).toBe('transient');
    expect(toProviderError(Object.assign(new TypeError('fetch failed'))).kind).toBe('transient');
    expect(toProviderError(graphError(404, 'ErrorItemNotFound')).kind).toBe('not_found');
    expect(toProviderError(graphError(400, 'ErrorInvalidParameter')).kind).toBe('bad_request');
    expect(toProviderError(graphError(401, 'InvalidAuthenticationToken')).kind).toBe('auth_revoked');
  });

  test('our own programming errors pass through unchanged (not retried as outages)', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(mapError(bug)).toBe(bug);
    const other = new RangeError('Invalid time value');
    expect(mapError(other)).toBe(other);
  });

  test('token endpoint throttling and outages', () => {
    expect(toProviderError(new MicrosoftTokenError(429, 'temporarily_unavailable', 'x', 5000))).toMatchObject(
      { kind: 'rate_limited', retryAfterMs: 5000 },
    );
    expect(toProviderError(new MicrosoftTokenError(503, 'temporarily_unavailable', 'x')).kind).toBe(
      'transient',
    );
    expect(toProviderError(new MicrosoftTokenError(0, 'network_error', 'ECONNREFUSED')).kind).toBe(
      'transient',
    );
    expect(toProviderError(new MicrosoftTokenError(400, 'invalid_request', 'x')).kind).toBe('bad_request');
  });

  test('Retry-After as seconds or HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  test('ErrorIrresolvableConflict is an edit conflict at 412 and at 409; other 409s are not', () => {
    expect(isEditConflict(toProviderError(graphError(412, 'ErrorIrresolvableConflict')))).toBe(true);
    expect(isEditConflict(toProviderError(graphError(409, 'ErrorIrresolvableConflict')))).toBe(true);
    expect(isEditConflict(graphError(409, 'ErrorIrresolvableConflict'))).toBe(true);
    expect(isEditConflict(toProviderError(graphError(409, 'ErrorDuplicateTransactionId')))).toBe(false);
  });

  test('ErrorDuplicateTransactionId is recognised at 400 and 409 (a bad_request either way)', () => {
    for (const status of [400, 409]) {
      const e = toProviderError(graphError(status, 'ErrorDuplicateTransactionId'));
      expect(isDuplicateTransactionId(e)).toBe(true);
      expect(e.kind).toBe('bad_request');
    }
    expect(isDuplicateTransactionId(toProviderError(graphError(400, 'BadRequest')))).toBe(false);
  });
});
