// `coffee-chat doctor`: one line per check (✓ right, ✗ wrong with the fix); exit 1 when any is wrong.
import type { Command } from 'commander';
import { createApp, type App } from '../../app.ts';
import { ConfigError } from '../../config.ts';
import {
  checkClock,
  checkProviderSettings,
  checkPush,
  checkRedis,
  checkTokens,
  type Finding,
} from '../doctor-checks.ts';
import { printJson } from '../with-app.ts';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check configuration, database, Redis (AOF, noeviction), stored tokens against the key, provider settings, clock skew and push reachability; one line per problem with the fix',
    )
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { json?: boolean }) => {
      const findings: Finding[] = [];
      let app: App | undefined;
      try {
        app = await createApp();
        findings.push({
          ok: true,
          topic: 'database',
          line: `${app.db.kind} at ${app.db.location}, migrations current`,
        });
      } catch (err) {
        // A bad variable is printed by the command line, one line per variable.
        if (err instanceof ConfigError) throw err;
        findings.push({
          ok: false,
          topic: 'database',
          line: err instanceof Error ? err.message.split('\n')[0]! : String(err),
        });
      }
      if (app) {
        try {
          for (const check of [checkRedis, checkTokens, checkProviderSettings, checkClock, checkPush]) {
            // One check that breaks does not hide the others' findings.
            try {
              findings.push(...(await check(app)));
            } catch (err) {
              const line = err instanceof Error ? err.message.split('\n')[0]! : String(err);
              findings.push({ ok: false, topic: check.name.replace(/^check/, '').toLowerCase(), line });
            }
          }
        } finally {
          await app.close();
        }
      }
      if (opts.json) printJson(findings);
      else for (const f of findings) process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.topic}: ${f.line}\n`);
      const problems = findings.filter((f) => !f.ok).length;
      if (!opts.json)
        process.stdout.write(
          problems ? `${problems} problem${problems === 1 ? '' : 's'} found\n` : 'all good\n',
        );
      process.exitCode = problems ? 1 : 0;
    });
}
