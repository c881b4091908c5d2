// Refresh tokens are encrypted at rest with AES-256-GCM. The stored form is
// base64(iv[12] | tag[16] | ciphertext) beside the id of the key that made it, so keys can rotate.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  data: string;
}

export class TokenDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecryptError';
  }
}

/**
 * What a token is bound to besides its key: `provider:email` of its account, so a ciphertext copied
 * into another account's row does not open there. Tokens sealed before this have none (`open`
 * without `aad`); the provider factory opens those once that way and seals them again bound.
 */
export function accountAad(provider: string, email: string): string {
  return `${provider}:${email.toLowerCase()}`;
}

function aadBytes(keyId: string, aad: string | undefined): Buffer {
  return Buffer.from(aad === undefined ? keyId : `${keyId}\n${aad}`, 'utf8');
}

export function seal(plaintext: string, k: EncryptionKey, aad?: string): Sealed {
  if (k.key.length !== 32) throw new Error('token encryption key must be 32 bytes');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  // The key id (and the account, `aad`) is authenticated too: a ciphertext cannot be relabelled to another key.
  cipher.setAAD(aadBytes(k.id, aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: k.id, data: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
}

export function open(sealed: Sealed, keys: EncryptionKey[], aad?: string): string {
  const k = keys.find((c) => c.id === sealed.keyId);
  if (!k) throw new TokenDecryptError(`no encryption key with id "${sealed.keyId}" is configured`);
  const raw = Buffer.from(sealed.data, 'base64');
  if (raw.length < 29) throw new TokenDecryptError('stored token is truncated');
  const decipher = createDecipheriv('aes-256-gcm', k.key, raw.subarray(0, 12));
  decipher.setAAD(aadBytes(k.id, aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new TokenDecryptError('stored token failed authentication (tampered, or wrong key)');
  }
}
