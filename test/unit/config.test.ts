import { parseConfig, ConfigError } from '../../worker/config.ts';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const c = parseConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.THANK_YOU_DELAY.as('minutes')).toBe(30);
    expect(c.SYNC_INTERVAL.as('minutes')).toBe(5);
    expect(c.CHECK_IN_CADENCE.map((d) => d.toISO())).toEqual(['P6W', 'P3M']);
    expect(c.MICROSOFT_GRAPH_BASE_URL).toBe('https://graph.microsoft.com/v1.0');
  });

  it('reads short demo durations', () => {
    const c = parseConfig({
      THANK_YOU_DELAY: 'PT2S',
      CHECK_IN_CADENCE: 'PT5S, PT10S',
      SYNC_INTERVAL: 'PT1S',
    });
    expect(c.THANK_YOU_DELAY.toMillis()).toBe(2000);
    expect(c.CHECK_IN_CADENCE.map((d) => d.toMillis())).toEqual([5000, 10000]);
  });

  it('reports one line per bad variable, naming it', () => {
    let err: unknown;
    try {
      parseConfig({
        THANK_YOU_DELAY: '30 minutes',
        REDIS_URL: 'localhost:6379',
        TOKEN_ENCRYPTION_KEY: 'c2hvcnQ=',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines;
    expect(lines).toHaveLength(5);
    for (const name of [
      'THANK_YOU_DELAY',
      'REDIS_URL',
      'TOKEN_ENCRYPTION_KEY',
      'LOG_LEVEL',
      'DATABASE_URL',
    ]) {
      expect(lines.filter((l) => l.startsWith(name))).toHaveLength(1);
    }
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('rejects a cadence with one bad step', () => {
    expect(() => parseConfig({ CHECK_IN_CADENCE: 'P6W,soon' })).toThrow(/CHECK_IN_CADENCE.*"soon"/);
  });

  it('accepts a 32-byte base64 encryption key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(parseConfig({ TOKEN_ENCRYPTION_KEY: key }).TOKEN_ENCRYPTION_KEY?.length).toBe(32);
  });

  it('keeps the queue board read-only unless QUEUES_ADMIN says true', () => {
    expect(parseConfig({}).QUEUES_ADMIN).toBe(false);
    expect(parseConfig({ QUEUES_ADMIN: 'false' }).QUEUES_ADMIN).toBe(false);
    expect(parseConfig({ QUEUES_ADMIN: 'true' }).QUEUES_ADMIN).toBe(true);
    expect(() => parseConfig({ QUEUES_ADMIN: 'yes please' })).toThrow(/^QUEUES_ADMIN must be true or false$/);
  });

  it('wants a review-page token of at least 32 bytes, and never repeats it', () => {
    let err: unknown;
    try {
      parseConfig({ WEB_AUTH_TOKEN: 'hunter2-is-a-fine-password' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines).toEqual([
      'WEB_AUTH_TOKEN must be at least 32 bytes; make one with: openssl rand -base64 32',
    ]);
    const token = 'x'.repeat(32);
    expect(parseConfig({ WEB_AUTH_TOKEN: token }).WEB_AUTH_TOKEN).toBe(token);
    expect(parseConfig({}).WEB_SESSION_TTL.as('hours')).toBe(12);
  });
});

describe('provider endpoints', () => {
  const vars = [
    'GOOGLE_API_ROOT_URL',
    'GOOGLE_TOKEN_URL',
    'GOOGLE_AUTH_URL',
    'MICROSOFT_GRAPH_BASE_URL',
    'MICROSOFT_TOKEN_URL',
    'MICROSOFT_AUTH_URL',
  ];
  it.each(vars)('%s must be https unless it points at this machine', (name) => {
    // A token endpoint over plain http sends the refresh token and client secret in clear.
    expect(() => parseConfig({ [name]: 'http://tokens.example.com/token' })).toThrow(
      new RegExp(`^${name} must be an https:// URL`),
    );
    let err: unknown;
    try {
      parseConfig({ [name]: 'http://tokens.example.com/token' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).lines).toHaveLength(1);
    for (const ok of [
      'https://tokens.example.com/token',
      'http://127.0.0.1:4010/token',
      'http://localhost:4010/',
      'http://[::1]:4010/',
    ]) {
      expect(() => parseConfig({ [name]: ok })).not.toThrow();
    }
  });
});
