// The one provider policy (worker/provider-policy.ts), rule by rule, on a real database and real
// Redis: withProvider with a job stand-in that records what BullMQ would be told (moveToDelayed,
// updateData) and a provider call that fails with each shared error kind. The clock is fixed.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import { AccountUnavailable, MAX_RATE_LIMIT_WAITS, withProvider } from '../../worker/provider-policy.ts';
import { ProviderError, type ProviderClients, type ProviderErrorKind } from '../../integrations/provider.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';

const NOW = new Date('2026-03-10T12:00:00Z');

/** A job as BullMQ hands it over, recording where it is moved and what data it is given. */
function fakeJob(data: Record<string, unknown> = {}, attemptsMade = 0, attempts = 5) {
  const moves: number[] = [];
  const job = {
    name: 'create-draft',
    id: 'policy-test',
    data,
    attemptsMade,
    opts: { attempts },
    moveToDelayed: async (ts: number) => void moves.push(ts),
    updateData: async (d: Record<string, unknown>) => void (job.data = d),
  };
  return { job: job as unknown as Job, moves, data: () => job.data };
}

describe('the provider policy', () => {
  let db: TestDb;
  let app: App;
  let clientsMade = 0;
  /** The worker's clock: NOW, moved on by a test that lets time pass. */
  let clock = NOW;

  beforeAll(async () => {
    db = await openTestDb('embedded');
    app = await createApp({
      config: parseConfig({
        REDIS_URL: process.env.REDIS_URL,
        DATA_DIR: db.dataDir,
        LOG_LEVEL: 'silent',
        QUEUE_PREFIX: `policy-${process.pid}`,
      }),
      db,
      log: pino({ level: 'silent' }),
      now: () => clock,
      providers: async () => {
        clientsMade += 1;
        return {} as ProviderClients;
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  beforeEach(() => {
    clock = NOW;
  });

  let n = 0;
  /** A fresh active account (each test its own, so their states do not mix). */
  async function account() {
    n += 1;
    const user = await app.prisma.user.create({ data: { name: `Sam ${n}`, timeZone: 'UTC' } });
    return app.prisma.account.create({
      data: {
        userId: user.id,
        provider: 'google',
        email: `sam${n}@example.com`,
        refreshTokenEnc: 'x',
        tokenKeyId: 'k1',
        scopes: [],
        timeZone: 'UTC',
      },
    });
  }
  const reload = (id: string) => app.prisma.account.findUniqueOrThrow({ where: { id } });
  const failWith = (kind: ProviderErrorKind, extra: { retryAfterMs?: number; status?: number } = {}) => {
    const err = new ProviderError('google', kind, `${kind} from the test`, extra);
    return async (): Promise<never> => {
      throw err;
    };
  };

  it('a refused grant marks the account needs_reconnect, fails the job for good, and later jobs make no call', async () => {
    const a = await account();
    const { job } = fakeJob();
    const err = await withProvider(app, job, 'tok', a, failWith('auth_revoked')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    const after = await reload(a.id);
    expect(after.status).toBe('needs_reconnect');
    expect(after.lastError).toMatch(/reconnect/);

    const before = clientsMade;
    let called = false;
    const next = await withProvider(app, job, 'tok', after, async () => {
      called = true;
    }).catch((e: unknown) => e);
    expect(next).toBeInstanceOf(AccountUnavailable);
    expect(called).toBe(false);
    expect(clientsMade).toBe(before);
  });

  it('a rate limit delays this job by Retry-After, and the account’s other jobs wait for the window too', async () => {
    const a = await account();
    const first = fakeJob({ key: 'k1' });
    const err = await withProvider(
      app,
      first.job,
      'tok',
      a,
      failWith('rate_limited', { retryAfterMs: 7_000 }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelayedError);
    expect(first.moves).toEqual([NOW.getTime() + 7_000]);
    expect(first.data()).toEqual({ key: 'k1', rateLimitWaits: 1 });
    const limited = await reload(a.id);
    expect(limited.rateLimitedUntil?.getTime()).toBe(NOW.getTime() + 7_000);
    expect(limited.status).toBe('active');

    // Another job of the same account waits out the window without calling the provider.
    const other = fakeJob({ key: 'k2' });
    let called = false;
    const waited = await withProvider(app, other.job, 'tok', limited, async () => {
      called = true;
    }).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(DelayedError);
    expect(called).toBe(false);
    expect(other.moves).toHaveLength(1);
    expect(other.moves[0]).toBeGreaterThanOrEqual(NOW.getTime() + 7_000);
    expect(other.moves[0]).toBeLessThan(NOW.getTime() + 7_000 + 1_000);

    // Another account is not held up.
    const b = await account();
    expect(await withProvider(app, fakeJob().job, 'tok', b, async () => 'done')).toBe('done');
  });

  it('rate-limit waits are capped: after a few waits the job fails, and the account shows why', async () => {
    expect(MAX_RATE_LIMIT_WAITS).toBeGreaterThan(1);
    expect(MAX_RATE_LIMIT_WAITS).toBeLessThanOrEqual(10);
    const a = await account();
    const { job, moves } = fakeJob({ key: 'k' });
    let last: unknown;
    for (let i = 0; i < 20; i++) {
      last = await withProvider(
        app,
        job,
        'tok',
        await reload(a.id),
        failWith('rate_limited', { retryAfterMs: 1_000 }),
      ).catch((e: unknown) => e);
      if (!(last instanceof DelayedError)) break;
      clock = new Date(moves.at(-1)! + 1); // the job runs again once the wait is over
    }
    expect(moves).toHaveLength(MAX_RATE_LIMIT_WAITS - 1);
    // Each wait is the one the provider asked for, counted from that attempt.
    expect(moves.map((t, i) => t - (i === 0 ? NOW.getTime() : moves[i - 1]! + 1))).toEqual(
      Array(MAX_RATE_LIMIT_WAITS - 1).fill(1_000),
    );
    expect(last).toBeInstanceOf(ProviderError);
    expect((last as ProviderError).kind).toBe('rate_limited');
    expect((await reload(a.id)).lastError).toMatch(/rate limited by google \(\d+ waits\)/);
  });

  it('a success clears the account’s last error and rate-limit window', async () => {
    const a = await account();
    await app.prisma.account.update({
      where: { id: a.id },
      data: {
        lastError: 'google unavailable: 503',
        lastErrorAt: NOW,
        rateLimitedUntil: new Date(NOW.getTime() - 1),
      },
    });
    expect(await withProvider(app, fakeJob().job, 'tok', await reload(a.id), async () => 42)).toBe(42);
    expect(await reload(a.id)).toMatchObject({ lastError: null, lastErrorAt: null, rateLimitedUntil: null });
  });

  it('a transient failure is thrown on for BullMQ to retry, and shown on the account only at the last attempt', async () => {
    const a = await account();
    const early = await withProvider(app, fakeJob({}, 0, 3).job, 'tok', a, failWith('transient')).catch(
      (e: unknown) => e,
    );
    expect(early).toBeInstanceOf(ProviderError);
    expect(early).not.toBeInstanceOf(UnrecoverableError);
    expect((await reload(a.id)).lastError).toBeNull();

    const final = await withProvider(app, fakeJob({}, 2, 3).job, 'tok', a, failWith('transient')).catch(
      (e: unknown) => e,
    );
    expect((final as ProviderError).kind).toBe('transient');
    expect((await reload(a.id)).lastError).toMatch(/google unavailable: transient from the test/);
    expect((await reload(a.id)).status).toBe('active');
  });

  it.each<ProviderErrorKind>(['not_found', 'bad_request'])(
    'a %s fails the job at once (no retry) and the account shows it',
    async (kind) => {
      const a = await account();
      const { job, moves } = fakeJob();
      const err = await withProvider(app, job, 'tok', a, failWith(kind)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnrecoverableError);
      expect(moves).toEqual([]);
      const after = await reload(a.id);
      expect(after.lastError).toBe(`${kind}: ${kind} from the test`);
      expect(after.status).toBe('active');
    },
  );

  it('an expired sync cursor is handed back to the sync job unchanged, the account untouched', async () => {
    const a = await account();
    const err = await withProvider(app, fakeJob().job, 'tok', a, failWith('cursor_expired')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect((err as ProviderError).kind).toBe('cursor_expired');
    expect(await reload(a.id)).toMatchObject({ status: 'active', lastError: null, rateLimitedUntil: null });
  });
});
