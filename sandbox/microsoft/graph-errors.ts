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
export const notFound = (
  message = 'The specified object was not found in the store.',
  code = 'ErrorItemNotFound',
) => new GraphHttpError(404, code, message);

/**
 * A stale If-Match on an Outlook item: 412 Precondition Failed ("a precondition provided in the
 * request (such as an if-match header) does not match the resource's current state",
 * https://learn.microsoft.com/en-us/graph/errors) with Exchange's code and text as Graph relays them
 * (seen in e.g. https://github.com/mguessan/davmail/issues/491 and
 * https://github.com/microsoftgraph/msgraph-sdk-dotnet/issues/1201). Some tenants answer the same
 * code with 409 Conflict ("the current state conflicts with what the request expects", same errors
 * page; ErrorIrresolvableConflict listed as a 409 in
 * https://riposte.co/provider-errors/microsoft-errorirresolvableconflict and in the concurrent-PATCH
 * report https://test.c-sharpcorner.com/blogs/errorcode-errorirresolvableconflict-graph-api-concurrency-issue-with-powershell):
 * `status` picks which (admin setting `ifMatchConflictStatus`).
 */
export const preconditionFailed = (status: 409 | 412 = 412) =>
  new GraphHttpError(
    status,
    'ErrorIrresolvableConflict',
    'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
  );

/**
 * A create whose transactionId this mailbox has seen before. The docs only say the id lets the
 * server "avoid redundant POST operations in case of client retries"
 * (https://learn.microsoft.com/en-us/graph/api/resources/event, property transactionId); what
 * clients get is an error, not the first event: ErrorDuplicateTransactionId "Your request can't be
 * completed. The TransactionId specified in the request has already been used to create a different
 * event." (https://github.com/alcionai/corso/issues/2490), handled as 400 by some clients and 409
 * by others (the status is a setting, `duplicateTransactionIdStatus`).
 */
export const duplicateTransactionId = (status: 400 | 409 = 400) =>
  new GraphHttpError(
    status,
    'ErrorDuplicateTransactionId',
    "Your request can't be completed. The TransactionId specified in the request has already been used to create a different event.",
  );

/**
 * An id that is not an Exchange id at all (a calendar name, Google's `primary`): 400
 * ErrorInvalidIdMalformed "Id is malformed."
 * (https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/832 for `/me/calendars/{name}`,
 * status 400 in https://github.com/invictus-ir/Microsoft-Extractor-Suite/issues/146). Graph has no
 * `primary` alias: the default calendar is `/me/calendar`
 * (https://learn.microsoft.com/en-us/graph/api/calendar-get).
 */
export const malformedId = () => badRequest('Id is malformed.', 'ErrorInvalidIdMalformed');

/**
 * Does an If-Match header accept an Outlook item whose changeKey is `changeKey`? Its ETag is
 * W/"<changeKey>" (the items' `@odata.etag`); the header may list several, quoted or not, weak or
 * strong, or be `*` (any existing item). No header: no precondition.
 */
export function ifMatchAccepts(header: string | string[] | undefined, changeKey: string): boolean {
  if (header === undefined) return true;
  const raw = (Array.isArray(header) ? header.join(',') : header).trim();
  if (raw === '') return true;
  const tags = raw.match(/(?:W\/)?"[^"]*"|[^,\s]+/g) ?? [];
  return tags.some((t) => t === '*' || t.replace(/^W\//, '').replace(/^"(.*)"$/, '$1') === changeKey);
}

/**
 * Identity platform token errors: {error, error_description "AADSTSnnn: ... Trace ID ...", error_codes,
 * timestamp, trace_id, correlation_id, error_uri}.
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
 * https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
 */
export function identityError(error: string, aadsts: number, text: string) {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
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
