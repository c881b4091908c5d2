// The review page's "Times offered" section: each open proposal (`propose --with`) with its slots in
// the user's time first, and a button per slot that creates the invite, as `schedule --slot N` does
// (POST /proposals/:id/schedule with the page's CSRF token; see actions.ts).
import type { App } from '../app.ts';
import { proposalContext } from '../core/propose-times.ts';
import { formatBothZones } from '../pipeline/time-zones.ts';
import { html, type SafeHtml } from './html.ts';

export interface ProposalRow {
  id: string;
  contactEmail: string;
  contactName: string | null;
  accountEmail: string;
  /** Each slot as the user reads it; `past` ones get no button. */
  slots: { n: number; when: string; past: boolean }[];
  /** The chosen slot, once one was. */
  chosen: { slot: number; when: string } | null;
  minutes: number;
}

/** How long a proposal whose last slot has passed stays listed. */
const KEEP_AFTER_MS = 2 * 86_400_000;

/** `userId`: that user's proposals only (a per-user token); undefined: every user's. */
export async function loadProposals(app: App, now: Date, userId?: string): Promise<ProposalRow[]> {
  const drafts = await app.prisma.draft.findMany({
    where: {
      kind: 'propose_times',
      status: { in: ['scheduled', 'created', 'sent'] },
      ...(userId ? { userId } : {}),
    },
    include: { contact: true, account: true },
    orderBy: { createdAt: 'desc' },
    take: 50,
  });
  const rows: ProposalRow[] = [];
  const seen = new Set<string>();
  for (const d of drafts) {
    const ctx = proposalContext.safeParse(d.context);
    if (!ctx.success || !d.contact || seen.has(d.contact.id)) continue;
    // Only the latest proposal to each contact: the one `schedule --slot N` uses.
    seen.add(d.contact.id);
    const { slots, userZone, contactZone, chosen, minutes } = ctx.data;
    const last = slots.length ? Date.parse(slots[slots.length - 1]!.start) : d.createdAt.getTime();
    if (last + KEEP_AFTER_MS < now.getTime()) continue;
    const label = d.contact.name ? `${d.contact.name.split(' ')[0]}'s` : null;
    const when = (iso: string) => formatBothZones(new Date(iso), userZone, contactZone, label);
    rows.push({
      id: d.id,
      contactEmail: d.contact.email,
      contactName: d.contact.name,
      accountEmail: d.account.email,
      minutes,
      slots: slots.map((s, i) => ({
        n: i + 1,
        when: when(s.start),
        past: Date.parse(s.start) <= now.getTime(),
      })),
      chosen: chosen ? { slot: chosen.slot, when: when(chosen.at) } : null,
    });
  }
  return rows;
}

export function proposalsSection(rows: ProposalRow[], csrf: string): SafeHtml {
  return html`<section id="proposals">
<h2>Times offered</h2>
<p class="hint">When they pick one of the times in your reply, choose it here: the invite goes on your calendar (as <code>schedule --with ADDR --slot N</code>).</p>
${rows.length === 0 ? html`<p class="empty">No times offered yet (coffee-chat propose --with ADDR).</p>` : ''}
${rows.map(
  (r) => html`<div class="proposal" id="proposal-${r.id}">
<div class="title">${r.contactName ?? r.contactEmail} <span class="muted">· ${r.minutes} min · from ${r.accountEmail}</span></div>
${
  r.chosen
    ? html`<p class="sub">Chosen: ${r.chosen.slot}. ${r.chosen.when}</p>`
    : r.slots.length === 0
      ? html`<p class="sub">No free time fitted; the reply asks them for times.</p>`
      : html`<ol>${r.slots.map(
          (s) =>
            html`<li>${s.when}${
              s.past
                ? html` <span class="muted">(passed)</span>`
                : html` <form class="inline" method="post" action="/proposals/${encodeURIComponent(r.id)}/schedule"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="slot" value="${s.n}"><button type="submit">Schedule this one</button></form>`
            }</li>`,
        )}</ol>`
}
</div>`,
)}
</section>`;
}
