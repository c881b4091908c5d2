import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { open, seal, TokenDecryptError } from '../../worker/crypto.ts';
import { createLogger } from '../../worker/logger.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('refresh token encryption', () => {
  it('round-trips and never stores the plaintext', () => {
    const sealed = seal('1//refresh-token-abc', k1);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.data).not.toContain('refresh-token');
    expect(Buffer.from(sealed.data, 'base64').toString('latin1')).not.toContain('refresh-token');
    expect(open(sealed, [k2, k1])).toBe('1//refresh-token-abc');
  });

  it('uses a fresh IV each time', () => {
    expect(seal('same', k1).data).not.toBe(seal('same', k1).data);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = seal('secret', k1);
    const raw = Buffer.from(sealed.data, 'base64');
    raw[raw.length - 1]! ^= 0x01;
    expect(() => open({ keyId: 'k1', data: raw.toString('base64') }, [k1])).toThrow(TokenDecryptError);
  });

  it('refuses a ciphertext relabelled to another key id', () => {
    const sealed = seal('secret', k1);
    const k2SameBytes = { id: 'k2', key: k1.key };
    expect(() => open({ keyId: 'k2', data: sealed.data }, [k2SameBytes])).toThrow(/tampered, or wrong key/);
  });

  it('says which key is missing', () => {
    expect(() => open(seal('x', k2), [k1])).toThrow(/no encryption key with id "k2"/);
  });
});

describe('logs', () => {
  it('redact tokens wherever they appear', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        refreshToken: 'RT-123',
        account: { accessToken: 'AT-456', email: 'a@b.c' },
        headers: { authorization: 'Bearer AT-789' },
      },
      'sync',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/RT-123|AT-456|AT-789/);
    expect(out).toContain('a@b.c');
    expect(out).toContain('[redacted]');
  });
});

describe('a sealed token is bound to its account', () => {
  it('opens only for the account it was sealed for', () => {
    const sealed = seal('1//maya-token', k1, 'google:maya@example.com');
    expect(open(sealed, [k1], 'google:maya@example.com')).toBe('1//maya-token');
    // Copied into another account's row (database write access), it does not open there.
    expect(() => open(sealed, [k1], 'google:eve@example.com')).toThrow(TokenDecryptError);
    expect(() => open(sealed, [k1], 'microsoft:maya@example.com')).toThrow(TokenDecryptError);
    expect(() => open(sealed, [k1])).toThrow(TokenDecryptError);
  });
});
