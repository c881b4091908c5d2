// `status`: per draft kind, how much the user changed the drafts they sent (README, "Tuning
// templates from your edits").
import Table from 'cli-table3';
import { SMALL_EDIT, type EditShare } from '../../pipeline/edit-distance.ts';

const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`);

export function editsTable(edits: EditShare[]): string {
  const t = new Table({
    head: ['sent drafts', 'sent', 'measured', `≤ ${pct(SMALL_EDIT)} changed`, 'share', 'median change'],
  });
  for (const e of edits)
    t.push([e.kind.replace('_', '-'), e.sent, e.measured, e.smallEdit, pct(e.share), pct(e.median)]);
  return `Your edits before sending\n${t.toString()}`;
}
