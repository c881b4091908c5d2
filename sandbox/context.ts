// What the server hands each provider half: the shared fault registry, the clock and its own
// base URLs. The halves import these types from here, never from server.ts, so the server can
// import the halves without an import circle.
import type { FastifyInstance } from 'fastify';
import type { FaultRegistry } from './faults.ts';

export type SandboxProvider = 'google' | 'microsoft';

export interface SandboxContext {
  faults: FaultRegistry;
  /** The sandbox clock (tests may move it). */
  now(): Date;
  /** http://127.0.0.1:PORT (no trailing slash) */
  httpUrl(): string;
  /** https://127.0.0.1:PORT */
  httpsUrl(): string;
}

export interface SandboxModule {
  readonly provider: SandboxProvider;
  register(app: FastifyInstance, ctx: SandboxContext): void;
  reset(): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The account (email) a provider route authenticated, for the request log and faults. */
    sandboxAccount?: string;
  }
}
