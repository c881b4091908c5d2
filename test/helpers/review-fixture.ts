// What the review-server tests share: an app on an embedded test database with its own queue
// prefix and no real providers, a user (Sam, UTC) with one Google account and its primary calendar.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createApp, type App } from '../../worker/app.ts';
import { parseConfig } from '../../worker/config.ts';
import type { NeutralAttendee } from '../../integrations/provider.ts';
import type { TestDb } from './db.ts';

export function person(email: string, name: string, extra: Partial<NeutralAttendee> = {}): NeutralAttendee {
  return { email, name, self: false, organizer: false, resource: false, response: 'accepted', ...extra };
}

/** The app with `providers` standing in for the provider factory (the tests make it throw). */
export function createReviewApp(
  db: TestDb,
  queuePrefix: string,
  providers: () => Promise<never>,
): Promise<App> {
  const config = parseConfig({
    REDIS_URL: process.env.REDIS_URL,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `${queuePrefix}-${randomBytes(4).toString('hex')}`,
  });
  return createApp({ config, db, log: pino({ level: 'silent' }), providers });
}

/** Sam Rivera (UTC), sam@example.com on Google, and the primary calendar (with `calendar` extras). */
export async function addSam(
  app: App,
  calendar: { watchChannelId?: string; watchToken?: string; watchResourceId?: string } = {},
) {
  const user = await app.prisma.user.create({ data: { name: 'Sam Rivera', timeZone: 'UTC' } });
  const account = await app.prisma.account.create({
    data: {
      userId: user.id,
      provider: 'google',
      email: 'sam@example.com',
      refreshTokenEnc: 'x',
      tokenKeyId: 'k1',
      scopes: [],
      timeZone: 'UTC',
    },
    include: { user: true },
  });
  const cal = await app.prisma.calendar.create({
    data: {
      accountId: account.id,
      providerCalendarId: 'primary',
      name: 'Sam',
      primary: true,
      selected: true,
      timeZone: 'UTC',
      ...calendar,
    },
  });
  return { user, account, calendar: cal };
}
