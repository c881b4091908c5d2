// What every Graph route of the sandbox shares: the signed-in account, Prefer headers
// (https://learn.microsoft.com/en-us/graph/api/resources/event#prefer-headers), $expand of extended
// properties, rendering options and server-driven paging (@odata.nextLink).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { badRequest, GraphHttpError } from './graph-errors.ts';
import { parseFilter } from './odata-filter.ts';
import { type RenderOptions } from './render.ts';
import { type Account, type ExtendedProperty } from './store.ts';
import { isKnownZone } from './time.ts';

export type Query = Record<string, string | undefined>;
export type Json = Record<string, unknown>;

declare module 'fastify' {
  interface FastifyRequest {
    msAccount?: Account;
  }
}

/** Prefer header values (several headers or one comma-separated list). */
export function preferences(req: FastifyRequest): {
  maxPageSize?: number;
  timeZone?: string;
  bodyType?: 'text' | 'html';
  raw: string[];
} {
  const h = req.headers.prefer;
  const raw = (Array.isArray(h) ? h : h ? [h] : [])
    .flatMap((v) => v.match(/(?:[^,"]|"[^"]*")+/g) ?? [])
    .map((s) => s.trim());
  const out: { maxPageSize?: number; timeZone?: string; bodyType?: 'text' | 'html'; raw: string[] } = { raw };
  for (const p of raw) {
    const m = /^odata\.maxpagesize\s*=\s*(\d+)$/i.exec(p);
    if (m) out.maxPageSize = Number(m[1]);
    const tz = /^outlook\.timezone\s*=\s*"?([^"]*)"?$/i.exec(p);
    if (tz) out.timeZone = tz[1];
    const bt = /^outlook\.body-content-type\s*=\s*"?(text|html)"?$/i.exec(p);
    if (bt) out.bodyType = bt[1]!.toLowerCase() as 'text' | 'html';
  }
  return out;
}

export function account(req: FastifyRequest): Account {
  if (!req.msAccount) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  return req.msAccount;
}

/** `$expand=singleValueExtendedProperties($filter=id eq '...')` */
function expandProps(expand: string | undefined): ((p: ExtendedProperty) => boolean) | null {
  if (!expand) return null;
  const m = /singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(.*)\))?/i.exec(expand);
  if (!m) return null;
  if (!m[1]) return () => true;
  const pred = parseFilter(m[1]);
  return (p) => pred(p);
}

export function renderOptions(req: FastifyRequest, ctx: SandboxContext): RenderOptions {
  const q = req.query as Query;
  const tz = preferences(req).timeZone;
  if (tz && !isKnownZone(tz)) {
    throw badRequest(
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${tz}'.`,
      'TimeZoneNotSupportedException',
    );
  }
  return {
    timeZone: tz ?? 'UTC',
    bodyType: preferences(req).bodyType,
    select: q.$select ? q.$select.split(',').map((s) => s.trim()) : undefined,
    expandProps: expandProps(q.$expand),
    baseUrl: ctx.httpsUrl(),
  };
}

export function applyPreferenceHeaders(req: FastifyRequest, reply: FastifyReply, applied: string[]) {
  const { timeZone: tz, bodyType } = preferences(req);
  if (tz) applied.push(`outlook.timezone="${tz}"`);
  if (bodyType) applied.push(`outlook.body-content-type="${bodyType}"`);
  if (applied.length) reply.header('Preference-Applied', applied.join(', '));
}

/** Paging for plain collections: $top (+ Prefer maxpagesize) and $skip, with an absolute nextLink. */
export function page<T>(req: FastifyRequest, ctx: SandboxContext, items: T[], defaultTop: number) {
  const q = req.query as Query;
  const top = Math.min(Number(q.$top ?? preferences(req).maxPageSize ?? defaultTop) || defaultTop, 1000);
  const skip = Number(q.$skip ?? 0) || 0;
  const slice = items.slice(skip, skip + top);
  let nextLink: string | undefined;
  if (skip + top < items.length) {
    const u = new URL(req.url, ctx.httpsUrl());
    u.searchParams.set('$skip', String(skip + top));
    if (q.$top) u.searchParams.set('$top', String(top));
    nextLink = `${ctx.httpsUrl()}${u.pathname}?${u.searchParams.toString().replace(/\+/g, '%20')}`;
  }
  return { slice, nextLink };
}
