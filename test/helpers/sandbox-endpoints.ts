// Provider endpoints pointing at a sandbox, built by the same code production uses
// (configuration → endpointsFrom), and a helper to catch the ProviderError a call rejects with.
import { parseConfig } from '../../worker/config.ts';
import { endpointsFrom } from '../../worker/providers.ts';
import { ProviderError, type ProviderEndpoints } from '../../integrations/provider.ts';
import type { Sandbox } from '../../sandbox/server.ts';

export function sandboxEndpoints(sandbox: Sandbox): ProviderEndpoints {
  return endpointsFrom(
    parseConfig({
      ...sandbox.env,
      GOOGLE_CLIENT_ID: 'sandbox-client',
      GOOGLE_CLIENT_SECRET: 'sandbox-secret',
    }),
  );
}

export async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}
