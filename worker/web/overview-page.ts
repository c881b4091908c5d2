// The overview: accounts, upcoming and recent chats, drafts, what is scheduled, contacts and their
// check-ins, and the events the detector ignored. Every outside value goes through `html`.
import type { StatusReport } from '../core/status.ts';
import { PROVIDERS } from '../providers.ts';
import type { ProviderKind } from '../../integrations/provider.ts';
import { html, safeHref, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { substanceSection } from './substance-section.ts';
import { peopleBoardSection } from './people-board.ts';
import type { ContactRow, IgnoredEvent, OverviewData } from './overview-data.ts';
import { KIND_LABEL, dateOnly, formatBothZones, inZone, isoDay, minutesBetween, relative } from './format.ts';
import { proposalsSection } from './proposals.ts';

/** The result of the last action, carried in the query string of the 303 redirect. */
export interface Flash {
  ok?: string;
  error?: string;
  /** The form the error belongs to ("note-<chatId>", "tz-<contactId>", "snooze-<contactId>"). */
  form?: string;
  /** What the user typed there, so nothing is lost. */
  value?: string;
}

type Chat = StatusReport['chats'][number];

const RECENT_LIMIT = 20;

export function renderOverview(data: OverviewData, flash: Flash, csrf: string): string {
  const upcoming = data.status.chats.filter((c) => c.status === 'upcoming' || c.status === 'pending');
  const recent = data.status.chats
    .filter((c) => c.status === 'done')
    .sort((a, b) => b.start.localeCompare(a.start))
    .slice(0, RECENT_LIMIT);
  const reconnect = data.status.accounts.filter((a) => a.status === 'needs_reconnect');
  const waitingDrafts = data.status.drafts.filter((d) => d.status === 'created');
  const ctx: Ctx = { data, flash, csrf, contactsByEmail: new Map(data.contacts.map((c) => [c.email, c])) };

  // A form's error is shown beside that form (with what was typed); elsewhere at the top.
  const formIds = new Set([
    ...recent.map((c) => `note-${c.id}`),
    ...data.contacts.flatMap((c) => [`tz-${c.id}`, `snooze-${c.id}`]),
  ]);
  const inlineError = Boolean(flash.form && formIds.has(flash.form));
  const count = (n: number) => (n > 0 ? html`<span class="count">${n}</span>` : '');
  const nav = html`<nav>
<a href="#accounts">Accounts${reconnect.length ? html` <span class="pill bad">${reconnect.length} to reconnect</span>` : ''}</a>
<a href="#upcoming">Upcoming${count(upcoming.length)}</a>
<a href="#recent">Recent${count(recent.length)}</a>
<a href="#people">People${count(data.status.people.length)}</a>
<a href="#drafts">Drafts${count(waitingDrafts.length)}</a>
<a href="#scheduled">Scheduled${count(data.status.scheduled.length)}</a>
<a href="#contacts">Contacts${count(data.contacts.length)}</a>
<a href="#ignored">Ignored${count(data.ignored.length)}</a>
<a href="/queues/">Queues</a>
<a href="/api/status">Status JSON</a>
</nav>`;

  const body = html`
${flash.ok ? html`<div class="flash ok" role="status">${flash.ok}</div>` : ''}
${flash.error && !inlineError ? html`<div class="flash error" role="alert">${flash.error}</div>` : ''}
${reconnect.length ? reconnectAlert(reconnect) : ''}
${upcomingSection(ctx, upcoming)}
${proposalsSection(data.proposals, csrf)}
${recentSection(ctx, recent)}
${peopleBoardSection(data.status.people)}
<div class="grid2">
${draftsSection(ctx)}
${scheduledSection(ctx)}
</div>
${contactsSection(ctx)}
${substanceSection(data, flash, csrf)}
${ignoredSection(ctx)}
${accountsSection(ctx)}
<datalist id="zones">${zoneOptions()}</datalist>
<p class="muted" style="font-size:13px;margin-top:20px">As of ${inZone(data.now, data.userTimeZone)}. Changes you make here go through the same jobs as the command line.</p>`;

  return layout({ title: titleFor(upcoming.length, reconnect.length), body, nav });
}

interface Ctx {
  data: OverviewData;
  flash: Flash;
  csrf: string;
  contactsByEmail: Map<string, ContactRow>;
}

function titleFor(upcoming: number, reconnect: number): string {
  const parts = [`${upcoming} upcoming chat${upcoming === 1 ? '' : 's'}`];
  if (reconnect) parts.push(`${reconnect} account${reconnect === 1 ? '' : 's'} to reconnect`);
  return `coffee-chat · ${parts.join(' · ')}`;
}

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

function actionButton(ctx: Ctx, action: string, label: string, cls = '', title = ''): SafeHtml {
  return html`<form method="post" action="${action}">${csrfField(ctx.csrf)}<button type="submit" class="${cls}" title="${title}">${label}</button></form>`;
}

function reasonsList(reasons: string[]): SafeHtml | '' {
  if (reasons.length === 0) return '';
  return html`<ul class="reasons" aria-label="reasons">${reasons.map((r) => html`<li>${r}</li>`)}</ul>`;
}

function who(c: Chat): SafeHtml {
  return c.contactName
    ? html`${c.contactName} <span class="muted">&lt;${c.contactEmail}&gt;</span>`
    : html`${c.contactEmail}`;
}

function chatWhen(c: Chat): SafeHtml {
  const text = formatBothZones(new Date(c.start), c.userTimeZone, c.contactTimeZone);
  const [mine, theirs] = text.split(' / ');
  const minutes = minutesBetween(c.start, c.end);
  return html`<div class="when">${mine}${theirs ? html` <span class="muted">/</span> <span class="theirs">${theirs}</span>` : ''} <span class="muted">· ${minutes} min</span></div>`;
}

/** Error line and typed value for a form, when the last submit of this form failed. */
function formState(ctx: Ctx, formId: string): { error: string | null; value: string | null } {
  if (ctx.flash.form !== formId || !ctx.flash.error) return { error: null, value: null };
  return { error: ctx.flash.error, value: ctx.flash.value ?? null };
}

function reconnectAlert(accounts: StatusReport['accounts']): SafeHtml {
  return html`<div class="alert" role="alert">
<h2>${accounts.length === 1 ? 'An account needs to be reconnected' : `${accounts.length} accounts need to be reconnected`}</h2>
<p>Nothing is synced or drafted for ${accounts.length === 1 ? 'it' : 'them'} until you sign in again. Sign-in runs in your terminal:</p>
${accounts.map(
  (
    a,
  ) => html`<p><strong>${a.email}</strong> (${providerName(a.provider)})${a.lastError ? html` <span class="muted">· ${a.lastError}</span>` : ''}<br>
<code>coffee-chat accounts connect ${a.provider}</code> <span class="muted">or, headless:</span> <code>coffee-chat accounts add --provider ${a.provider} --email ${a.email} --refresh-token - &lt; token.txt</code></p>`,
)}
</div>`;
}

function providerName(p: string): string {
  return PROVIDERS[p as ProviderKind]?.label ?? p;
}

function upcomingSection(ctx: Ctx, chats: Chat[]): SafeHtml {
  return html`<section id="upcoming">
<h2>Upcoming chats</h2>
<p class="hint">Times in your zone and theirs. Not a coffee chat? Exclude it and everything planned for it is dropped.</p>
${chats.length === 0 ? html`<p class="empty">No upcoming coffee chats. Put one on your calendar (a title like “Coffee with Ana”, or <code>#coffeechat</code>) and it shows up after the next sync.</p>` : ''}
${chats.map(
  (c) => html`<div class="row" id="chat-${c.id}">
<div>
<div class="title">${c.title}</div>
<div class="sub">with ${who(c)} · ${relative(new Date(c.start), ctx.data.now)}${ctx.data.status.accounts.length > 1 ? html` · ${c.accountEmail}` : ''}</div>
${chatWhen(c)}
${plannedFor(ctx, c)}
${c.note ? html`<div class="sub">Advice to cite: “${c.note}”</div>` : ''}
${reasonsList(c.reasons)}
</div>
<div class="actions">${actionButton(ctx, `/chats/${encodeURIComponent(c.id)}/exclude`, 'Not a chat: exclude', 'quiet')}</div>
</div>`,
)}
</section>`;
}

function plannedFor(ctx: Ctx, c: Chat): SafeHtml | '' {
  const scheduled = ctx.data.status.scheduled.filter((s) => s.chatId === c.id);
  const drafts = ctx.data.status.drafts.filter((d) => d.chatId === c.id);
  if (scheduled.length === 0 && drafts.length === 0) return '';
  const items = [
    ...drafts.map((d) => {
      const href = safeHref(d.webLink);
      return html`<span class="pill ${d.status === 'created' ? 'ok' : d.status === 'failed' ? 'bad' : 'muted'}"${d.lastError ? html` title="${d.lastError}"` : ''}>${KIND_LABEL[d.kind] ?? d.kind}: ${draftStatusLabel(d.status)}</span>${href ? html` <a href="${href}" target="_blank" rel="noopener noreferrer">open</a>` : ''}`;
    }),
    ...scheduled.map(
      (s) =>
        html`<span class="pill muted">${KIND_LABEL[s.kind] ?? s.kind} ${relative(new Date(s.dueAt), ctx.data.now)}</span>`,
    ),
  ];
  return html`<div class="sub" style="margin-top:4px">${items.map((i, n) => html`${n ? ' ' : ''}${i}`)}</div>`;
}

function draftStatusLabel(status: string): string {
  return status === 'created' ? 'draft in mailbox' : status;
}

function recentSection(ctx: Ctx, chats: Chat[]): SafeHtml {
  return html`<section id="recent">
<h2>Recent chats</h2>
<p class="hint">Note the one piece of advice you got: the thank-you draft cites it.</p>
${chats.length === 0 ? html`<p class="empty">No past chats yet.</p>` : ''}
${chats.map((c) => {
  const formId = `note-${c.id}`;
  const st = formState(ctx, formId);
  const value = st.value ?? c.note ?? '';
  return html`<div class="row${st.error ? ' target' : ''}" id="chat-${c.id}">
<div>
<div class="title">${c.title}</div>
<div class="sub">with ${who(c)} · ${relative(new Date(c.start), ctx.data.now)}${ctx.data.status.accounts.length > 1 ? html` · ${c.accountEmail}` : ''}</div>
${chatWhen(c)}
${plannedFor(ctx, c)}
<form class="note" method="post" action="/chats/${encodeURIComponent(c.id)}/note">${csrfField(ctx.csrf)}
<textarea name="note" rows="1" maxlength="1000" aria-label="advice to cite in the thank-you" placeholder="The one piece of advice to cite, e.g. “talk to the platform team before applying”"${st.error ? html` class="invalid" aria-invalid="true"` : ''}>${value}</textarea>
<button type="submit" class="primary">${c.note ? 'Update note' : 'Save note'}</button>
</form>
${st.error ? html`<div class="field-error">${st.error}</div>` : ''}
</div>
<div class="actions">${actionButton(ctx, `/chats/${encodeURIComponent(c.id)}/exclude`, 'Exclude', 'quiet', 'not a coffee chat')}</div>
</div>`;
})}
</section>`;
}

function draftsSection(ctx: Ctx): SafeHtml {
  const drafts = [...ctx.data.status.drafts].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return html`<section id="drafts">
<h2>Drafts</h2>
<p class="hint">Waiting in your mailbox for you to review and send.</p>
${drafts.length === 0 ? html`<p class="empty">No drafts yet.</p>` : ''}
${
  drafts.length
    ? html`<table><thead><tr><th>Draft</th><th>Status</th><th></th></tr></thead><tbody>
${drafts.map((d) => {
  const href = safeHref(d.webLink);
  const contact = d.contactEmail ? ctx.contactsByEmail.get(d.contactEmail) : undefined;
  return html`<tr>
<td><div class="title">${d.subject ?? '(no subject)'}</div><div class="sub">${KIND_LABEL[d.kind] ?? d.kind}${d.contactEmail ? html` to ${contact?.name ?? d.contactEmail}` : ''} · ${relative(new Date(d.createdAt), ctx.data.now)}</div></td>
<td class="nowrap"><span class="pill ${draftPill(d.status)}">${draftStatusLabel(d.status)}</span>${d.lastError ? html`<div class="sub">${d.lastError}</div>` : ''}</td>
<td class="nowrap">${href ? html`<a href="${href}" target="_blank" rel="noopener noreferrer">Open in mailbox</a>` : ''}</td>
</tr>`;
})}
</tbody></table>`
    : ''
}
</section>`;
}

function draftPill(status: string): string {
  return status === 'created' ? 'warn' : status === 'sent' ? 'ok' : status === 'failed' ? 'bad' : 'muted';
}

function scheduledSection(ctx: Ctx): SafeHtml {
  const items = ctx.data.status.scheduled;
  return html`<section id="scheduled">
<h2>Scheduled</h2>
<p class="hint">What the worker will do next, in your time.</p>
${items.length === 0 ? html`<p class="empty">Nothing scheduled.</p>` : ''}
${
  items.length
    ? html`<table><thead><tr><th>What</th><th>When</th></tr></thead><tbody>
${items.map((s) => {
  const contact = ctx.contactsByEmail.get(s.contactEmail);
  const due = new Date(s.dueAt);
  return html`<tr><td><div class="title">${KIND_LABEL[s.kind] ?? s.kind}</div><div class="sub">${contact?.name ?? s.contactEmail}</div></td>
<td><div>${inZone(due, contact?.userTimeZone ?? ctx.data.userTimeZone)}</div><div class="sub">${relative(due, ctx.data.now)}</div></td></tr>`;
})}
</tbody></table>`
    : ''
}
</section>`;
}

function contactsSection(ctx: Ctx): SafeHtml {
  const contacts = ctx.data.contacts;
  return html`<section id="contacts">
<h2>Contacts and check-ins</h2>
<p class="hint">A low-pressure check-in draft on your cadence. Set their time zone so drafts show both times; stop or snooze anyone.</p>
${contacts.length === 0 ? html`<p class="empty">No contacts yet: they appear with their first coffee chat.</p>` : ''}
${contacts.map((c) => contactRow(ctx, c))}
</section>`;
}

function checkInLine(ctx: Ctx, c: ContactRow): SafeHtml {
  if (c.doNotContact)
    return html`<span class="pill bad">do not contact</span> <span class="muted">nothing more is drafted to them</span>`;
  const p = c.checkIn;
  if (!p)
    return html`<span class="pill muted">no check-ins yet</span> <span class="muted">they start after your first chat</span>`;
  if (p.status === 'stopped')
    return html`<span class="pill muted">stopped</span> <span class="muted">${p.stopReason ?? ''}</span>`;
  if (p.snoozedUntil && p.snoozedUntil > ctx.data.now && p.snoozedUntil > p.nextAt) {
    return html`<span class="pill warn">snoozed</span> <span class="muted">no check-in before ${inZone(p.snoozedUntil, c.userTimeZone)}</span>`;
  }
  return html`<span class="pill ok">next check-in ${relative(p.nextAt, ctx.data.now)}</span> <span class="muted">${inZone(p.nextAt, c.userTimeZone)}${p.unansweredCount ? ` · ${p.unansweredCount} unanswered` : ''}</span>`;
}

function contactRow(ctx: Ctx, c: ContactRow): SafeHtml {
  const tz = formState(ctx, `tz-${c.id}`);
  const sn = formState(ctx, `snooze-${c.id}`);
  const id = encodeURIComponent(c.id);
  const tomorrow = isoDay(new Date(ctx.data.now.getTime() + 86_400_000), c.userTimeZone);
  const zoneNote = c.timeZone
    ? c.timeZoneSource === 'user'
      ? 'set by you'
      : c.timeZoneSource
        ? `from the ${c.timeZoneSource}`
        : ''
    : 'unknown';
  return html`<div class="row${tz.error || sn.error ? ' target' : ''}" id="contact-${c.id}">
<div>
<div class="title">${c.name ?? c.email}${c.name ? html` <span class="sub">&lt;${c.email}&gt;</span>` : ''}</div>
<div class="sub" style="margin-top:2px">${checkInLine(ctx, c)}</div>
<div class="contact-forms">
<form class="inline" method="post" action="/contacts/${id}/time-zone">${csrfField(ctx.csrf)}
<label class="sub" for="tz-${c.id}">Time zone</label>
<input type="text" id="tz-${c.id}" name="timeZone" list="zones" autocomplete="off" spellcheck="false" placeholder="e.g. Asia/Tokyo" value="${tz.value ?? c.timeZone ?? ''}"${tz.error ? html` class="invalid" aria-invalid="true"` : ''}>
<button type="submit">Set</button>
<span class="sub">${zoneNote}</span>
</form>
${
  c.doNotContact || !c.checkIn || c.checkIn.status !== 'active'
    ? ''
    : html`<form class="inline" method="post" action="/contacts/${id}/snooze">${csrfField(ctx.csrf)}
<label class="sub" for="snooze-${c.id}">No check-in before</label>
<input type="date" id="snooze-${c.id}" name="until" min="${tomorrow}" value="${sn.value ?? ''}"${sn.error ? html` class="invalid" aria-invalid="true"` : ''}>
<button type="submit">Snooze</button>
</form>`
}
</div>
${tz.error ? html`<div class="field-error">${tz.error}</div>` : ''}
${sn.error ? html`<div class="field-error">${sn.error}</div>` : ''}
</div>
<div class="actions">${
    c.doNotContact
      ? actionButton(ctx, `/contacts/${id}/resume`, 'Resume check-ins')
      : actionButton(
          ctx,
          `/contacts/${id}/stop`,
          'Do not contact',
          'danger',
          'no more drafts to them; pending ones are dropped',
        )
  }</div>
</div>`;
}

function ignoredSection(ctx: Ctx): SafeHtml {
  const events = ctx.data.ignored;
  return html`<section id="ignored">
<h2>Ignored events</h2>
<p class="hint">Recent and upcoming calendar events that are not coffee chats, and why. Include one if the detector got it wrong.</p>
${events.length === 0 ? html`<p class="empty">Nothing ignored.</p>` : ''}
${events.map(
  (e) => html`<div class="row" id="event-${e.id}">
<div>
<div class="title">${e.title || '(no title)'}${e.occurrences > 1 ? html` <span class="pill muted">${`${e.occurrences} in this series`}</span>` : ''}${e.excludedByUser ? html` <span class="pill muted">excluded by you</span>` : ''}</div>
<div class="sub">${ignoredWhen(ctx, e)} · ${e.accountEmail}</div>
${reasonsList(e.reasons)}
</div>
<div class="actions">${e.cancelled ? '' : actionButton(ctx, `/events/${encodeURIComponent(e.id)}/include`, 'Include as a chat')}</div>
</div>`,
)}
</section>`;
}

function ignoredWhen(ctx: Ctx, e: IgnoredEvent): string {
  if (e.startUtc) return inZone(e.startUtc, ctx.data.userTimeZone);
  if (e.allDayDate) return `${dateOnly(e.allDayDate)}, all day`;
  return 'no date';
}

function accountsSection(ctx: Ctx): SafeHtml {
  const accounts = ctx.data.status.accounts;
  return html`<section id="accounts">
<h2>Accounts</h2>
<p class="hint">Calendars and mailboxes the worker reads and drafts into.</p>
${accounts.length === 0 ? html`<p class="empty">No accounts yet. Connect one in your terminal: <code>coffee-chat accounts connect google</code> or <code>coffee-chat accounts connect microsoft</code>.</p>` : ''}
${
  accounts.length
    ? html`<table><thead><tr><th>Account</th><th>Status</th><th>Last sync</th><th>Last error</th></tr></thead><tbody>
${accounts.map(
  (
    a,
  ) => html`<tr><td><div class="title">${a.email}</div><div class="sub">${providerName(a.provider)}${a.timeZone ? ` · ${a.timeZone}` : ''}</div></td>
<td class="nowrap"><span class="pill ${a.status === 'active' ? 'ok' : a.status === 'needs_reconnect' ? 'bad' : 'muted'}">${a.status === 'needs_reconnect' ? 'needs reconnect' : a.status}</span></td>
<td class="nowrap">${a.lastSyncAt ? relative(new Date(a.lastSyncAt), ctx.data.now) : 'never'}</td>
<td class="sub">${a.status === 'needs_reconnect' ? html`<code>coffee-chat accounts connect ${a.provider}</code><br>` : ''}${a.lastError ?? ''}</td></tr>`,
)}
</tbody></table>`
    : ''
}
</section>`;
}

let zones: SafeHtml | undefined;
function zoneOptions(): SafeHtml {
  zones ??= html`${Intl.supportedValuesOf('timeZone').map((z) => html`<option value="${z}">`)}`;
  return zones;
}
