// Child process of bench.ts: one worker as `coffee-chat worker` runs it (createApp from the
// environment, startWorker), alone in its process so that its RSS and CPU are its own. With
// BENCH_WEBHOOK_PORT it also serves the webhook listener there (as `coffee-chat run` does).
// For the benchmark it keeps, per job that starts, how late it started: lag = start − due time
// (due = the job's timestamp + the delay it was added with), reported over IPC.
import type { Job } from 'bullmq';
import { createApp } from '../../worker/app.ts';
import { startWorker } from '../../worker/runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../worker/web/webhook-server.ts';
import { serve } from './ipc.ts';

const app = await createApp();
const t0 = performance.now();
const running = await startWorker(app);
const startWorkerMs = performance.now() - t0;
let hooks: WebhookServer | undefined;
if (process.env.BENCH_WEBHOOK_PORT)
  hooks = await startWebhookServer(app, { port: Number(process.env.BENCH_WEBHOOK_PORT), host: '127.0.0.1' });

interface Sample {
  at: number;
  name: string;
  lagMs: number;
  scheduled: boolean;
}
let samples: Sample[] = [];
const completed: Record<string, number> = {};
let failed = 0;
for (const w of running.workers) {
  w.on('active', (job: Job) => {
    // Due = when it was added + the delay it was added with. Not `job.delay`: BullMQ zeroes that
    // field when it promotes a delayed job to waiting (promoteDelayedJobs.lua `HSET delay 0`), so
    // every scheduled job read as late by its whole delay (the sweep's 28.8 s "lag" at PT30S).
    const due = job.timestamp + (job.opts.delay ?? 0);
    const at = job.processedOn ?? Date.now();
    samples.push({ at, name: job.name, lagMs: at - due, scheduled: Boolean(job.repeatJobKey) });
  });
  w.on('completed', (job: Job) => (completed[job.name] = (completed[job.name] ?? 0) + 1));
  w.on('failed', () => failed++);
}

serve(
  {
    /** The lag samples since the last take (and forgets them), the completed counts so far. */
    take() {
      const out = samples;
      samples = [];
      return { samples: out, completed: { ...completed }, failed };
    },
    cpu: () => ({ usage: process.cpuUsage(), rss: process.memoryUsage().rss }),
    memory: () => process.memoryUsage(),
  },
  { startWorkerMs, pid: process.pid },
);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void Promise.resolve(hooks?.close())
    .then(() => running.close())
    .then(() => app.close())
    .finally(() => process.exit(0));
});
