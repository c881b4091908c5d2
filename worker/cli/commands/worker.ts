import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { startWorker } from '../../runtime.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run the worker: syncs calendars, plans and makes drafts and prep blocks (Ctrl-C drains and exits)',
    )
    .action(async () => {
      const app = await createApp();
      const running = await startWorker(app);
      process.stdout.write('coffee-chat worker running; Ctrl-C to stop\n');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          app.log.info({ signal }, 'draining in-flight jobs');
          void running
            .close()
            .then(() => app.close())
            .then(() => resolve());
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      process.stdout.write('coffee-chat worker stopped\n');
    });
}
