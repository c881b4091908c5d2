// Placeholder replaced by the google sandbox implementation.
import type { FastifyInstance } from 'fastify';
import type { SandboxContext, SandboxModule } from '../server.ts';

export function googleSandbox() {
  return {
    provider: 'google' as const,
    register(_app: FastifyInstance, _ctx: SandboxContext) {},
    reset() {},
  } satisfies SandboxModule;
}
