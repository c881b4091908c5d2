// Where `accounts add` reads a refresh token from, without a process: every refusal is one line
// and none repeats the token.
import { Readable } from 'node:stream';
import { readRefreshToken } from '../../worker/cli/secret-input.ts';

const stdin = (text: string) => Readable.from([Buffer.from(text)]);

describe('reading a refresh token', () => {
  it('takes standard input for "-", trimmed', async () => {
    expect(await readRefreshToken({ refreshToken: '-' }, stdin('  1//abc-DEF_123\n'))).toBe('1//abc-DEF_123');
  });

  it('refuses a literal value without repeating it', async () => {
    const err = await readRefreshToken({ refreshToken: '1//secret-value' }, stdin('')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('secret-value');
    expect((err as Error).message).toMatch(/--refresh-token -/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('refuses empty input, two words, both sources, and an oversized input', async () => {
    await expect(readRefreshToken({ refreshToken: '-' }, stdin('\n'))).rejects.toThrow(
      /^no refresh token in standard input$/,
    );
    await expect(readRefreshToken({ refreshToken: '-' }, stdin('tok en'))).rejects.toThrow(/alone/);
    await expect(readRefreshToken({ refreshToken: '-', refreshTokenFile: '/x' }, stdin('t'))).rejects.toThrow(
      /not both/,
    );
    await expect(readRefreshToken({ refreshToken: '-' }, stdin('x'.repeat(20_000)))).rejects.toThrow(
      /larger than/,
    );
    await expect(readRefreshToken({ refreshTokenFile: '/no/such/file' }, stdin(''))).rejects.toThrow(
      /^cannot read --refresh-token-file \/no\/such\/file: no such file$/,
    );
  });
});
