// Which final failures the reconciler may take up again (worker/provider-policy.ts
// isRetryableFailure): a provider that was down or kept rate-limiting, never a refused grant, a
// missing item, a bad request or a bug of ours.
import { UnrecoverableError } from 'bullmq';
import { isRetryableFailure } from '../../worker/provider-policy.ts';
import { ProviderError, type ProviderErrorKind } from '../../integrations/provider.ts';

const failure = (kind: ProviderErrorKind) => new ProviderError('google', kind, kind);

describe('a failure another try may fix', () => {
  it.each<ProviderErrorKind>(['transient', 'rate_limited'])('%s: yes', (kind) => {
    expect(isRetryableFailure(failure(kind))).toBe(true);
  });
  it.each<ProviderErrorKind>(['auth_revoked', 'not_found', 'bad_request', 'cursor_expired'])(
    '%s: no',
    (kind) => {
      expect(isRetryableFailure(failure(kind))).toBe(false);
    },
  );
  it('our own errors, and the policy’s unrecoverable ones: no', () => {
    expect(isRetryableFailure(new TypeError('x is undefined'))).toBe(false);
    expect(isRetryableFailure(new UnrecoverableError('bad_request: invalid recipient'))).toBe(false);
    expect(isRetryableFailure('a string')).toBe(false);
  });
});
