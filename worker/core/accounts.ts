// Connecting and removing accounts. A refresh token is checked by using it before anything is
// stored; it is stored encrypted. Each person is a tenant: a new mailbox creates its own user
// unless it is attached to an existing one (a work Outlook beside a Gmail).
import type { App } from '../app.ts';
import type { Account, Provider } from '../db/generated/client.ts';
import { accountAad, seal } from '../crypto.ts';
import { activeKey } from '../token-keys.ts';
import { validateRefreshToken } from '../providers.ts';
import { scheduleAccount, unscheduleAccount } from '../queues/account-schedulers.ts';
import { scheduleJob } from '../queues/schedule-job.ts';
import { requestChatPlan, requestContactPlan } from './request-plan.ts';
import { closeChannel } from './push-channels.ts';

export interface AddAccountInput {
  provider: Provider;
  refreshToken: string;
  /** When given, must match the mailbox the token belongs to. */
  email?: string;
  userId?: string;
  /** The person's name for a new user (signatures), when the provider does not say. */
  name?: string;
}

export async function addAccount(app: App, input: AddAccountInput) {
  const key = activeKey(app.config);
  if (input.userId) {
    const user = await app.prisma.user.findUnique({ where: { id: input.userId } });
    if (!user) throw new Error(`no user with id ${input.userId} (see: coffee-chat accounts list)`);
  }
  const checked = await validateRefreshToken(input.provider, input.refreshToken, app.config);
  const email = checked.profile.email.toLowerCase();
  if (input.email && input.email.toLowerCase() !== email) {
    throw new Error(`that token belongs to ${email}, not ${input.email}`);
  }
  const sealed = seal(checked.refreshToken, key, accountAad(input.provider, email));
  const existing = await app.prisma.account.findUnique({
    where: { provider_email: { provider: input.provider, email } },
  });
  // What the provider granted (checked to cover what the worker needs), not what was asked.
  const scopes = checked.grantedScopes;
  let account;
  if (existing) {
    account = await app.prisma.account.update({
      where: { id: existing.id },
      data: {
        refreshTokenEnc: sealed.data,
        tokenKeyId: sealed.keyId,
        grantedAt: app.now(),
        status: 'active',
        lastError: null,
        lastErrorAt: null,
        rateLimitedUntil: null,
        timeZone: checked.profile.timeZone,
        scopes,
      },
    });
  } else {
    const userId =
      input.userId ??
      (
        await app.prisma.user.create({
          data: { name: input.name ?? checked.profile.name ?? email, timeZone: checked.profile.timeZone },
        })
      ).id;
    account = await app.prisma.account.create({
      data: {
        userId,
        provider: input.provider,
        email,
        displayName: checked.profile.name ?? input.name ?? null,
        refreshTokenEnc: sealed.data,
        tokenKeyId: sealed.keyId,
        scopes,
        timeZone: checked.profile.timeZone,
      },
    });
  }
  await scheduleAccount(app, account.id);
  const now = app.now();
  await scheduleJob(
    app.queues,
    'sync-account',
    { accountId: account.id, reason: 'connect' },
    { jobId: `sync-now-${account.id}-${now.getTime()}`, dueAt: now, now },
  );
  if (existing) {
    // Reconnected: whatever waited on the account is planned again.
    const chats = await app.prisma.chat.findMany({
      where: { accountId: account.id, status: { not: 'cancelled' } },
      select: { id: true },
    });
    for (const c of chats) {
      await requestChatPlan(app, c.id);
    }
    // And its contacts' check-ins: a step that fell due while the account was unusable was
    // skipped (no active mailbox) and nothing else would plan it again.
    const plans = await app.prisma.checkInPlan.findMany({
      where: { status: 'active', contact: { userId: account.userId } },
      select: { contactId: true },
    });
    for (const p of plans) {
      await requestContactPlan(app, p.contactId);
    }
  }
  return { account, reconnected: Boolean(existing), profile: checked.profile };
}

export async function removeAccount(app: App, email: string) {
  const accounts = await app.prisma.account.findMany({ where: { email: email.toLowerCase() } });
  if (accounts.length === 0) throw new Error(`no account ${email}`);
  for (const a of accounts) {
    await unscheduleAccount(app, a.id);
    await closePushChannels(app, a);
    await app.prisma.account.delete({ where: { id: a.id } });
  }
  return accounts.length;
}

/** Stops the account's push channels on the way out (best effort: they also expire by themselves). */
async function closePushChannels(app: App, account: Account): Promise<void> {
  const calendars = await app.prisma.calendar.findMany({
    where: { accountId: account.id, watchChannelId: { not: null } },
  });
  if (calendars.length === 0 || account.status !== 'active') return;
  try {
    const { calendar } = await app.providers(account);
    for (const cal of calendars) await closeChannel(app, calendar, cal, app.log);
  } catch (err) {
    app.log.warn(
      { account: account.email, err: err instanceof Error ? err.message : String(err) },
      'could not stop push channels (they will expire)',
    );
  }
}
