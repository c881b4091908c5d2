import { Command, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { DateTime } from 'luxon';
import { resumeContact, setContactTimeZone, snoozeContact, stopContact } from '../../core/user-actions.ts';
import { findUser } from '../../core/web-tokens.ts';
import type { App } from '../../app.ts';
import { printJson, withApp } from '../with-app.ts';
import { registerContactMaterial } from './contact-material.ts';

const USER_OPTION = [
  '--user <user>',
  'the user whose contact it is (id or one of their account addresses), when several have it',
] as const;

/** --user as a user id (an account address is looked up). */
async function userIdOf(app: App, ref: string | undefined): Promise<string | undefined> {
  return ref === undefined ? undefined : (await findUser(app.prisma, ref)).id;
}

function parseDate(value: string): Date {
  const d = DateTime.fromISO(value);
  if (!d.isValid) throw new InvalidArgumentError('expected an ISO date such as 2027-01-15');
  return d.toJSDate();
}

export function registerContacts(program: Command): void {
  const contacts = program
    .command('contacts')
    .description('list contacts and their check-in cadence; set time zones; stop or snooze')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const rows = await app.prisma.contact.findMany({
            include: { checkIn: true },
            orderBy: { email: 'asc' },
          });
          const out = rows.map((c) => ({
            email: c.email,
            name: c.name,
            timeZone: c.timeZone,
            timeZoneSource: c.timeZoneSource,
            doNotContact: c.doNotContact,
            lastMailExchangedAt: c.lastMailExchangedAt?.toISOString() ?? null,
            checkIn: c.checkIn
              ? {
                  status: c.checkIn.status,
                  step: c.checkIn.step,
                  nextAt: c.checkIn.nextAt.toISOString(),
                  stopReason: c.checkIn.stopReason,
                  snoozedUntil: c.checkIn.snoozedUntil?.toISOString() ?? null,
                }
              : null,
          }));
          if (opts.json) return printJson(out);
          const t = new Table({ head: ['contact', 'time zone', 'do not contact', 'next check-in'] });
          for (const c of out)
            t.push([
              c.name ? `${c.name} <${c.email}>` : c.email,
              c.timeZone ?? 'unknown',
              c.doNotContact ? 'yes' : '',
              c.checkIn
                ? c.checkIn.status === 'active'
                  ? c.checkIn.nextAt
                  : `stopped: ${c.checkIn.stopReason}`
                : '',
            ]);
          process.stdout.write(`${t.toString()}\n`);
        },
        { needsRedis: false },
      );
    });
  contacts
    .command('set')
    .description("set a contact's time zone (shown beside yours in every draft)")
    .argument('<email>', 'contact address')
    .requiredOption('--time-zone <zone>', 'IANA zone, e.g. Asia/Tokyo')
    .option(...USER_OPTION)
    .action(async (email: string, opts: { timeZone: string; user?: string }) => {
      await withApp(async (app) => {
        await setContactTimeZone(app, email, opts.timeZone, await userIdOf(app, opts.user));
        process.stdout.write(`${email}: time zone ${opts.timeZone}\n`);
      });
    });
  contacts
    .command('stop')
    .description('do not contact: no more drafts to them, pending ones dropped')
    .argument('<email>', 'contact address')
    .option(...USER_OPTION)
    .action(async (email: string, opts: { user?: string }) => {
      await withApp(async (app) => {
        await stopContact(app, email, await userIdOf(app, opts.user));
        process.stdout.write(`${email}: do not contact\n`);
      });
    });
  contacts
    .command('resume')
    .description('undo stop: check-ins start again')
    .argument('<email>', 'contact address')
    .option(...USER_OPTION)
    .action(async (email: string, opts: { user?: string }) => {
      await withApp(async (app) => {
        await resumeContact(app, email, await userIdOf(app, opts.user));
        process.stdout.write(`${email}: check-ins resumed\n`);
      });
    });
  contacts
    .command('snooze')
    .description('no check-in before a date')
    .argument('<email>', 'contact address')
    .requiredOption('--until <date>', 'ISO date', parseDate)
    .option(...USER_OPTION)
    .action(async (email: string, opts: { until: Date; user?: string }) => {
      await withApp(async (app) => {
        await snoozeContact(app, email, opts.until, await userIdOf(app, opts.user));
        process.stdout.write(`${email}: snoozed until ${opts.until.toISOString().slice(0, 10)}\n`);
      });
    });
  registerContactMaterial(contacts);
}
