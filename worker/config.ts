// The one place the environment is read. Every variable is validated by zod; a bad value
// produces one line naming the variable and what was expected.
import { Duration } from 'luxon';
import { z } from 'zod';

const isoDuration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const d = Duration.fromISO(value.trim());
      if (!d.isValid || d.toMillis() <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a positive ISO-8601 duration such as PT30M, got "${value}"`,
        });
        return z.NEVER;
      }
      return d as Duration<true>;
    });

const durationList = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const parts = value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const out: Duration<true>[] = [];
      for (const p of parts) {
        const d = Duration.fromISO(p);
        if (!d.isValid || d.toMillis() <= 0) {
          ctx.addIssue({
            code: 'custom',
            message: `${name} must be a comma list of ISO-8601 durations such as P6W,P3M, got "${p}"`,
          });
          return z.NEVER;
        }
        out.push(d as Duration<true>);
      }
      if (out.length === 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must list at least one duration` });
        return z.NEVER;
      }
      return out;
    });

const url = (name: string) =>
  z.string().refine((v) => URL.canParse(v), { message: `${name} must be an absolute URL` });

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * A provider endpoint: tokens, client secrets and mail travel to it, so plain http is allowed
 * only on loopback (the sandbox, a local proxy).
 */
const secureUrl = (name: string) =>
  z.string().superRefine((v, ctx) => {
    if (!URL.canParse(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an absolute URL` });
      return;
    }
    const u = new URL(v);
    if (u.protocol === 'https:') return;
    if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return;
    ctx.addIssue({
      code: 'custom',
      message: `${name} must be an https:// URL (http:// only on 127.0.0.1, ::1 or localhost), got "${u.origin}"`,
    });
  });

const encryptionKey = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === '') return undefined;
    const buf = Buffer.from(value, 'base64');
    if (buf.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: `TOKEN_ENCRYPTION_KEY must be 32 bytes encoded as base64 (got ${buf.length} bytes); make one with: openssl rand -base64 32`,
      });
      return z.NEVER;
    }
    return buf;
  });

/**
 * Keys that sealed tokens before a rotation, `id:base64[,id:base64...]`: tokens stored under one
 * of these ids still open, and are sealed again with the active key (on use, and by `accounts
 * reseal`).
 */
const previousKeys = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const out: { id: string; key: Buffer }[] = [];
    for (const entry of (value ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const m = /^([A-Za-z0-9_.-]+):(.+)$/.exec(entry);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `TOKEN_ENCRYPTION_PREVIOUS_KEYS: "${entry.slice(0, 12)}…" is not id:base64 (for example k0:<the old TOKEN_ENCRYPTION_KEY>)`,
        });
        return z.NEVER;
      }
      const key = Buffer.from(m[2]!, 'base64');
      if (key.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: `TOKEN_ENCRYPTION_PREVIOUS_KEYS: key "${m[1]}" must be 32 bytes encoded as base64 (got ${key.length} bytes)`,
        });
        return z.NEVER;
      }
      if (out.some((k) => k.id === m[1])) {
        ctx.addIssue({
          code: 'custom',
          message: `TOKEN_ENCRYPTION_PREVIOUS_KEYS: key id "${m[1]}" is listed twice`,
        });
        return z.NEVER;
      }
      out.push({ id: m[1]!, key });
    }
    return out;
  });

/** An optional port number variable (0: any free one). */
function portVar(name: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(v.trim()) || n > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a port number (0: any free one), got "${v}"`,
        });
        return z.NEVER;
      }
      return n;
    });
}

export const configSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message:
        'DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use the embedded database)',
    }),
  DATA_DIR: z.string().min(1).default('./.data'),
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'REDIS_URL must be a redis:// or rediss:// URL' }),
  /**
   * A Redis Cluster instead of one server: comma-separated seed nodes, `host:port` or
   * redis[s]://[user:password@]host:port (credentials and TLS of the first apply to all).
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const nodes = v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => (/^rediss?:\/\//.test(n) ? n : `redis://${n}`));
      for (const n of nodes) {
        let ok = false;
        try {
          ok = new URL(n).port !== '';
        } catch {
          ok = false;
        }
        if (!ok) {
          ctx.addIssue({ code: 'custom', message: `REDIS_CLUSTER_NODES: "${n}" is not host:port` });
          return z.NEVER;
        }
      }
      return nodes;
    }),
  /** Redis key prefix of the queues (lets several installations or test runs share one Redis). */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'QUEUE_PREFIX may hold letters, digits, - and _' })
    .default('coffee-chat'),
  TOKEN_ENCRYPTION_KEY: encryptionKey,
  TOKEN_ENCRYPTION_KEY_ID: z.string().min(1).default('k1'),
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: previousKeys,
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GOOGLE_API_ROOT_URL: secureUrl('GOOGLE_API_ROOT_URL').default('https://www.googleapis.com/'),
  GOOGLE_TOKEN_URL: secureUrl('GOOGLE_TOKEN_URL').default('https://oauth2.googleapis.com/token'),
  GOOGLE_AUTH_URL: secureUrl('GOOGLE_AUTH_URL').default('https://accounts.google.com/o/oauth2/v2/auth'),
  MICROSOFT_CLIENT_ID: z.string().optional(),
  MICROSOFT_CLIENT_SECRET: z.string().optional(),
  MICROSOFT_GRAPH_BASE_URL: secureUrl('MICROSOFT_GRAPH_BASE_URL').default('https://graph.microsoft.com/v1.0'),
  MICROSOFT_TOKEN_URL: secureUrl('MICROSOFT_TOKEN_URL').default(
    'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  ),
  MICROSOFT_AUTH_URL: secureUrl('MICROSOFT_AUTH_URL').default(
    'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  ),
  SYNC_INTERVAL: isoDuration('SYNC_INTERVAL', 'PT5M'),
  THANK_YOU_DELAY: isoDuration('THANK_YOU_DELAY', 'PT30M'),
  CHECK_IN_CADENCE: durationList('CHECK_IN_CADENCE', 'P6W,P3M'),
  PREP_LEAD: isoDuration('PREP_LEAD', 'PT30M'),
  /** Business days (the contact's Monday–Friday) before the one follow-up to an unanswered ask. */
  FOLLOW_UP_BUSINESS_DAYS: z
    .string()
    .default('7')
    .refine((v) => /^\d{1,2}$/.test(v.trim()) && Number(v) >= 1, {
      message: 'FOLLOW_UP_BUSINESS_DAYS must be a whole number of business days from 1 to 99 (e.g. 7)',
    })
    .transform((v) => Number(v)),
  CHAT_KEYWORDS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((k) => k.trim().toLowerCase())
            .filter(Boolean)
        : undefined,
    ),
  TEMPLATES_DIR: z.string().optional(),
  WEB_AUTH_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.byteLength(v) >= 32, {
      // Never the value itself: this line ends up in terminals and logs.
      message: 'WEB_AUTH_TOKEN must be at least 32 bytes; make one with: openssl rand -base64 32',
    }),
  /** How long a review-page sign-in (the session cookie) lasts. */
  WEB_SESSION_TTL: isoDuration('WEB_SESSION_TTL', 'PT12H'),
  /** Public base URL at which providers reach the webhook listener's /hooks/* routes; unset = no push, polling only. */
  PUBLIC_WEBHOOK_URL: url('PUBLIC_WEBHOOK_URL').optional(),
  /** Port of the webhook listener (its own server, never the review page); 8081 when PUBLIC_WEBHOOK_URL is set. */
  WEBHOOK_PORT: portVar('WEBHOOK_PORT'),
  /** Address the webhook listener binds (a tunnel or proxy on this machine reaches 127.0.0.1). */
  WEBHOOK_HOST: z.string().min(1).default('127.0.0.1'),
  /** The worker's own /healthz, /readyz and /metrics listener (`worker --metrics-port`); off when unset. */
  METRICS_PORT: portVar('METRICS_PORT'),
  /** Address it binds; anything but loopback needs WEB_AUTH_TOKEN (sent as a Bearer token). */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** bull-board's admin actions (obliterate, empty, clean, pause, add, promote, edit); off: read-only plus retries. */
  QUEUES_ADMIN: z
    .enum(['true', 'false', '1', '0'], { message: 'QUEUES_ADMIN must be true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses an environment; throws ConfigError with one line per bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const result = configSchema.safeParse(picked);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'config');
      return i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
    });
    throw new ConfigError([...new Set(lines)]);
  }
  const active = result.data.TOKEN_ENCRYPTION_KEY_ID;
  if (result.data.TOKEN_ENCRYPTION_PREVIOUS_KEYS.some((k) => k.id === active))
    throw new ConfigError([
      `TOKEN_ENCRYPTION_PREVIOUS_KEYS: key id "${active}" is the active TOKEN_ENCRYPTION_KEY_ID; give the new key a new id`,
    ]);
  return result.data;
}

let cached: Config | undefined;
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}
/** For tests and the demo, which set the environment before reading it. */
export function resetConfigCache(): void {
  cached = undefined;
}
