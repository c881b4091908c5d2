import type { Command } from 'commander';
import Table from 'cli-table3';
import { DateTime } from 'luxon';
import { auditQueuesWithin, type QueueAudit } from '../../core/scheduled-work.ts';
import { getStatus } from '../../core/status.ts';
import { STAGE_LABELS } from '../../pipeline/contact-stage.ts';
import { editsTable } from './edits-table.ts';
import type { App } from '../../app.ts';
import { printJson, withApp } from '../with-app.ts';

const fmt = (iso: string, zone: string) =>
  DateTime.fromISO(iso).setZone(zone).toFormat('ccc d LLL HH:mm ZZZZ');

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('accounts, chats (with the reasons for each decision) and what is scheduled')
    .option('--json', 'print {accounts, chats, scheduled, drafts, ignored, people} as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(
        async (app) => {
          const s = await getStatus(app.prisma, app.now(), {
            followUpBusinessDays: app.config.FOLLOW_UP_BUSINESS_DAYS,
          });
          const queues = await queueAudit(app);
          if (opts.json) {
            return printJson({
              accounts: s.accounts.map(({ email, provider, status, lastSyncAt, lastError }) => ({
                email,
                provider,
                status,
                lastSyncAt,
                lastError,
              })),
              chats: s.chats,
              scheduled: s.scheduled.map(({ kind, contactEmail, dueAt }) => ({ kind, contactEmail, dueAt })),
              drafts: s.drafts,
              ignored: s.ignored,
              people: s.people,
              edits: s.edits,
              queues,
            });
          }
          const a = new Table({ head: ['account', 'provider', 'status', 'last sync', 'last error'] });
          for (const x of s.accounts)
            a.push([x.email, x.provider, x.status, x.lastSyncAt ?? 'never', x.lastError ?? '']);
          const c = new Table({ head: ['chat', 'with', 'your time', 'their time', 'status', 'why'] });
          for (const x of s.chats) {
            c.push([
              x.title,
              x.contactEmail,
              fmt(x.start, x.userTimeZone),
              x.contactTimeZone ? fmt(x.start, x.contactTimeZone) : 'unknown',
              x.status,
              x.reasons.join('; '),
            ]);
          }
          const p = new Table({ head: ['person', 'stage', 'next step'] });
          for (const x of s.people)
            p.push([x.name ? `${x.name} <${x.email}>` : x.email, STAGE_LABELS[x.stage], x.next]);
          const q = new Table({ head: ['scheduled', 'for', 'due'] });
          for (const x of s.scheduled) q.push([x.kind, x.contactEmail, x.dueAt]);
          process.stdout.write(
            `Accounts\n${a.toString()}\nChats\n${c.toString()}\nPeople\n${p.toString()}\nScheduled\n${q.toString()}\n${queuesLine(queues)}\n`,
          );
          if (s.edits.length) process.stdout.write(`${editsTable(s.edits)}\n`);
          if (s.ignored.length) {
            const i = new Table({ head: ['ignored event', 'why'] });
            for (const x of s.ignored) i.push([x.title, x.reasons.join('; ')]);
            process.stdout.write(`${i.toString()}\n`);
          }
        },
        { needsRedis: false },
      );
    });
}

/** Postgres against the queues; only when Redis answers (status works while Redis is down). */
async function queueAudit(app: App): Promise<QueueAudit | { error: string }> {
  try {
    await Promise.race([
      app.redis.connect().then(() => app.redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 2 s')), 2_000).unref()),
    ]);
  } catch (err) {
    return { error: `Redis unreachable (${err instanceof Error ? err.message : String(err)})` };
  }
  return auditQueuesWithin(app);
}

function queuesLine(q: QueueAudit | { error: string }): string {
  if ('error' in q) return `Queues: not checked: ${q.error}`;
  if (q.mismatch === 0) return 'Queues: hold everything Postgres says is scheduled';
  const m = q.missing;
  return `Queues: MISSING ${m.drafts} draft(s), ${m.prep} prep block(s), ${m.checkIns} check-in(s), ${m.schedulers} scheduler(s) that Postgres says are scheduled (the worker's reconciler puts them back within 10 minutes)`;
}
