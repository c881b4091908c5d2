import type { Command } from 'commander';
import { proposeTimes } from '../../core/propose-times.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerPropose(program: Command): void {
  program
    .command('propose')
    .description(
      'draft a reply offering three times from your free time, inside working hours in both time zones (nothing is sent); then `schedule --with ADDR --slot N`',
    )
    .requiredOption('--with <address>', 'their email address')
    .option('--from <account>', 'which of your accounts reads the calendar and drafts the reply')
    .option('--minutes <n>', 'length of each slot, 15 to 30', '20')
    .option('--json', 'print as JSON')
    .action(async (opts: { with: string; from?: string; minutes: string; json?: boolean }) => {
      await withApp(async (app) => {
        const minutes = Number(opts.minutes);
        const r = await proposeTimes(app, { with: opts.with, from: opts.from, minutes });
        if (opts.json) return printJson(r);
        const lines = r.slots.length
          ? r.slots.map((s) => `  ${s.n}. ${s.when}`)
          : ['  (no free time fits in the next two weeks: the draft asks them for times instead)'];
        process.stdout.write(
          [
            `reply to ${r.contact} queued in ${r.account}'s drafts (review it there; nothing is sent), offering:`,
            ...lines,
            ...(r.contactZoneKnown
              ? []
              : [
                  `their time zone is unknown: the draft asks for it (coffee-chat contacts set ${r.contact} --time-zone ZONE, then propose again)`,
                ]),
            r.slots.length ? `when they choose: coffee-chat schedule --with ${r.contact} --slot N` : '',
            r.earlierDraftsInMailbox
              ? `an earlier reply offering other times is still in your drafts: delete it unless you mean to send it (--slot N refers to these times)`
              : '',
          ]
            .filter(Boolean)
            .join('\n') + '\n',
        );
      });
    });
}
