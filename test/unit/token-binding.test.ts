// The provider factory opens an account's refresh token only as that account's: a ciphertext
// copied from another account's row is refused, and a token sealed before tokens were bound to
// their account (no account in its AAD) still opens once and is stored again, bound.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { accountAad, open, seal, TokenDecryptError } from '../../worker/crypto.ts';
import { parseConfig } from '../../worker/config.ts';
import { createProviderFactory } from '../../worker/providers.ts';
import type { Account, PrismaClient } from '../../worker/db/generated/client.ts';

const keyB64 = randomBytes(32).toString('base64');
const config = parseConfig({ TOKEN_ENCRYPTION_KEY: keyB64, TOKEN_ENCRYPTION_KEY_ID: 'k1' });
const key = { id: 'k1', key: Buffer.from(keyB64, 'base64') };

function fakePrisma() {
  const updates: { where: Record<string, unknown>; data: Record<string, unknown> }[] = [];
  const update = async (args: { where: Record<string, unknown>; data: Record<string, unknown> }) => {
    updates.push(args);
    return { count: 1 };
  };
  const prisma = { account: { update, updateMany: update } } as unknown as PrismaClient;
  return { prisma, updates };
}

const account = (over: Partial<Account>): Account =>
  ({
    id: 'a-maya',
    provider: 'google',
    email: 'maya@example.com',
    tokenKeyId: 'k1',
    grantedAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  }) as Account;

describe('refresh tokens bound to their account', () => {
  it("refuses a token copied from another account's row", async () => {
    const { prisma, updates } = fakePrisma();
    const factory = createProviderFactory(prisma, config, pino({ level: 'silent' }));
    // Eve's token as the factory stores it (once opened, it is sealed again, bound to Eve).
    await factory(
      account({ id: 'a-eve', email: 'eve@example.com', refreshTokenEnc: seal('1//eve', key).data }),
    );
    const evesStored = updates[0]?.data.refreshTokenEnc as string;
    expect(evesStored).toBeTruthy();
    // Someone with write access to the database copies it into Maya's row.
    await expect(factory(account({ refreshTokenEnc: evesStored }))).rejects.toThrow(TokenDecryptError);
  });

  it('opens a token sealed before binding and stores it again, bound to its account', async () => {
    const { prisma, updates } = fakePrisma();
    const factory = createProviderFactory(prisma, config, pino({ level: 'silent' }));
    const legacy = seal('1//maya-token', key);
    await factory(account({ refreshTokenEnc: legacy.data }));
    expect(updates).toHaveLength(1);
    const stored = updates[0]!.data.refreshTokenEnc as string;
    expect(open({ keyId: 'k1', data: stored }, [key], accountAad('google', 'maya@example.com'))).toBe(
      '1//maya-token',
    );
    // Only if the row still holds the old ciphertext (a rotation in between wins).
    expect(updates[0]!.where).toMatchObject({ id: 'a-maya', refreshTokenEnc: legacy.data });
  });
});
