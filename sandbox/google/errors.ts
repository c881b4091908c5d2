// Google's JSON error shape, shared by Calendar v3 and Gmail v1:
// { "error": { "errors": [{ domain, reason, message, locationType?, location? }], "code", "message", "status" } }
// https://developers.google.com/calendar/api/guides/errors
// https://developers.google.com/gmail/api/guides/handle-errors
import type { FastifyReply } from 'fastify';

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  410: 'FAILED_PRECONDITION',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface GoogleErrorOptions {
  domain?: string;
  location?: string;
  locationType?: string;
  retryAfterSeconds?: number;
}

export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly opts: GoogleErrorOptions = {},
  ) {
    super(message);
  }
}

export function googleErrorBody(
  code: number,
  reason: string,
  message: string,
  opts: GoogleErrorOptions = {},
) {
  const item: Record<string, string> = { domain: opts.domain ?? 'global', reason, message };
  if (opts.locationType) item.locationType = opts.locationType;
  if (opts.location) item.location = opts.location;
  return { error: { errors: [item], code, message, status: STATUS_TEXT[code] ?? 'UNKNOWN' } };
}

export function sendGoogleError(reply: FastifyReply, e: GoogleApiError): FastifyReply {
  if (e.opts.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.opts.retryAfterSeconds));
  if (e.code === 401) {
    // https://developers.google.com/identity/protocols/oauth2 — an expired/invalid token is a 401 with a Bearer challenge.
    reply.header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
  }
  return reply
    .code(e.code)
    .type('application/json; charset=UTF-8')
    .send(googleErrorBody(e.code, e.reason, e.message, e.opts));
}

export const badRequest = (message: string, reason = 'invalid', location?: string) =>
  new GoogleApiError(400, reason, message, location ? { location, locationType: 'parameter' } : {});
export const notFound = (message = 'Not Found') => new GoogleApiError(404, 'notFound', message);
// https://developers.google.com/calendar/api/guides/errors#401_invalid_credentials
export const invalidCredentials = () =>
  new GoogleApiError(401, 'authError', 'Invalid Credentials', {
    location: 'Authorization',
    locationType: 'header',
  });
