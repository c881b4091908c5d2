import type { Command } from 'commander';
import { parseInstant, parsePort, parsePositiveNumber } from '../parse.ts';
import { runDemo } from '../../demo/run-demo.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole playbook locally: embedded database, provider sandbox with two demo users, the real worker and the review page',
    )
    .option('--once', 'exit after the summary (for scripts)')
    .option('--web-port <n>', 'review page port (0: any free one)', parsePort, 8080)
    .option('--timeout <seconds>', 'how long to wait for the expected results', parsePositiveNumber, 100)
    .option(
      '--at <instant>',
      "run the demo's clock from this instant instead of now (e.g. 2027-03-14T06:30:00Z)",
      parseInstant,
    )
    .action(async (opts: { once?: boolean; webPort: number; timeout: number; at?: Date }) => {
      process.exitCode = await runDemo({
        once: Boolean(opts.once),
        webPort: opts.webPort,
        timeoutMs: opts.timeout * 1000,
        at: opts.at,
      });
    });
}
