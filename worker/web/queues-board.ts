// bull-board at /queues: every BullMQ queue of the app, with its jobs, delays and failures.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { Queues } from '../queues/queues.ts';

export const QUEUES_PATH = '/queues';

export async function registerQueuesBoard(server: FastifyInstance, queues: Queues): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(q)),
    // @bull-board/fastify pins its own copy of @bull-board/api (one patch version apart): same
    // runtime shape, separately declared types.
    serverAdapter: adapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'coffee-chat queues' } },
  });
  await server.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
}
