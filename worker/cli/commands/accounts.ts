import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { addAccount, removeAccount } from '../../core/accounts.ts';
import { resealTokens, unreadableTokensLine } from '../../core/token-reseal.ts';
import { readRefreshToken } from '../secret-input.ts';
import { PROVIDER_KINDS } from '../../providers.ts';
import type { ProviderKind } from '../../../integrations/provider.ts';
import { printJson, withApp } from '../with-app.ts';
import { registerConnect } from './connect.ts';

export function registerAccounts(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('connect, list and remove Google and Microsoft 365 accounts');
  registerConnect(accounts);

  accounts
    .command('add')
    .description(
      'add an account from a refresh token (headless setups): --refresh-token - reads it from standard input, --refresh-token-file PATH from a 0600 file; it is checked by using it',
    )
    .addOption(
      new Option('--provider <provider>', PROVIDER_KINDS.join(' or '))
        .choices(PROVIDER_KINDS)
        .makeOptionMandatory(),
    )
    .option(
      '--refresh-token <->',
      'read the OAuth refresh token from standard input (only "-" is accepted: a token on the command line shows in ps and shell history)',
    )
    .option(
      '--refresh-token-file <path>',
      'read the OAuth refresh token from a file only you can read (mode 0600)',
    )
    .option('--email <address>', 'the mailbox the token belongs to (checked)')
    .option('--user <id>', 'attach to an existing user (for example a work Outlook beside a Gmail)')
    .option('--name <name>', 'your name, for signatures (when the provider does not give it)')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        provider: ProviderKind;
        refreshToken?: string;
        refreshTokenFile?: string;
        email?: string;
        user?: string;
        name?: string;
        json?: boolean;
      }) => {
        // Before anything opens: a refused token source changes nothing.
        const refreshToken = await readRefreshToken(opts);
        await withApp(async (app) => {
          const r = await addAccount(app, {
            provider: opts.provider,
            refreshToken,
            email: opts.email,
            userId: opts.user,
            name: opts.name,
          });
          if (opts.json)
            return printJson({
              id: r.account.id,
              userId: r.account.userId,
              email: r.account.email,
              provider: r.account.provider,
              timeZone: r.profile.timeZone,
              reconnected: r.reconnected,
            });
          process.stdout.write(
            `${r.reconnected ? 'reconnected' : 'added'} ${r.account.provider} account ${r.account.email} (time zone ${r.profile.timeZone}, user ${r.account.userId}); first sync queued\n`,
          );
        });
      },
    );

  accounts
    .command('list')
    .description('list accounts and their sync state')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const rows = await app.prisma.account.findMany({ orderBy: { createdAt: 'asc' } });
          const out = rows.map((a) => ({
            id: a.id,
            userId: a.userId,
            email: a.email,
            provider: a.provider,
            status: a.status,
            scopes: a.scopes,
            lastSyncAt: a.lastSyncAt?.toISOString() ?? null,
            lastError: a.lastError,
          }));
          if (opts.json) return printJson(out);
          if (out.length === 0)
            return void process.stdout.write('no accounts yet: coffee-chat accounts add --help\n');
          const t = new Table({ head: ['email', 'provider', 'status', 'last sync', 'user', 'last error'] });
          for (const a of out)
            t.push([a.email, a.provider, a.status, a.lastSyncAt ?? 'never', a.userId, a.lastError ?? '']);
          process.stdout.write(`${t.toString()}\n`);
        },
        { needsRedis: false },
      );
    });

  accounts
    .command('reseal')
    .description(
      'after a key rotation: seal every stored refresh token made with a key of TOKEN_ENCRYPTION_PREVIOUS_KEYS again with TOKEN_ENCRYPTION_KEY (then the old key can go)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const r = await resealTokens(app);
          if (opts.json) printJson(r);
          else
            process.stdout.write(
              `${r.resealed} token${r.resealed === 1 ? '' : 's'} sealed again with key "${app.config.TOKEN_ENCRYPTION_KEY_ID}", ${r.current} already sealed with it\n`,
            );
          if (r.unreadable.length > 0) {
            process.stderr.write(`${unreadableTokensLine(r.unreadable)}\n`);
            process.exitCode = 1;
          }
        },
        { needsRedis: false },
      );
    });

  accounts
    .command('remove')
    .description('remove an account and everything synced from it (drafts already in the mailbox stay)')
    .argument('<email>', 'the account address')
    .action(async (email: string) => {
      await withApp(async (app) => {
        const n = await removeAccount(app, email);
        process.stdout.write(`removed ${n} account${n === 1 ? '' : 's'} ${email}\n`);
      });
    });
}
