// The review page's part of issue 16 items 5 and 6: material queued for check-ins (share an
// article, tell what you did with their advice), and per draft kind how much you changed the
// drafts you sent. Every outside value goes through `html`; the forms carry the page's CSRF token.
import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import {
  MATERIAL_TEXT_MAX,
  MATERIAL_URL_MAX,
  MaterialInputError,
  queueMaterial,
  type MaterialRow,
} from '../core/check-in-material.ts';
import { SMALL_EDIT } from '../pipeline/edit-distance.ts';
import { html, safeHref, type SafeHtml } from './html.ts';
import { KIND_LABEL, relative } from './format.ts';
import type { OverviewData } from './overview-data.ts';

/** The part of the page's flash this section reads (overview-page.ts Flash). */
interface Flash {
  error?: string;
  form?: string;
  value?: string;
}

const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`);

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** The typed value of a form whose last submit failed (the error line is shown at the top). */
function kept(flash: Flash, formId: string): string | null {
  return flash.form === formId && flash.error ? (flash.value ?? null) : null;
}

export function substanceSection(data: OverviewData, flash: Flash, csrf: string): SafeHtml {
  return html`${editsPart(data)}${materialPart(data, flash, csrf)}`;
}

function editsPart(data: OverviewData): SafeHtml {
  const edits = data.status.edits;
  return html`<section id="edits">
<h2>Your edits before sending</h2>
<p class="hint">Per kind of draft, how many you sent with at most ${pct(SMALL_EDIT)} changed (quoting and signatures left out). A low share says the template needs work: see “Tuning templates from your edits” in the README.</p>
${edits.length === 0 ? html`<p class="empty">No sent drafts yet.</p>` : ''}
${
  edits.length
    ? html`<table><thead><tr><th>Kind</th><th>Sent</th><th>Sent with a small edit</th><th>Median change</th></tr></thead><tbody>
${edits.map(
  (e) => html`<tr><td>${KIND_LABEL[e.kind] ?? e.kind}</td><td>${e.sent}</td>
<td><strong>${pct(e.share)}</strong> <span class="muted">(${e.smallEdit} of ${e.measured} measured)</span></td><td>${pct(e.median)}</td></tr>`,
)}
</tbody></table>`
    : ''
}
</section>`;
}

const STATE_LABEL: Record<MaterialRow['state'], string> = {
  queued: 'queued for the next check-in',
  drafted: 'in the check-in waiting in your mailbox',
  sent: 'sent',
};

function materialItem(m: MaterialRow, now: Date): SafeHtml {
  const href = safeHref(m.url);
  const what =
    m.kind === 'article'
      ? html`Article: ${href ? html`<a href="${href}" target="_blank" rel="noopener noreferrer">${m.url}</a>` : m.url}${m.text ? html` <span class="muted">(${m.text})</span>` : ''}`
      : html`Update: “${m.text ?? ''}”`;
  return html`<li>${what} <span class="pill ${m.state === 'sent' ? 'ok' : m.state === 'drafted' ? 'warn' : 'muted'}">${STATE_LABEL[m.state]}</span> <span class="muted">${relative(m.usedAt ?? m.createdAt, now)}</span></li>`;
}

function materialPart(data: OverviewData, flash: Flash, csrf: string): SafeHtml {
  const contacts = data.contacts.filter((c) => !c.doNotContact);
  return html`<section id="material">
<h2>Something to say in check-ins</h2>
<p class="hint">Share an article they would value, or tell them what you did with their advice: the next check-in draft says it instead of a placeholder (one item per check-in, oldest first) and asks for nothing.</p>
${contacts.length === 0 ? html`<p class="empty">No contacts to check in with yet.</p>` : ''}
${contacts.map((c) => {
  const id = encodeURIComponent(c.id);
  const items = data.material.filter((m) => m.contactId === c.id).slice(0, 10);
  const url = kept(flash, `share-${c.id}`);
  const update = kept(flash, `update-${c.id}`);
  return html`<div class="row" id="material-${c.id}">
<div>
<div class="title">${c.name ?? c.email}${c.name ? html` <span class="sub">&lt;${c.email}&gt;</span>` : ''}</div>
${items.length ? html`<ul class="reasons">${items.map((m) => materialItem(m, data.now))}</ul>` : ''}
<div class="contact-forms">
<form class="inline" method="post" action="/contacts/${id}/share">${csrfField(csrf)}
<label class="sub" for="share-${c.id}">Article</label>
<input type="url" id="share-${c.id}" name="url" maxlength="${MATERIAL_URL_MAX}" placeholder="https://…" value="${url ?? ''}" required>
<input type="text" name="note" maxlength="${MATERIAL_TEXT_MAX}" placeholder="why they'd value it (optional)" aria-label="why they'd value it">
<button type="submit">Share</button>
</form>
<form class="inline" method="post" action="/contacts/${id}/update">${csrfField(csrf)}
<label class="sub" for="update-${c.id}">What you did</label>
<input type="text" id="update-${c.id}" name="text" maxlength="${MATERIAL_TEXT_MAX}" placeholder="I did X after your advice" value="${update ?? ''}" required>
<button type="submit">Add update</button>
</form>
</div>
</div>
</div>`;
})}
</section>`;
}

// ---- the forms ---------------------------------------------------------------------------

type Field = (req: FastifyRequest, name: string) => string;
type Route = (
  path: string,
  target: (id: string, req: FastifyRequest) => { anchor: string; form?: string; value?: string },
  run: (id: string, req: FastifyRequest) => Promise<{ ok: string; anchor: string }>,
) => void;

/** POST /contacts/:id/share and /contacts/:id/update, through the page's checked route (CSRF). */
export function registerMaterialActions(
  route: Route,
  app: App,
  field: Field,
  formError: (message: string) => Error,
): void {
  const contactOf = async (id: string) => {
    const c = await app.prisma.contact.findUnique({ where: { id } });
    if (!c) throw formError('That contact no longer exists.');
    return c;
  };
  const queue = async (id: string, input: Parameters<typeof queueMaterial>[2]) => {
    const c = await contactOf(id);
    try {
      const r = await queueMaterial(app, c.email, input, c.userId);
      const who = c.name ?? c.email;
      return r.refreshing
        ? `${who}: the check-in waiting in your mailbox now says it (unless you edited it).`
        : `${who}: queued for the next check-in.`;
    } catch (err) {
      if (err instanceof MaterialInputError) {
        const m = err.message;
        throw formError(`${m.charAt(0).toUpperCase()}${m.slice(1)}.`);
      }
      throw err;
    }
  };
  route(
    '/contacts/:id/share',
    (id, req) => ({ anchor: `material-${id}`, form: `share-${id}`, value: field(req, 'url') }),
    async (id, req) => ({
      ok: await queue(id, { kind: 'article', url: field(req, 'url'), note: field(req, 'note') }),
      anchor: `material-${id}`,
    }),
  );
  route(
    '/contacts/:id/update',
    (id, req) => ({ anchor: `material-${id}`, form: `update-${id}`, value: field(req, 'text') }),
    async (id, req) => ({
      ok: await queue(id, { kind: 'update', text: field(req, 'text') }),
      anchor: `material-${id}`,
    }),
  );
}
