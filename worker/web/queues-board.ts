// bull-board at /queues: every BullMQ queue of the app, with its jobs, delays and failures.
// Read-only by default: looking is free, and retrying a failed job is allowed (every job re-reads
// the state and checks its own due time, so a retry does nothing that was not wanted). Obliterate,
// empty, clean, pause, add, promote, edit data, delay and priority need QUEUES_ADMIN=true; without
// it they answer 403 before bull-board's handler runs.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queues } from '../queues/queues.ts';

export const QUEUES_PATH = '/queues';

/** The writes a read-only board still accepts (bull-board's route patterns). */
const RETRY_ROUTES = new Set([
  `${QUEUES_PATH}/api/queues/:queueName/:jobId/retry`,
  `${QUEUES_PATH}/api/queues/:queueName/retry/:queueStatus`,
]);

function allowedReadOnly(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  if (req.method !== 'PUT' || !RETRY_ROUTES.has(req.routeOptions.url ?? '')) return false;
  // Retry-all only for failed jobs (re-running completed ones is an admin decision).
  const status = (req.params as Record<string, unknown>).queueStatus;
  return status === undefined || status === 'failed';
}

export async function registerQueuesBoard(
  server: FastifyInstance,
  queues: Queues,
  opts: { admin: boolean },
): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    // bull-board's own readOnlyMode would forbid retries too: the boundary is the hook below.
    queues: Object.values(queues).map(
      (q) => new BullMQAdapter(q, { readOnlyMode: false, allowRetries: true }),
    ),
    // @bull-board/fastify pins its own copy of @bull-board/api (one patch version apart): same
    // runtime shape, separately declared types.
    serverAdapter: adapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: {
        boardTitle: opts.admin
          ? 'coffee-chat queues (admin)'
          : 'coffee-chat queues (read-only: retries allowed)',
      },
    },
  });
  await server.register(async (board) => {
    if (!opts.admin) {
      board.addHook('onRequest', async (req, reply) => {
        if (allowedReadOnly(req)) return;
        return reply.code(403).header('cache-control', 'no-store').send({
          error:
            'the queue board is read-only (retries are allowed); set QUEUES_ADMIN=true for admin actions',
        });
      });
    }
    await board.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
  });
}
