// The people pipeline on the command line: `contacts add`, `contacts import FILE.csv` and
// `intro --via ADDR --to TARGET`.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { addContact, CONNECTIONS, importContacts, requestIntro } from '../../core/people.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerPeople(program: Command): void {
  const contacts = program.commands.find((c) => c.name() === 'contacts');
  if (!contacts) throw new Error('register the contacts command first');
  contacts
    .command('add')
    .description('add someone to ask (or update them): who they are, how you know them, why them')
    .argument('<email>', 'their address')
    .option('--name <name>', 'their name')
    .option('--company <company>', 'where they work')
    .option('--role <role>', 'what they do there')
    .option('--connection <how>', `how you know them: ${CONNECTIONS.join(' | ')}`)
    .option('--reason <why>', 'the specific reason for asking them (a sentence)')
    .option('--introducer <address>', 'someone who could introduce you')
    .option('--time-zone <zone>', 'their IANA zone, e.g. Asia/Tokyo')
    .option('--json', 'print as JSON')
    .action(
      async (
        email: string,
        opts: {
          name?: string;
          company?: string;
          role?: string;
          connection?: string;
          reason?: string;
          introducer?: string;
          timeZone?: string;
          json?: boolean;
        },
      ) => {
        await withApp(
          async (app) => {
            const r = await addContact(app, { email, ...opts });
            if (opts.json) return printJson(r);
            process.stdout.write(
              `${r.email}: saved${r.introducer ? ` (introducer ${r.introducer}: coffee-chat intro --via ${r.introducer} --to ${r.email})` : ''}\n`,
            );
          },
          { needsRedis: false },
        );
      },
    );
  contacts
    .command('import')
    .description(
      'add or update contacts from a CSV with a header line: name,email,company,role,connection,reason,introducer (email required)',
    )
    .argument('<file>', 'CSV file')
    .option('--json', 'print as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${file}: ${err.code ?? err.message}`);
      });
      await withApp(
        async (app) => {
          const r = await importContacts(app, text);
          if (opts.json) return printJson(r);
          process.stdout.write(`${r.added} added, ${r.updated} updated\n`);
        },
        { needsRedis: false },
      );
    });
  program
    .command('intro')
    .description(
      'draft a short note asking a mutual acquaintance to introduce you, with a two-line blurb they can forward',
    )
    .requiredOption('--via <address>', 'who would introduce you')
    .requiredOption('--to <address>', 'who you would like to meet')
    .option('--why <reason>', "why them, specifically (default: the contact's reason)")
    .option('--about <line>', 'one line about you (the first line of the blurb)')
    .option('--from <account>', 'which of your accounts drafts it')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        via: string;
        to: string;
        why?: string;
        about?: string;
        from?: string;
        json?: boolean;
      }) => {
        await withApp(async (app) => {
          const r = await requestIntro(app, opts);
          if (opts.json) return printJson(r);
          process.stdout.write(
            `introduction request to ${r.via} (for ${r.to}) queued in ${r.account}: it appears in your drafts for review; nothing is sent\n`,
          );
        });
      },
    );
}
