import type { Command } from 'commander';
import { requestOutreach, scheduleChat } from '../../core/outreach.ts';
import { scheduleProposedSlot } from '../../core/propose-times.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerOutreach(program: Command): void {
  program
    .command('outreach')
    .description('draft a coffee-chat request (advice, not a job; 15–20 minutes) in your mailbox')
    .requiredOption('--to <address>', 'their email address')
    .option('--name <name>', 'their name')
    .requiredOption('--why <reason>', 'the specific reason you are asking them (their project, their path)')
    .option('--intro <line>', 'one line about you')
    .option('--from <account>', 'which of your accounts drafts it')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        to: string;
        name?: string;
        why: string;
        intro?: string;
        from?: string;
        json?: boolean;
      }) => {
        await withApp(async (app) => {
          const r = await requestOutreach(app, opts);
          if (opts.json) return printJson(r);
          process.stdout.write(
            `outreach draft to ${r.contact} queued in ${r.account} (it appears in your drafts for review; nothing is sent)\n`,
          );
        });
      },
    );
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description(
      'create a chat invite on your calendar (video link where the calendar offers one, both time zones); it then flows through the pipeline',
    )
    .requiredOption('--with <address>', 'their email address')
    .option('--name <name>', 'their name')
    .option('--at <datetime>', 'start, ISO in your time zone (e.g. 2026-12-01T09:00)')
    .option('--slot <n>', 'or: time N of the last `propose --with` to them (1, 2 or 3)')
    .option('--duration <d>', 'length, e.g. 20m', '20m')
    .option('--title <title>', 'event title')
    .option('--zone <iana>', 'the zone --at is in (default: yours)')
    .option('--from <account>', 'which of your accounts owns the event')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        with: string;
        name?: string;
        at?: string;
        slot?: string;
        duration: string;
        title?: string;
        zone?: string;
        from?: string;
        json?: boolean;
      }) => {
        if (!opts.at === !opts.slot)
          throw new Error('give either --at or --slot (one of the times proposed)');
        await withApp(async (app) => {
          const r = opts.slot
            ? await scheduleProposedSlot(app, {
                with: opts.with,
                slot: opts.slot,
                from: opts.from,
                title: opts.title,
              })
            : await scheduleChat(app, { ...opts, at: opts.at! });
          if (opts.json) return printJson(r);
          process.stdout.write(
            `invite created (${r.when})${r.conferenceUrl ? `, video link ${r.conferenceUrl}` : ', no video link (this calendar cannot attach one: add yours to the event)'}; the invitation goes out from your calendar\n`,
          );
        });
      },
    );
}
