// `coffee-chat run`: everything one person needs, in one process, for real accounts: the worker,
// the review page (with /healthz, /readyz, /metrics) and, when push is configured, the webhook
// listener. The embedded database is the default (DATA_DIR); without REDIS_URL a local
// redis-server is started as a child, its append-only file kept in DATA_DIR/redis so nothing
// scheduled is lost between runs. Ctrl-C drains in-flight jobs and stops everything.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createApp, type App } from '../../app.ts';
import { resetConfigCache } from '../../config.ts';
import { scheduleJob } from '../../queues/schedule-job.ts';
import { startWorker, type RunningWorker } from '../../runtime.ts';
import { startLocalRedis, type LocalRedis } from '../../services/local-redis.ts';
import { watchForWake } from '../../services/wake-watch.ts';
import { startWebServer, type WebServer } from '../../web/server.ts';
import { startWebhookServer, webhookListen, type WebhookServer } from '../../web/webhook-server.ts';
import { refuseWithoutCredentials } from '../credentials-check.ts';
import { parsePort } from '../parse.ts';

interface RunOptions {
  port: number;
  host: string;
  webhookPort?: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'run coffee-chat for your own accounts: worker + review page in one process (starts a local redis-server unless REDIS_URL is set; Ctrl-C to stop)',
    )
    .option('--port <port>', 'review page port (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to bind; anything but loopback needs WEB_AUTH_TOKEN', '127.0.0.1')
    .option(
      '--webhook-port <port>',
      'webhook listener port (default WEBHOOK_PORT, else 8081 with PUBLIC_WEBHOOK_URL)',
      parsePort,
    )
    .action(async (opts: RunOptions) => {
      const stopAll: (() => Promise<unknown>)[] = [];
      const stop = async () => {
        for (const s of stopAll.reverse()) await s().catch(() => undefined);
      };
      let app: App;
      let worker: RunningWorker;
      let web: WebServer;
      let hooks: WebhookServer | undefined;
      try {
        if (!process.env.REDIS_URL) {
          const dir = resolve(process.env.DATA_DIR ?? './.data', 'redis');
          const redis: LocalRedis = await startLocalRedis({ dir });
          stopAll.push(() => redis.stop());
          process.env.REDIS_URL = redis.url;
          resetConfigCache();
        }
        app = await createApp();
        stopAll.push(() => app.close());
        await refuseWithoutCredentials(app);
        worker = await startWorker(app);
        stopAll.push(() => worker.close());
        web = await startWebServer(app, { port: opts.port, host: opts.host });
        stopAll.push(() => web.close());
        const listen = webhookListen(app.config, opts.webhookPort);
        if (listen) {
          hooks = await startWebhookServer(app, listen);
          stopAll.push(() => hooks!.close());
        }
      } catch (err) {
        await stop();
        throw err;
      }
      const accounts = await app.prisma.account.count();
      const say = (s: string) => process.stdout.write(`${s}\n`);
      say(`coffee-chat is running: review page ${web.url}`);
      if (hooks) say(`webhooks: ${hooks.url}hooks/google and ${hooks.url}hooks/microsoft`);
      if (app.config.WEB_AUTH_TOKEN) say('open the page once with ?token=<WEB_AUTH_TOKEN>');
      say(
        accounts === 0
          ? 'No accounts yet: in another terminal run `npx coffee-chat accounts connect google` (or microsoft); the page shows them as they come.'
          : `${accounts} account${accounts === 1 ? '' : 's'} connected. Every email waits as a draft in your mailbox; nothing is sent.`,
      );
      say(`data: ${join(resolve(app.config.DATA_DIR))} (Ctrl-C to stop)`);

      const stopWake = watchForWake(
        (awayMs) =>
          void syncAllAfterWake(app, awayMs).catch((err: unknown) =>
            // Right after waking the network may not be back: the schedulers catch up anyway.
            app.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sync after wake failed'),
          ),
      );
      await new Promise<void>((done) => {
        let stopping = false;
        const onSignal = (signal: string) => {
          if (stopping) return;
          stopping = true;
          app.log.info({ signal }, 'stopping: draining in-flight jobs');
          stopWake();
          void stop().finally(done);
        };
        process.once('SIGINT', () => onSignal('SIGINT'));
        process.once('SIGTERM', () => onSignal('SIGTERM'));
      });
      say('coffee-chat stopped');
    });
}

/** After a sleep: one sync of every active account now, not at each one's next interval. */
export async function syncAllAfterWake(app: App, awayMs: number): Promise<number> {
  const now = app.now();
  const accounts = await app.prisma.account.findMany({ where: { status: 'active' }, select: { id: true } });
  app.log.info(
    { awayMinutes: Math.round(awayMs / 60_000), accounts: accounts.length },
    'woke up: syncing every account',
  );
  for (const a of accounts)
    await scheduleJob(
      app.queues,
      'sync-account',
      { accountId: a.id, reason: 'wake' },
      { jobId: `wake-${a.id}-${now.getTime()}`, dueAt: now, now },
    );
  return accounts.length;
}
