// Before the worker runs: the OAuth client settings each connected provider needs. Without them
// the real token endpoints refuse every refresh and every job would fail (bad_request) forever,
// so `worker` and `run` refuse to start, naming the variable.
import type { App } from '../app.ts';
import { credentialsProblems } from '../providers.ts';

export async function refuseWithoutCredentials(app: App): Promise<void> {
  const kinds = await app.prisma.account.findMany({ distinct: ['provider'], select: { provider: true } });
  const problems = credentialsProblems(
    app.config,
    kinds.map((k) => k.provider),
  );
  if (problems.length > 0) throw new Error(problems[0]);
}
