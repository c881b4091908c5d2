// Token buckets in memory for the webhook listener: one per client address and one for all
// clients together. A bucket holds `burst` tokens and regains `perSecond` each second; a request
// takes one or is refused. In memory is enough: the listener is one process, and a restart only
// forgives.
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

export interface RateLimitOptions {
  perClient: BucketLimit;
  overall: BucketLimit;
  /** Milliseconds; the tests freeze it. */
  now?: () => number;
  /** Client buckets kept (least recently seen dropped first), so many addresses cannot fill memory. */
  maxClients?: number;
}

/**
 * Providers send a notification per change, in bursts; a Graph batch holds many. Generous for a
 * handful of mailboxes, and far below what would hurt the database or Redis.
 */
export const DEFAULT_WEBHOOK_RATE_LIMIT: RateLimitOptions = {
  perClient: { burst: 120, perSecond: 20 },
  overall: { burst: 600, perSecond: 100 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly clients = new Map<string, Bucket>();
  private readonly overall: Bucket;
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitOptions) {
    this.now = opts.now ?? Date.now;
    this.overall = { tokens: opts.overall.burst, at: this.now() };
  }

  /** Takes a token for `client`; returns the seconds to wait when refused, 0 when allowed. */
  take(client: string): number {
    const t = this.now();
    let mine = this.clients.get(client);
    if (mine) this.clients.delete(client);
    else mine = { tokens: this.opts.perClient.burst, at: t };
    this.clients.set(client, mine);
    if (this.clients.size > (this.opts.maxClients ?? 10_000)) {
      this.clients.delete(this.clients.keys().next().value!);
    }
    refill(mine, this.opts.perClient, t);
    refill(this.overall, this.opts.overall, t);
    if (mine.tokens < 1) return wait(mine, this.opts.perClient);
    if (this.overall.tokens < 1) return wait(this.overall, this.opts.overall);
    mine.tokens -= 1;
    this.overall.tokens -= 1;
    return 0;
  }
}

function refill(b: Bucket, limit: BucketLimit, t: number): void {
  if (t > b.at) b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
  b.at = Math.max(b.at, t);
}

function wait(b: Bucket, limit: BucketLimit): number {
  return Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond));
}
