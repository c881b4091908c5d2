import type { Command } from 'commander';
import { parsePort } from '../parse.ts';
import { startSandbox } from '../../../sandbox/server.ts';

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run the local provider sandbox (Google OAuth/Calendar/Gmail and Microsoft identity/Graph) for tests and demos',
    )
    .option('--port <n>', 'port (0: any free one)', parsePort, 4010)
    .action(async (opts: { port: number }) => {
      const sb = await startSandbox({ port: opts.port });
      process.stdout.write(`provider sandbox listening on ${sb.url} (Graph over ${sb.httpsUrl})\n`);
      process.stdout.write(`point coffee-chat at it with:\n`);
      for (const [k, v] of Object.entries(sb.env)) process.stdout.write(`  export ${k}=${v}\n`);
      process.stdout.write(`  export NODE_EXTRA_CA_CERTS=${sb.certPath}\n`);
      process.stdout.write(`admin API: ${sb.url}/__admin (see sandbox/README.md)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void sb.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
