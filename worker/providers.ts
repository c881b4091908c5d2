// The provider registry: the only file in worker/ that knows which integrations exist. Everything
// that differs by provider is asked of its ProviderModule here (clients, token check, consent,
// scopes, label). The factory decrypts an account's refresh token, persists rotated ones
// (encrypted) and hands the core the provider-neutral clients.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Account, PrismaClient } from './db/generated/client.ts';
import { TokenDecryptError } from './crypto.ts';
import { openStoredToken, sealAccountToken, unreadableTokenError } from './token-keys.ts';
import type {
  AccountProfile,
  ProviderClients,
  ProviderEndpoints,
  ProviderKind,
  ProviderModule,
} from '../integrations/provider.ts';
import { googleProvider } from '../integrations/google/index.ts';
import { microsoftProvider } from '../integrations/microsoft/index.ts';

/** Every provider the worker can connect, by the name stored on the account. */
export const PROVIDERS: Readonly<Record<ProviderKind, ProviderModule>> = {
  google: googleProvider,
  microsoft: microsoftProvider,
};

export const PROVIDER_KINDS = Object.keys(PROVIDERS) as ProviderKind[];

export function providerModule(kind: ProviderKind | string): ProviderModule {
  const m = PROVIDERS[kind as ProviderKind];
  if (!m) throw new Error(`unknown provider ${kind} (known: ${PROVIDER_KINDS.join(', ')})`);
  return m;
}

/** Builds provider clients for an account (decrypts its token, persists rotated ones). */
export type ProviderFactory = (account: Account) => Promise<ProviderClients>;

export function endpointsFrom(config: Config): ProviderEndpoints {
  return {
    googleApiRootUrl: config.GOOGLE_API_ROOT_URL,
    googleTokenUrl: config.GOOGLE_TOKEN_URL,
    googleAuthUrl: config.GOOGLE_AUTH_URL,
    googleClientId: config.GOOGLE_CLIENT_ID,
    googleClientSecret: config.GOOGLE_CLIENT_SECRET,
    microsoftGraphBaseUrl: config.MICROSOFT_GRAPH_BASE_URL,
    microsoftTokenUrl: config.MICROSOFT_TOKEN_URL,
    microsoftAuthUrl: config.MICROSOFT_AUTH_URL,
    microsoftClientId: config.MICROSOFT_CLIENT_ID,
    microsoftClientSecret: config.MICROSOFT_CLIENT_SECRET,
  };
}

/** Provider clients kept warm, least recently used dropped first (about 5 KB each). */
export const CLIENT_CACHE_SIZE = 500;
/**
 * Access tokens kept per account beyond the clients (about 0.3 KB each, in this process only): an
 * installation syncing 10,000 accounts through 500 warm clients would otherwise refresh a token,
 * one more HTTP call, on nearly every sync (an access token lives an hour; a sync comes every few
 * minutes).
 */
export const ACCESS_TOKEN_CACHE_SIZE = 50_000;
/** A kept access token this close to its expiry is not handed on (the SDKs refresh 5 min ahead). */
const TOKEN_MARGIN_MS = 6 * 60_000;

export interface ProviderFactoryOptions {
  /** Counts provider calls per account (benchmark). */
  onCall?: (accountEmail: string, endpoint: string, provider: ProviderKind) => void;
  /** Warm clients kept (default CLIENT_CACHE_SIZE; tests use fewer). */
  clientCacheSize?: number;
}

export function createProviderFactory(
  prisma: PrismaClient,
  config: Config,
  log: Logger,
  opts: ProviderFactoryOptions = {},
): ProviderFactory {
  const endpoints = endpointsFrom(config);
  // Clients hold access tokens; keep one per account while its grant is the same (a reconnect is a
  // new grant), for the most recently used accounts only (an installation may serve thousands).
  // Not while its refresh token is the same: Microsoft rotates it at every refresh, so with several
  // worker processes each one's refresh made every other process's client look stale, and each
  // job refreshed again (the soak counted 563 token requests for 5 accounts in 4 minutes). A
  // client holding an older refresh token of the same grant is fine: rotation does not revoke the
  // previous one (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens).
  const cache = new Map<string, { grant: number; clients: ProviderClients }>();
  const cacheSize = opts.clientCacheSize ?? CLIENT_CACHE_SIZE;
  const remember = (id: string, entry: { grant: number; clients: ProviderClients }) => {
    cache.delete(id);
    cache.set(id, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  };
  // Keyed by account and bound to its grant: a reconnected account starts afresh.
  const tokens = new Map<string, { grant: number; token: string; expiresAt: number }>();
  const keptToken = (id: string, grant: number) => {
    const t = tokens.get(id);
    return t && t.grant === grant && t.expiresAt - Date.now() > TOKEN_MARGIN_MS
      ? { token: t.token, expiresAt: t.expiresAt }
      : undefined;
  };
  const keepToken = (id: string, grant: number, token: string, expiresAt: number) => {
    tokens.delete(id);
    tokens.set(id, { grant, token, expiresAt });
    if (tokens.size > ACCESS_TOKEN_CACHE_SIZE) tokens.delete(tokens.keys().next().value!);
  };
  return async (account: Account): Promise<ProviderClients> => {
    const grant = account.grantedAt.getTime();
    const hit = cache.get(account.id);
    if (hit && hit.grant === grant) {
      remember(account.id, hit);
      return hit.clients;
    }
    let opened: { token: string; stale: boolean };
    try {
      opened = openStoredToken(config, account);
    } catch (err) {
      if (!(err instanceof TokenDecryptError)) throw err;
      // Shown on the account (status, review page) instead of an account that looks fine.
      const lastError = unreadableTokenError(config, account.tokenKeyId, err.message);
      await prisma.account.update({
        where: { id: account.id },
        data: { lastError, lastErrorAt: new Date() },
      });
      throw new TokenDecryptError(`${account.email}: ${lastError}`);
    }
    const refreshToken = opened.token;
    if (opened.stale) {
      // Sealed with a previous key, or before tokens were bound to their account: store it sealed
      // with the active key, bound (only if the row still holds it: a rotation in between wins).
      const sealed = sealAccountToken(config, account, refreshToken);
      await prisma.account.updateMany({
        where: { id: account.id, refreshTokenEnc: account.refreshTokenEnc },
        data: { refreshTokenEnc: sealed.data, tokenKeyId: sealed.keyId },
      });
      log.info(
        { account: account.email, from: account.tokenKeyId, to: sealed.keyId },
        'token sealed again with the active key',
      );
    }
    const creds = {
      provider: account.provider as ProviderKind,
      email: account.email,
      refreshToken,
      onRefreshTokenRotated: async (newToken: string) => {
        const sealed = sealAccountToken(config, account, newToken);
        // Only into the grant it came from: a session older than a reconnect keeps its token to itself.
        await prisma.account.updateMany({
          where: { id: account.id, grantedAt: account.grantedAt },
          data: { refreshTokenEnc: sealed.data, tokenKeyId: sealed.keyId },
        });
        log.debug({ account: account.email }, 'stored rotated refresh token');
      },
      onCall: opts.onCall
        ? (endpoint: string) => opts.onCall!(account.email, endpoint, account.provider as ProviderKind)
        : undefined,
      accessToken: keptToken(account.id, grant),
      // Bound to this session's grant (a session older than a reconnect must not hand its token
      // to the new grant's sessions).
      onAccessToken: (token: string, expiresAt: number) => keepToken(account.id, grant, token, expiresAt),
    };
    const clients = providerModule(account.provider).createClients(creds, endpoints);
    remember(account.id, { grant, clients });
    return clients;
  };
}

/** Checks a refresh token by using it: refresh, then read the profile and the time zone. */
export async function validateRefreshToken(
  provider: ProviderKind,
  refreshToken: string,
  config: Config,
): Promise<{ profile: AccountProfile; refreshToken: string; grantedScopes: string[] }> {
  return providerModule(provider).validateRefreshToken(refreshToken, endpointsFrom(config));
}

/**
 * The client credentials missing for providers that have accounts (one line each, naming the
 * variable): against the real endpoints every token refresh of those accounts would be refused.
 */
export function credentialsProblems(config: Config, kinds: Iterable<ProviderKind>): string[] {
  const endpoints = endpointsFrom(config);
  const out: string[] = [];
  for (const kind of new Set(kinds)) {
    const problem = providerModule(kind).credentialsProblem(endpoints);
    if (problem) out.push(problem);
  }
  return out;
}
