// Rotating TOKEN_ENCRYPTION_KEY (issue 12 item 5): tokens sealed with a previous key still open,
// are sealed again with the active one when used and by `accounts reseal`, and a token no
// configured key opens stops the worker's start with one line and shows on the account.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { accountAad, open, seal } from '../../worker/crypto.ts';
import { createProviderFactory } from '../../worker/providers.ts';
import { refuseWithoutCredentials } from '../../worker/cli/credentials-check.ts';
import { resealTokens } from '../../worker/core/token-reseal.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

jest.setTimeout(60_000);
const k0 = { id: 'k0', key: randomBytes(32) };
const k1 = { id: 'k1', key: randomBytes(32) };

let db: TestDb;
const apps: App[] = [];
async function appWith(env: Record<string, string>): Promise<App> {
  const config = parseConfig({
    REDIS_URL: process.env.REDIS_URL,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `keys-${randomBytes(4).toString('hex')}`,
    GOOGLE_CLIENT_ID: 'test.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'secret',
    TOKEN_ENCRYPTION_KEY: k1.key.toString('base64'),
    TOKEN_ENCRYPTION_KEY_ID: 'k1',
    ...env,
  });
  const app = await createApp({ config, db, log: pino({ level: 'silent' }) });
  apps.push(app);
  return app;
}
const previous = { TOKEN_ENCRYPTION_PREVIOUS_KEYS: `k0:${k0.key.toString('base64')}` };

let n = 0;
async function accountSealedWith(app: App, key: typeof k0, token = 'refresh') {
  n += 1;
  const user = await app.prisma.user.create({ data: { name: 'Sam', timeZone: 'UTC' } });
  // Sealed as accounts are: bound to the account (provider:email).
  const sealed = seal(token, key, accountAad('google', `sam${n}@example.com`));
  return app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email: `sam${n}@example.com`,
      refreshTokenEnc: sealed.data,
      tokenKeyId: sealed.keyId,
      scopes: [],
      timeZone: 'UTC',
    },
  });
}

beforeAll(async () => {
  db = await openTestDb('embedded');
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await db?.dispose();
});
afterEach(async () => {
  await apps[0]?.prisma.account.deleteMany({});
});

test('a token sealed with a previous key opens, and is sealed with the active key when used', async () => {
  const app = await appWith(previous);
  const account = await accountSealedWith(app, k0, 'refresh-a');
  await createProviderFactory(app.prisma, app.config, app.log)(account);
  const after = await app.prisma.account.findUniqueOrThrow({ where: { id: account.id } });
  expect(after.tokenKeyId).toBe('k1');
  expect(
    open({ keyId: after.tokenKeyId, data: after.refreshTokenEnc }, [k1], accountAad('google', after.email)),
  ).toBe('refresh-a');
});

test('`accounts reseal` seals every token with the active key', async () => {
  const app = await appWith(previous);
  const old = await accountSealedWith(app, k0, 'refresh-b');
  const current = await accountSealedWith(app, k1, 'refresh-c');
  expect(await resealTokens(app)).toEqual({ resealed: 1, current: 1, unreadable: [] });
  for (const [a, token] of [
    [old, 'refresh-b'],
    [current, 'refresh-c'],
  ] as const) {
    const row = await app.prisma.account.findUniqueOrThrow({ where: { id: a.id } });
    expect(
      open({ keyId: row.tokenKeyId, data: row.refreshTokenEnc }, [k1], accountAad('google', row.email)),
    ).toBe(token);
  }
});

test('the worker refuses to start when a stored token opens with no configured key, and says so on the account', async () => {
  const app = await appWith({});
  await accountSealedWith(app, k1);
  const stuck = await accountSealedWith(app, k0);
  await expect(refuseWithoutCredentials(app)).rejects.toThrow(
    new RegExp(`^[^\\n]*${stuck.email}[^\\n]*"k0"[^\\n]*TOKEN_ENCRYPTION_PREVIOUS_KEYS[^\\n]*$`),
  );
  const row = await app.prisma.account.findUniqueOrThrow({ where: { id: stuck.id } });
  expect(row.lastError).toMatch(/"k0"/);
  // With the previous key configured it starts, and the account's error is gone.
  await expect(refuseWithoutCredentials(await appWith(previous))).resolves.toBeUndefined();
  expect((await app.prisma.account.findUniqueOrThrow({ where: { id: stuck.id } })).lastError).toBeNull();
});

test('a bad previous key is refused with one line naming the variable', () => {
  expect(() => parseConfig({ TOKEN_ENCRYPTION_PREVIOUS_KEYS: 'k0:c2hvcnQ=' })).toThrow(
    /^TOKEN_ENCRYPTION_PREVIOUS_KEYS: key "k0" must be 32 bytes/,
  );
  expect(() => parseConfig({ TOKEN_ENCRYPTION_PREVIOUS_KEYS: 'nocolon' })).toThrow(
    /^TOKEN_ENCRYPTION_PREVIOUS_KEYS: .*id:base64/,
  );
});
