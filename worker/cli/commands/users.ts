import type { Command } from 'commander';
import Table from 'cli-table3';
import { issueUserToken, revokeUserTokens } from '../../core/web-tokens.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('list the users (each with their accounts); give one a review-page token')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const rows = await app.prisma.user.findMany({
            include: {
              accounts: { select: { email: true, provider: true } },
              webTokens: { select: { createdAt: true } },
            },
            orderBy: { createdAt: 'asc' },
          });
          const out = rows.map((u) => ({
            id: u.id,
            name: u.name,
            timeZone: u.timeZone,
            accounts: u.accounts.map((a) => `${a.provider}:${a.email}`),
            webToken: u.webTokens[0]?.createdAt.toISOString() ?? null,
          }));
          if (opts.json) return printJson(out);
          const t = new Table({ head: ['id', 'name', 'accounts', 'review-page token'] });
          for (const u of out)
            t.push([u.id, u.name, u.accounts.join('\n'), u.webToken ? `since ${u.webToken}` : '']);
          process.stdout.write(`${t.toString()}\n`);
        },
        { needsRedis: false },
      );
    });
  users
    .command('token')
    .description(
      "a review-page token for one user: it shows that user's data only (replaces their earlier one)",
    )
    .argument('<user>', 'user id, or one of their account addresses')
    .action(async (ref: string) => {
      await withApp(
        async (app) => {
          const { token, user } = await issueUserToken(app, ref);
          process.stderr.write(
            `review-page token for ${user.name} (${user.id}); it is shown this once and replaces any earlier one:\n`,
          );
          process.stdout.write(`${token}\n`);
        },
        { needsRedis: false },
      );
    });
  users
    .command('revoke')
    .description("remove a user's review-page token (their sign-ins end)")
    .argument('<user>', 'user id, or one of their account addresses')
    .action(async (ref: string) => {
      await withApp(
        async (app) => {
          const { user, count } = await revokeUserTokens(app, ref);
          process.stdout.write(`${user.name} (${user.id}): ${count ? 'token removed' : 'had no token'}\n`);
        },
        { needsRedis: false },
      );
    });
}
