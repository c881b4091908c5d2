// The review page's board of people by stage (target → asked → replied → scheduled → met →
// thanked → in touch, then paused and stopped), each with the next step. Stages with nobody in
// them are folded away so a short list stays short. Every value is escaped (html.ts).
import type { PersonOnBoard } from '../core/people.ts';
import { CONTACT_STAGES, STAGE_LABELS } from '../pipeline/contact-stage.ts';
import { html, raw, type SafeHtml } from './html.ts';

export function peopleBoardSection(people: PersonOnBoard[]): SafeHtml {
  const columns = CONTACT_STAGES.map((stage) => ({ stage, people: people.filter((p) => p.stage === stage) }));
  return html`<section id="people">
<style>${raw(PEOPLE_BOARD_STYLES)}</style>
<h2>People</h2>
<p class="hint">Everyone you are asking or have met, by stage; the stage follows from what happened in your mail and calendar. Add people with <code>coffee-chat contacts add</code> or <code>contacts import FILE.csv</code>.</p>
${people.length === 0 ? html`<p class="empty">Nobody on the board yet.</p>` : ''}
<div class="board">
${columns
  .filter((c) => c.people.length > 0)
  .map(
    (c) => html`<div class="stage" data-stage="${c.stage}">
<h3>${STAGE_LABELS[c.stage]} <span class="count">${c.people.length}</span></h3>
<ul>${c.people.map(card)}</ul>
</div>`,
  )}
</div>
</section>`;
}

function card(p: PersonOnBoard): SafeHtml {
  const at = [p.role, p.company].filter(Boolean).join(' at ');
  return html`<li class="person" data-email="${p.email}">
<strong>${p.name ?? p.email}</strong>${at ? html` <span class="muted">${at}</span>` : ''}
${p.connection ? html`<span class="pill">${p.connection}</span>` : ''}
${p.reason ? html`<div class="why">${p.reason}</div>` : ''}
<div class="next">Next: ${p.next}</div>
</li>`;
}

/** The board's own styles (trusted, written here), inline as the page's CSP allows. */
const PEOPLE_BOARD_STYLES = `
.board { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.board .stage { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
.board h3 { margin: 2px 0 8px; font-size: 14px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.board ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.board .person { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; font-size: 14px; }
.board .why { color: var(--muted); font-size: 13px; margin-top: 2px; }
.board .next { margin-top: 4px; font-size: 13px; overflow-wrap: anywhere; }
`;
