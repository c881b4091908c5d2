// Placeholder replaced by the microsoft sandbox implementation.
import type { FastifyInstance } from 'fastify';
import type { SandboxContext, SandboxModule } from '../server.ts';

export function microsoftSandbox() {
  return {
    provider: 'microsoft' as const,
    register(_app: FastifyInstance, _ctx: SandboxContext) {},
    reset() {},
  } satisfies SandboxModule;
}
