// Stored refresh tokens against the configured keys: `accounts reseal` seals every token made
// with a previous key again with the active one; the worker's start refuses to run while a token
// opens with no configured key (each such account shows why in lastError).
import type { App } from '../app.ts';
import { TokenDecryptError } from '../crypto.ts';
import { openStoredToken, sealAccountToken, unreadableTokenError } from '../token-keys.ts';

export interface UnreadableToken {
  email: string;
  keyId: string;
  reason: string;
}

export interface ResealResult {
  /** Tokens sealed again with the active key. */
  resealed: number;
  /** Tokens already sealed with it. */
  current: number;
  /** Tokens no configured key opens (left as they are). */
  unreadable: UnreadableToken[];
}

/** Opens every stored token; with `reseal`, stores those made with a previous key under the active one. */
async function walkTokens(app: App, reseal: boolean): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, current: 0, unreadable: [] };
  const accounts = await app.prisma.account.findMany({
    select: {
      id: true,
      provider: true,
      email: true,
      tokenKeyId: true,
      refreshTokenEnc: true,
      lastError: true,
    },
    orderBy: { createdAt: 'asc' },
  });
  if (accounts.length === 0) return result;
  for (const a of accounts) {
    let opened: { token: string; stale: boolean };
    try {
      opened = openStoredToken(app.config, a);
    } catch (err) {
      if (!(err instanceof TokenDecryptError)) throw err;
      result.unreadable.push({ email: a.email, keyId: a.tokenKeyId, reason: err.message });
      await app.prisma.account.update({
        where: { id: a.id },
        data: {
          lastError: unreadableTokenError(app.config, a.tokenKeyId, err.message),
          lastErrorAt: app.now(),
        },
      });
      continue;
    }
    // A key problem fixed by configuration: its error goes (other errors stay until a job clears them).
    if (a.lastError?.startsWith('stored refresh token cannot be opened'))
      await app.prisma.account.update({ where: { id: a.id }, data: { lastError: null, lastErrorAt: null } });
    if (!opened.stale) {
      result.current += 1;
      continue;
    }
    if (!reseal) continue;
    const sealed = sealAccountToken(app.config, a, opened.token);
    const done = await app.prisma.account.updateMany({
      where: { id: a.id, refreshTokenEnc: a.refreshTokenEnc },
      data: { refreshTokenEnc: sealed.data, tokenKeyId: sealed.keyId },
    });
    // Changed meanwhile (a refresh rotated it): then it was sealed with the active key already.
    if (done.count === 1) result.resealed += 1;
    else result.current += 1;
  }
  return result;
}

export function resealTokens(app: App): Promise<ResealResult> {
  return walkTokens(app, true);
}

export function checkStoredTokens(app: App): Promise<ResealResult> {
  return walkTokens(app, false);
}

/** One line naming the accounts whose token no configured key opens, and the key ids. */
export function unreadableTokensLine(unreadable: UnreadableToken[]): string {
  const ids = [...new Set(unreadable.map((u) => u.keyId))];
  const who = unreadable.map((u) => `${u.email} (key id "${u.keyId}")`).join(', ');
  return `the stored refresh token of ${unreadable.length === 1 ? 'account' : `${unreadable.length} accounts`} ${who} opens with no configured key: add ${ids.map((id) => `${id}:<base64 of that key>`).join(',')} to TOKEN_ENCRYPTION_PREVIOUS_KEYS, or reconnect ${unreadable.length === 1 ? 'it' : 'them'}`;
}
