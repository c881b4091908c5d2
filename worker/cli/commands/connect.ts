// `coffee-chat accounts connect google|microsoft`: the OAuth consent for installed apps. A one-shot
// loopback listener (any free port) receives the redirect: http://127.0.0.1:PORT/ for Google,
// http://localhost:PORT for Microsoft (the host Entra has registered), the code is exchanged with
// the PKCE verifier, the granted scopes are checked, and the refresh token goes through the same
// `addAccount` as `accounts add` (checked by using it, stored encrypted with the granted scopes,
// first sync queued).
// https://developers.google.com/identity/protocols/oauth2/native-app
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
import { spawn } from 'node:child_process';
import { Argument, Command } from 'commander';
import { config as loadConfig, type Config } from '../../config.ts';
import { addAccount } from '../../core/accounts.ts';
import { endpointsFrom, PROVIDER_KINDS, providerModule } from '../../providers.ts';
import { activeKey } from '../../token-keys.ts';
import type { ConsentInProgress, ProviderKind } from '../../../integrations/provider.ts';
import { parsePort, parsePositiveNumber } from '../parse.ts';
import { printJson, withApp } from '../with-app.ts';

interface ConnectOptions {
  email?: string;
  user?: string;
  name?: string;
  timeout: number;
  port: number;
  open?: boolean;
  json?: boolean;
}

export function registerConnect(accounts: Command): void {
  accounts
    .command('connect')
    .description(
      'connect an account in your browser (OAuth consent, loopback redirect + PKCE); the refresh token is stored encrypted',
    )
    .addArgument(new Argument('<provider>', PROVIDER_KINDS.join(' or ')).choices(PROVIDER_KINDS))
    .option('--email <address>', 'the account to sign in as (passed as a login hint, and checked)')
    .option('--user <id>', 'attach to an existing user (for example a work Outlook beside a Gmail)')
    .option('--name <name>', 'your name, for signatures (when the provider does not give it)')
    .option('--timeout <seconds>', 'how long to wait for the browser', parsePositiveNumber, 300)
    .option('--port <n>', 'loopback port for the redirect (0: any free one)', parsePort, 0)
    .option('--open', 'also try to open the URL in your default browser')
    .option('--json', 'print the result as JSON (instructions go to stderr)')
    .action(async (provider: ProviderKind, opts: ConnectOptions) => {
      await connect(provider, opts);
    });
}

/**
 * Problems that would only surface after the user went through the consent screen: no encryption
 * key, no client id, or (Google) no client secret for the token endpoint.
 */
function preflight(provider: ProviderKind, config: Config): void {
  activeKey(config); // TOKEN_ENCRYPTION_KEY: one line from MissingKeyError
  const problem = providerModule(provider).consentProblem(endpointsFrom(config));
  if (problem) throw new Error(problem);
}

async function connect(provider: ProviderKind, opts: ConnectOptions): Promise<void> {
  const config = loadConfig();
  preflight(provider, config);
  if (opts.user) {
    // Checked before the browser round trip rather than after it (addAccount checks again).
    const userId = opts.user;
    await withApp(
      async (app) => {
        if (!(await app.prisma.user.findUnique({ where: { id: userId }, select: { id: true } }))) {
          throw new Error(`no user with id ${userId} (see: coffee-chat accounts list)`);
        }
      },
      { needsRedis: false },
    );
  }

  const endpoints = endpointsFrom(config);
  const timeoutMs = Math.round(opts.timeout * 1000);
  const common = { endpoints, loginHint: opts.email, port: opts.port, timeoutMs };
  const chosen = providerModule(provider);
  let consent: ConsentInProgress;
  try {
    consent = await chosen.startConsent(common);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new Error(
        `port ${opts.port} on the loopback interface is in use: pick another with --port, or 0 for any free one`,
      );
    throw e;
  }
  // Google's result promise rejects on timeout even if nobody awaits yet; we await it below.
  consent.result.catch(() => undefined);

  const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
  const stopOnSignal = () => {
    consent.close();
    process.stderr.write('coffee-chat: sign-in cancelled\n');
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  let refreshToken: string;
  try {
    say(`To connect ${chosen.label}, open this URL in a browser on this machine and approve access:`);
    say(`  ${consent.url}`);
    say(
      `Waiting up to ${formatSeconds(opts.timeout)} for the browser to come back to ${consent.redirectUri} (Ctrl-C to cancel)…`,
    );
    if (opts.open) openBrowser(consent.url, say);
    ({ refreshToken } = await consent.result);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    throw new Error(
      `${chosen.label} sign-in failed: ${/timed out/.test(msg) ? `timed out after ${formatSeconds(opts.timeout)} waiting for the browser (--timeout)` : msg}`,
    );
  } finally {
    consent.close();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }

  await withApp(async (app) => {
    const r = await addAccount(app, {
      provider,
      refreshToken,
      email: opts.email,
      userId: opts.user,
      name: opts.name,
    });
    if (opts.json) {
      return printJson({
        id: r.account.id,
        userId: r.account.userId,
        email: r.account.email,
        provider: r.account.provider,
        timeZone: r.profile.timeZone,
        reconnected: r.reconnected,
      });
    }
    process.stdout.write(
      `${r.reconnected ? 'reconnected' : 'connected'} ${r.account.provider} account ${r.account.email} (time zone ${r.profile.timeZone}, user ${r.account.userId}); first sync queued\n`,
    );
  });
}

function formatSeconds(s: number): string {
  return s >= 120 && s % 60 === 0 ? `${s / 60} minutes` : `${s} s`;
}

/** Best effort: the URL is printed anyway, so a missing opener is only a hint. */
function openBrowser(url: string, say: (s: string) => void): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e) => say(`(could not open a browser: ${e.message}; open the URL above yourself)`));
    child.unref();
  } catch (e) {
    say(`(could not open a browser: ${(e as Error).message}; open the URL above yourself)`);
  }
}
