// Graph's and the identity platform's error wire shapes, in one place.
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * Graph's error body: {"error":{"code","message","innerError":{date, request-id, client-request-id}}}.
 * https://learn.microsoft.com/en-us/graph/errors
 */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function graphErrorBody(code: string, message: string, requestId = randomUUID()) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': requestId,
      },
    },
  };
}

export function sendGraphError(reply: FastifyReply, err: GraphHttpError): FastifyReply {
  const requestId = randomUUID();
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply
    .code(err.status)
    .header('request-id', requestId)
    .header('client-request-id', requestId)
    .type('application/json')
    .send(graphErrorBody(err.code, err.message, requestId));
}

export const badRequest = (message: string, code = 'BadRequest') => new GraphHttpError(400, code, message);
export const notFound = (message = 'The specified object was not found in the store.', code = 'ErrorItemNotFound') =>
  new GraphHttpError(404, code, message);

/**
 * Identity platform token errors: {error, error_description "AADSTSnnn: ... Trace ID ...", error_codes,
 * timestamp, trace_id, correlation_id, error_uri}.
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
 * https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
 */
export function identityError(error: string, aadsts: number, text: string) {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${aadsts}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  };
}
