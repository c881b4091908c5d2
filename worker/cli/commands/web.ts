import type { Command } from 'commander';
import { parsePort } from '../parse.ts';
import { createApp } from '../../app.ts';
import { startWebServer, type WebServer } from '../../web/server.ts';
import { startWebhookServer, webhookListen, type WebhookServer } from '../../web/webhook-server.ts';

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description(
      'the review page: chats in both zones, drafts, check-ins, accounts; /queues for the job queues; and the webhook listener when push is on',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to bind; anything but loopback needs WEB_AUTH_TOKEN', '127.0.0.1')
    .option(
      '--webhook-port <port>',
      'port of the provider webhook listener (default WEBHOOK_PORT, else 8081 when PUBLIC_WEBHOOK_URL is set)',
      parsePort,
    )
    .action(async (opts: { port: number; host: string; webhookPort?: number }) => {
      const app = await createApp();
      let server: WebServer | undefined;
      let hooks: WebhookServer | undefined;
      try {
        server = await startWebServer(app, { port: opts.port, host: opts.host });
        const listen = webhookListen(app.config, opts.webhookPort);
        if (listen) hooks = await startWebhookServer(app, listen);
      } catch (err) {
        await server?.close();
        await app.close();
        throw err;
      }
      process.stdout.write(`review page: ${server.url}\n`);
      if (hooks)
        process.stdout.write(
          `webhooks: ${hooks.url}hooks/google and ${hooks.url}hooks/microsoft (make these reachable as ${app.config.PUBLIC_WEBHOOK_URL ?? 'PUBLIC_WEBHOOK_URL'})\n`,
        );
      if (app.config.WEB_AUTH_TOKEN)
        process.stdout.write(
          'WEB_AUTH_TOKEN is set: open the page once with ?token=<WEB_AUTH_TOKEN> (or send Authorization: Bearer)\n',
        );
      process.stdout.write('queues: ' + new URL('queues', server.url).href + '\n(Ctrl-C to stop)\n');
      const running = server;
      const runningHooks = hooks;
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void Promise.all([running.close(), runningHooks?.close()])
            .then(() => app.close())
            .finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
