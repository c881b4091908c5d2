// Before the worker runs: the OAuth client settings each connected provider needs. Without them
// the real token endpoints refuse every refresh and every job would fail (bad_request) forever,
// so `worker` and `run` refuse to start, naming the variable. Likewise when a stored token opens
// with no configured key.
import type { App } from '../app.ts';
import { credentialsProblems } from '../providers.ts';
import { checkStoredTokens, unreadableTokensLine } from '../core/token-reseal.ts';

export async function refuseWithoutCredentials(app: App): Promise<void> {
  const kinds = await app.prisma.account.findMany({ distinct: ['provider'], select: { provider: true } });
  const problems = credentialsProblems(
    app.config,
    kinds.map((k) => k.provider),
  );
  if (problems.length > 0) throw new Error(problems[0]);
  // A token no configured key opens (a rotation without TOKEN_ENCRYPTION_PREVIOUS_KEYS) would fail
  // every job of its account while the account looks fine: refuse to start, naming it.
  const tokens = await checkStoredTokens(app);
  if (tokens.unreadable.length > 0) throw new Error(unreadableTokensLine(tokens.unreadable));
}
