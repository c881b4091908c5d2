import type { Command } from 'commander';
import { parsePort } from '../parse.ts';
import { createApp } from '../../app.ts';
import { startWebServer } from '../../web/server.ts';

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('the review page: chats in both zones, drafts, check-ins, accounts; /queues for the job queues')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to bind; anything but loopback needs WEB_AUTH_TOKEN', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const app = await createApp();
      let server;
      try {
        server = await startWebServer(app, { port: opts.port, host: opts.host });
      } catch (err) {
        await app.close();
        throw err;
      }
      process.stdout.write(`review page: ${server.url}\n`);
      if (app.config.WEB_AUTH_TOKEN) process.stdout.write('WEB_AUTH_TOKEN is set: open the page once with ?token=<WEB_AUTH_TOKEN> (or send Authorization: Bearer)\n');
      process.stdout.write('queues: ' + new URL('queues', server.url).href + '\n(Ctrl-C to stop)\n');
      const running = server;
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void running
            .close()
            .then(() => app.close())
            .finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
