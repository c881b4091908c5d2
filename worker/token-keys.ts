// The keys that encrypt refresh tokens at rest. Outside the demo TOKEN_ENCRYPTION_KEY is required.
import type { Config } from './config.ts';
import type { EncryptionKey } from './crypto.ts';

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
