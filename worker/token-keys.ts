// The keys that encrypt refresh tokens at rest. Outside the demo TOKEN_ENCRYPTION_KEY is required.
// Rotation: the new key becomes TOKEN_ENCRYPTION_KEY with a new TOKEN_ENCRYPTION_KEY_ID, the old
// one moves to TOKEN_ENCRYPTION_PREVIOUS_KEYS (`id:base64,...`). Tokens sealed with an old key
// still open and are sealed again with the active one when used or by `accounts reseal`.
import type { Config } from './config.ts';
import { accountAad, open, seal, TokenDecryptError, type EncryptionKey, type Sealed } from './crypto.ts';

export class MissingKeyError extends Error {
  constructor() {
    super(
      'TOKEN_ENCRYPTION_KEY is required to store or read account tokens (32 bytes, base64: openssl rand -base64 32)',
    );
    this.name = 'MissingKeyError';
  }
}

export function activeKey(config: Config): EncryptionKey {
  if (!config.TOKEN_ENCRYPTION_KEY) throw new MissingKeyError();
  return { id: config.TOKEN_ENCRYPTION_KEY_ID, key: config.TOKEN_ENCRYPTION_KEY };
}

/** Every key a stored token may be sealed with: the active one first, then the previous ones. */
export function keyring(config: Config): EncryptionKey[] {
  return [activeKey(config), ...config.TOKEN_ENCRYPTION_PREVIOUS_KEYS];
}

/**
 * Opens an account's stored token with the keyring. The token is bound to its account (AAD
 * `provider:email`); one sealed before tokens were bound opens without it. `stale`: it was sealed
 * with a previous key or without the binding, and should be sealed again (`sealAccountToken`).
 * Throws TokenDecryptError.
 */
export function openStoredToken(
  config: Config,
  account: { provider: string; email: string; tokenKeyId: string; refreshTokenEnc: string },
): { token: string; stale: boolean } {
  const keys = keyring(config);
  const stored = { keyId: account.tokenKeyId, data: account.refreshTokenEnc };
  const previousKey = account.tokenKeyId !== keys[0]!.id;
  try {
    return { token: open(stored, keys, accountAad(account.provider, account.email)), stale: previousKey };
  } catch (err) {
    if (!(err instanceof TokenDecryptError)) throw err;
    try {
      return { token: open(stored, keys), stale: true };
    } catch {
      throw err;
    }
  }
}

/** Seals an account's token with the active key, bound to the account. */
export function sealAccountToken(
  config: Config,
  account: { provider: string; email: string },
  token: string,
): Sealed {
  return seal(token, activeKey(config), accountAad(account.provider, account.email));
}

/** The account's lastError when its token opens with no configured key (one line). */
export function unreadableTokenError(config: Config, keyId: string, reason: string): string {
  const known = keyring(config).map((k) => `"${k.id}"`);
  return `stored refresh token cannot be opened (key id "${keyId}"; configured: ${known.join(', ')}): ${reason}; add the old key to TOKEN_ENCRYPTION_PREVIOUS_KEYS as ${keyId}:<base64>, or reconnect the account`;
}
