// The coffee-chat command line. Each command lives in its own file under commands/ and is thin:
// parse, call, print. Errors surface as one line on stderr and a non-zero exit.
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('coffee-chat')
    .description(
      'Coffee-chat worker: detects coffee chats on your calendars and prepares every email as a draft for you to review.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument, --help).
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      for (const line of err.lines) process.stderr.write(`config: ${line}\n`);
      return 78;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`coffee-chat: ${msg.split('\n')[0]}\n`);
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await runCli(process.argv));
}
