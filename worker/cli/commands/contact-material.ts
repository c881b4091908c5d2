// `contacts share` and `contacts update`: substance for the next check-in (core/check-in-material.ts).
import type { Command } from 'commander';
import { queueMaterial } from '../../core/check-in-material.ts';
import { printJson, withApp } from '../with-app.ts';

function done(email: string, what: string, r: { refreshing: boolean }): string {
  return r.refreshing
    ? `${email}: ${what}; the check-in waiting in your mailbox is being updated (unless you edited it)\n`
    : `${email}: ${what} for the next check-in\n`;
}

export function registerContactMaterial(contacts: Command): void {
  contacts
    .command('share')
    .description("queue an article they'd value for the next check-in")
    .argument('<email>', 'contact address')
    .requiredOption('--url <url>', 'the article (http or https)')
    .option('--note <text>', 'why they\'d value it, e.g. "it covers the migration you described"')
    .option('--json', 'print what was queued as JSON')
    .action(async (email: string, opts: { url: string; note?: string; json?: boolean }) => {
      await withApp(async (app) => {
        const r = await queueMaterial(app, email, { kind: 'article', url: opts.url, note: opts.note });
        if (opts.json) return printJson(r);
        process.stdout.write(done(email, `article queued (${r.url})`, r));
      });
    });
  contacts
    .command('update')
    .description('queue what you did with their advice for the next check-in')
    .argument('<email>', 'contact address')
    .argument('<text>', 'in your words, e.g. "I talked to the platform team before applying"')
    .option('--json', 'print what was queued as JSON')
    .action(async (email: string, text: string, opts: { json?: boolean }) => {
      await withApp(async (app) => {
        const r = await queueMaterial(app, email, { kind: 'update', text });
        if (opts.json) return printJson(r);
        process.stdout.write(done(email, 'update queued', r));
      });
    });
}
