// What both adapters' error mappings share: reading Retry-After, and telling a network failure
// (worth retrying) from our own programming error (passed through unchanged, so it is not retried
// as if the provider were down).
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  cause?: unknown;
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * A failure to reach the provider at all: DNS, refused or reset connections, TLS, timeouts and
 * aborts, as Node's fetch (undici) and gaxios report them, looking through `cause` a few levels.
 */
export function isNetworkError(e: unknown): boolean {
  for (
    let cur = e as ErrorLike | undefined, depth = 0;
    cur && typeof cur === 'object' && depth < 4;
    cur = cur.cause as ErrorLike | undefined, depth++
  ) {
    if (typeof cur.code === 'string' && NETWORK_CODES.has(cur.code)) return true;
    if (cur.name === 'AbortError' || cur.name === 'TimeoutError') return true;
    if (cur.message === 'fetch failed' || /socket hang up|network|ECONN|ETIMEDOUT/i.test(cur.message ?? ''))
      return true;
  }
  return false;
}
