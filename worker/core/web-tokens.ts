// Review-page tokens, one per user: `coffee-chat users token USER` prints a new one once and keeps
// only its SHA-256 (a random 32-byte token needs no slow hash: nothing can be guessed from it). A
// new token replaces the user's previous one, which stops working at once, sessions included.
import { createHash, randomBytes } from 'node:crypto';
import type { App } from '../app.ts';
import type { PrismaClient } from '../db/generated/client.ts';

/** Tokens of users start with this, so a leaked one is recognisable (and never taken for WEB_AUTH_TOKEN). */
export const USER_TOKEN_PREFIX = 'ccu_';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A user by id, or by one of their accounts' addresses; one line when there is none. */
export async function findUser(prisma: PrismaClient, ref: string) {
  const byId = await prisma.user.findUnique({ where: { id: ref } });
  if (byId) return byId;
  const accounts = await prisma.account.findMany({
    where: { email: ref.trim().toLowerCase() },
    include: { user: true },
  });
  const users = new Map(accounts.map((a) => [a.userId, a.user]));
  if (users.size === 1) return [...users.values()][0]!;
  if (users.size > 1)
    throw new Error(
      `${ref} is an account of several users (${[...users.keys()].join(', ')}): give the user id`,
    );
  throw new Error(`no user ${ref} (give a user id or an account address; see: coffee-chat users)`);
}

/** Makes a new token for the user (replacing any earlier one) and returns it: shown once, never stored. */
export async function issueUserToken(app: App, userRef: string) {
  const user = await findUser(app.prisma, userRef);
  const token = `${USER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  await app.prisma.$transaction([
    app.prisma.webToken.deleteMany({ where: { userId: user.id } }),
    app.prisma.webToken.create({ data: { userId: user.id, tokenHash: tokenHash(token) } }),
  ]);
  return { token, user };
}

/** Removes the user's token: their sign-ins end. Returns how many there were. */
export async function revokeUserTokens(app: App, userRef: string) {
  const user = await findUser(app.prisma, userRef);
  const { count } = await app.prisma.webToken.deleteMany({ where: { userId: user.id } });
  return { user, count };
}

/** The token's row, or null. */
export async function userToken(prisma: PrismaClient, token: string) {
  if (!token.startsWith(USER_TOKEN_PREFIX)) return null;
  return prisma.webToken.findUnique({
    where: { tokenHash: tokenHash(token) },
    select: { id: true, userId: true },
  });
}
