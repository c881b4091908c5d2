// Microsoft Graph v1.0 routes of the sandbox (served over HTTPS, see ../tls.ts), registered by
// resource: profile, calendar and mail beside this file; subscriptions, $batch and the catch-all here.
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { badRequest, notFound, sendGraphError } from './graph-errors.ts';
import type { Operations } from './operations.ts';
import { type MicrosoftStore } from './store.ts';
import { createSubscription, renderSubscription } from './subscriptions.ts';
import { registerMailRoutes } from './graph-mail.ts';
import { registerProfileRoutes } from './graph-profile.ts';
import { type Json, account } from './graph-request.ts';
import { registerCalendarRoutes } from './graph-calendar.ts';
import { registerScheduleRoutes } from './graph-schedule.ts';

export function registerGraph(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: MicrosoftStore,
  ops: Operations,
) {
  const base = '/v1.0';

  registerProfileRoutes(app, ctx);
  registerCalendarRoutes(app, ctx, store, ops);
  registerScheduleRoutes(app, ctx, store);
  registerMailRoutes(app, ctx, store, ops);

  // ---- subscriptions ---------------------------------------------------------------------------
  app.post(`${base}/subscriptions`, async (req, reply) => {
    const acc = account(req);
    const sub = await createSubscription(store, acc, (req.body as Json) ?? {}, ctx.now().getTime());
    return reply.code(201).send(renderSubscription(sub, acc.userId));
  });
  app.get<{ Params: { id: string } }>(`${base}/subscriptions/:id`, async (req) => {
    const acc = account(req);
    const sub = store.subscriptions.get(req.params.id);
    if (!sub || sub.email !== acc.email) throw notFound(`The object was not found.`, 'ResourceNotFound');
    return renderSubscription(sub, acc.userId);
  });
  app.delete<{ Params: { id: string } }>(`${base}/subscriptions/:id`, async (req, reply) => {
    const acc = account(req);
    const sub = store.subscriptions.get(req.params.id);
    if (!sub || sub.email !== acc.email) throw notFound(`The object was not found.`, 'ResourceNotFound');
    store.subscriptions.delete(sub.id);
    return reply.code(204).send();
  });

  // ---- JSON batching -------------------------------------------------------------------------
  // https://learn.microsoft.com/en-us/graph/json-batching: up to 20 requests, each {id, method,
  // url (relative to the version), headers, body, dependsOn}; responses {id, status, headers, body}.
  // A failed dependency answers 424.
  app.post(`${base}/$batch`, async (req) => {
    account(req);
    const body = req.body as { requests?: unknown } | undefined;
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      throw badRequest('Invalid batch payload format.', 'BadRequest');
    if (requests.length > 20)
      throw badRequest(
        'Number of included requests in the request body exceeds the limit of 20.',
        'BadRequest',
      );
    const ids = new Set<string>();
    for (const r of requests as Json[]) {
      if (typeof r.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') {
        throw badRequest('Each batch request needs an id, a method and a url.', 'BadRequest');
      }
      if (ids.has(r.id)) throw badRequest(`Batch request ids must be unique: '${r.id}'.`, 'BadRequest');
      ids.add(r.id);
    }
    const statusById = new Map<string, number>();
    const responses: Json[] = [];
    for (const r of requests as Json[]) {
      const id = r.id as string;
      const deps = Array.isArray(r.dependsOn) ? (r.dependsOn as string[]) : [];
      if (deps.some((d) => (statusById.get(d) ?? 424) >= 400)) {
        statusById.set(id, 424);
        responses.push({
          id,
          status: 424,
          headers: { 'Content-Type': 'application/json' },
          body: { error: { code: 'FailedDependency', message: 'A request this one depends on failed.' } },
        });
        continue;
      }
      const url = (r.url as string).replace(/^https:\/\/[^/]+\/v1\.0/, '');
      const headers: Record<string, string> = { ...((r.headers as Record<string, string>) ?? {}) };
      headers.authorization = req.headers.authorization ?? '';
      if (req.headers.prefer && !headers.prefer && !headers.Prefer)
        headers.prefer = String(req.headers.prefer);
      const hasBody = r.body !== undefined;
      if (hasBody && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
        throw badRequest(`Content-Type header is required for request '${id}' with a body.`, 'BadRequest');
      }
      // Each step runs through the whole pipeline (auth, faults) like a separate request.
      const res = await fetch(`${ctx.httpsUrl()}${base}${url.startsWith('/') ? '' : '/'}${url}`, {
        method: (r.method as string).toUpperCase(),
        headers,
        body: hasBody ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined,
      });
      statusById.set(id, res.status);
      const ct = res.headers.get('content-type') ?? '';
      const outHeaders: Record<string, string> = {};
      if (ct) outHeaders['Content-Type'] = ct;
      const retryAfter = res.headers.get('retry-after');
      if (retryAfter) outHeaders['Retry-After'] = retryAfter;
      const text = await res.text();
      responses.push({
        id,
        status: res.status,
        headers: outHeaders,
        ...(text ? { body: ct.includes('json') ? JSON.parse(text) : text } : {}),
      });
    }
    return { responses };
  });

  // Anything else under /v1.0: Graph's "segment not found" 400.
  app.all(`${base}/*`, async (req) => {
    const seg = req.url.split('?')[0]!.replace(`${base}/`, '').split('/').pop();
    throw badRequest(`Resource not found for the segment '${seg}'.`, 'BadRequest');
  });

  void sendGraphError;
}
