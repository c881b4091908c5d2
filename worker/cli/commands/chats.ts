import type { Command } from 'commander';
import Table from 'cli-table3';
import { getStatus } from '../../core/status.ts';
import { overrideEvent, setChatNote } from '../../core/user-actions.ts';
import { printJson, withApp } from '../with-app.ts';

export function registerChats(program: Command): void {
  const chats = program
    .command('chats')
    .description('list detected chats; include or exclude an event; note the advice to cite')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const s = await getStatus(app.prisma, app.now());
          if (opts.json) return printJson(s.chats);
          const t = new Table({ head: ['id', 'title', 'with', 'start', 'status', 'note'] });
          for (const c of s.chats) t.push([c.id, c.title, c.contactEmail, c.start, c.status, c.note ?? '']);
          process.stdout.write(`${t.toString()}\n`);
        },
        { needsRedis: false },
      );
    });
  chats
    .command('include')
    .description('treat an event as a coffee chat whatever the detector said')
    .argument('<id>', 'event or chat id (see status --json)')
    .action(async (id: string) => {
      await withApp(async (app) => {
        const r = await overrideEvent(app, id, 'include');
        process.stdout.write(
          `${r.title}: ${r.isChat ? 'now a coffee chat' : 'still not a chat'} (${r.reasons.join('; ')})\n`,
        );
      });
    });
  chats
    .command('exclude')
    .description('never treat an event as a coffee chat (pending drafts are dropped)')
    .argument('<id>', 'event or chat id')
    .action(async (id: string) => {
      await withApp(async (app) => {
        const r = await overrideEvent(app, id, 'exclude');
        process.stdout.write(`${r.title}: excluded (${r.reasons.join('; ')})\n`);
      });
    });
  chats
    .command('note')
    .description('the one piece of advice the thank-you should cite')
    .argument('<id>', 'chat id')
    .argument('<note>', 'the advice, in a sentence')
    .action(async (id: string, note: string) => {
      await withApp(async (app) => {
        const chat = await setChatNote(app, id, note);
        process.stdout.write(`noted for "${chat.title}"; the thank-you will cite it\n`);
      });
    });
}
