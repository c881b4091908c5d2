import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { startWorker } from '../../runtime.ts';
import { startOpsServer } from '../../web/ops-server.ts';
import type { Listening } from '../../web/listen.ts';
import { refuseWithoutCredentials } from '../credentials-check.ts';
import { parsePort } from '../parse.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run the worker: syncs calendars, plans and makes drafts and prep blocks (Ctrl-C drains and exits)',
    )
    .option(
      '--metrics-port <port>',
      'serve /healthz, /readyz and /metrics on this port (default METRICS_PORT; off when neither is set)',
      parsePort,
    )
    .action(async (opts: { metricsPort?: number }) => {
      const app = await createApp();
      try {
        await refuseWithoutCredentials(app);
      } catch (err) {
        await app.close();
        throw err;
      }
      const running = await startWorker(app);
      let ops: Listening | undefined;
      const metricsPort = opts.metricsPort ?? app.config.METRICS_PORT;
      if (metricsPort !== undefined) {
        try {
          ops = await startOpsServer(app, { port: metricsPort, host: app.config.METRICS_HOST });
        } catch (err) {
          await running.close();
          await app.close();
          throw err;
        }
      }
      if (ops) process.stdout.write(`metrics: ${ops.url}metrics (and /healthz, /readyz)\n`);
      process.stdout.write('coffee-chat worker running; Ctrl-C to stop\n');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          app.log.info({ signal }, 'draining in-flight jobs');
          void Promise.resolve(ops?.close())
            .then(() => running.close())
            .then(() => app.close())
            .then(() => resolve());
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      process.stdout.write('coffee-chat worker stopped\n');
    });
}
