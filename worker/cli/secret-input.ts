// Where `accounts add` gets a refresh token: never from its own command line (that shows in `ps`
// and in shell history). `--refresh-token -` reads standard input, `--refresh-token-file PATH` a
// file only its owner can read. Every refusal is one line that says what to do instead, and none
// repeats the token.
import { readFile, stat } from 'node:fs/promises';

/** Far above any real refresh token (Google ~100 chars, Microsoft ~1-2 KB). */
const MAX_TOKEN_BYTES = 16 * 1024;

export const TOKEN_HOW =
  'pipe it in with --refresh-token - (for example: coffee-chat accounts add … --refresh-token - < token.txt) or use --refresh-token-file PATH (mode 0600)';

export class SecretInputError extends Error {}

function clean(raw: string, from: string): string {
  const token = raw.trim();
  if (!token) throw new SecretInputError(`no refresh token in ${from}`);
  if (/\s/.test(token))
    throw new SecretInputError(`${from} must hold the refresh token alone (found more than one word)`);
  return token;
}

async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) process.stderr.write('paste the refresh token, then press Enter and Ctrl-D:\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_TOKEN_BYTES)
      throw new SecretInputError(
        `standard input is larger than ${MAX_TOKEN_BYTES} bytes; that is not a refresh token`,
      );
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readTokenFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SecretInputError(
      `cannot read --refresh-token-file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
    );
  }
  if (!info.isFile()) throw new SecretInputError(`--refresh-token-file ${path} is not a regular file`);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new SecretInputError(
      `--refresh-token-file ${path} can be read by others (mode ${mode}); run: chmod 600 ${path}`,
    );
  }
  if (info.size > MAX_TOKEN_BYTES)
    throw new SecretInputError(
      `--refresh-token-file ${path} is larger than ${MAX_TOKEN_BYTES} bytes; that is not a refresh token`,
    );
  return readFile(path, 'utf8');
}

/**
 * The token from `--refresh-token -` (standard input) or `--refresh-token-file PATH`. A literal
 * value after --refresh-token is refused without being repeated.
 */
export async function readRefreshToken(
  opts: { refreshToken?: string; refreshTokenFile?: string },
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<string> {
  if (opts.refreshToken !== undefined && opts.refreshToken !== '-') {
    throw new SecretInputError(
      `a refresh token on the command line shows in ps and shell history; ${TOKEN_HOW}`,
    );
  }
  if (opts.refreshToken === '-' && opts.refreshTokenFile !== undefined) {
    throw new SecretInputError(
      'give the refresh token one way: --refresh-token - or --refresh-token-file PATH, not both',
    );
  }
  if (opts.refreshToken === '-') return clean(await readStdin(stdin), 'standard input');
  if (opts.refreshTokenFile !== undefined)
    return clean(await readTokenFile(opts.refreshTokenFile), opts.refreshTokenFile);
  throw new SecretInputError(`the refresh token is missing: ${TOKEN_HOW}`);
}
