// What operators and orchestrators ask a process, served by the review page and by the worker's
// own listener (`worker --metrics-port`):
//   GET /healthz  alive (the process answers; nothing else is checked, so a restart is the cure)
//   GET /readyz   database and Redis reachable, migrations current (503 otherwise), and what
//                 Postgres says is scheduled against what the queues hold (reported; the
//                 reconciler mends a mismatch within minutes, so it does not make the process unready)
//   GET /metrics  Prometheus text format (worker/metrics.ts)
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import { auditQueuesWithin } from '../core/scheduled-work.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { prismaRunner } from '../db/sql-runners.ts';

const PROBE_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(server: FastifyInstance, app: App): void {
  server.get('/healthz', async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok', time: app.now().toISOString() }),
  );

  server.get('/readyz', async (_req, reply) => {
    const [db, redis] = await Promise.all([
      probe(() => app.prisma.$queryRaw`SELECT 1`),
      // Queue commands wait for a reconnect forever (maxRetriesPerRequest: null): bound it.
      probe(() => app.queues.plan.getJobCounts('waiting')),
    ]);
    const migrations =
      db === 'ok'
        ? await probe(async () => {
            const behind = await pendingMigrations(prismaRunner(app.prisma));
            if (behind.length > 0) throw new Error(`${behind.length} behind; run coffee-chat db migrate`);
          })
        : 'unknown';
    const ok = db === 'ok' && redis === 'ok' && migrations === 'ok';
    const scheduled = ok ? await auditQueuesWithin(app) : undefined;
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: ok ? 'ok' : 'degraded',
        db,
        redis,
        migrations,
        scheduled,
        time: app.now().toISOString(),
      });
  });

  server.get('/metrics', async (_req, reply) => {
    const text = await app.metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(app.metrics.registry.contentType).send(text);
  });
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (e) {
    return `error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
  } finally {
    clearTimeout(timer);
  }
}
