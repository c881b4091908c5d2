// Faults a test (or the demo) injects: a matching request gets an error or a delay instead of
// (or before) its normal answer. Each provider module renders the error in its own wire shape.
import { z } from 'zod';

export const faultSchema = z.object({
  provider: z.enum(['google', 'microsoft']),
  /** Matches when the request path contains this string (after the provider's base path). */
  pathIncludes: z.string().default(''),
  method: z.string().toUpperCase().optional(),
  /** Only requests authenticated as this account (email). */
  account: z.string().optional(),
  /**
   * rate_limit: Google 403 rateLimitExceeded (or 429 with status 429) / Graph 429 with Retry-After;
   * server_error: 500/503; slow: answer normally after delayMs; revoked: the account's tokens die;
   * sync_token_expired: the next incremental sync is refused (Google 410 / Graph syncStateNotFound).
   */
  kind: z.enum(['rate_limit', 'server_error', 'slow', 'revoked', 'sync_token_expired']),
  status: z.number().int().optional(),
  retryAfterSeconds: z.number().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().optional(),
  /**
   * server_error only, Graph only: the request is carried out first and only its answer is replaced
   * by the error (a write that happened behind a 5xx or a lost answer, which a blind replay repeats).
   */
  afterCommit: z.boolean().optional(),
  /** How many matching requests it hits (then it is removed). Default 1. */
  times: z.number().int().positive().default(1),
  /**
   * A standing fault instead: each matching request is hit with this probability, independently
   * of the others, until the fault is removed (`times` is then ignored). "10% of requests fail"
   * as a service that errs now and then does, not as a burst aimed at whatever comes next.
   */
  share: z.number().gt(0).max(1).optional(),
});
export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema> & { id: number; hits: number };

export class FaultRegistry {
  private next = 1;
  private faults: Fault[] = [];
  /** Draws for `share` faults (a seeded one makes a run repeatable). */
  random: () => number = Math.random;

  add(input: FaultInput): Fault {
    const f = { ...faultSchema.parse(input), id: this.next++, hits: 0 };
    this.faults.push(f);
    return f;
  }

  list(): Fault[] {
    return [...this.faults];
  }

  /** Ends one fault before its uses run out (an outage that is over). */
  remove(id: number): void {
    this.faults = this.faults.filter((c) => c.id !== id);
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes (consumes one use of) the first fault matching this request. */
  take(req: {
    provider: 'google' | 'microsoft';
    method: string;
    path: string;
    account?: string;
  }): Fault | undefined {
    const f = this.faults.find(
      (c) =>
        c.provider === req.provider &&
        (!c.method || c.method === req.method) &&
        req.path.includes(c.pathIncludes) &&
        (!c.account || c.account.toLowerCase() === req.account?.toLowerCase()) &&
        (c.share === undefined || this.random() < c.share),
    );
    if (!f) return undefined;
    f.hits += 1;
    if (f.share === undefined && f.hits >= f.times) this.faults = this.faults.filter((c) => c !== f);
    return f;
  }
}
