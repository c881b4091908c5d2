import type { Command } from 'commander';
import { syncAccount } from '../../jobs/sync-account.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync calendars now (all active accounts, or one) and plan what changed')
    .option('--account <address>', 'only this account')
    .option('--json', 'print as JSON')
    .action(async (opts: { account?: string; json?: boolean }) => {
      await withApp(async (app) => {
        const accounts = await app.prisma.account.findMany({
          where: { status: 'active', ...(opts.account ? { email: opts.account.toLowerCase() } : {}) },
        });
        if (opts.account && accounts.length === 0) throw new Error(`no active account ${opts.account}`);
        const results = [];
        for (const a of accounts) results.push(await syncAccount(app, a.id));
        if (opts.json) return printJson(results);
        for (const r of results) {
          process.stdout.write(
            `${r.account}: ${r.calendars} calendar(s), ${r.events} event change(s), ${r.chats} chat(s)${r.fullSyncs ? `, ${r.fullSyncs} full sync(s)` : ''}\n`,
          );
        }
      });
    });
}
