// The subset of Gmail's search language the sandbox understands, as used by messages.list `q`:
// from:, to: (To/Cc/Bcc), cc:, subject:, after:, before:, older_than:, newer_than:, in:, is:,
// label:, rfc822msgid:, bare words and "phrases", `-` negation, `OR`, `{a b}` (any of) and `( )`.
// Operators: https://support.google.com/mail/answer/7190
// API filtering notes (dates in YYYY/MM/DD are midnight Pacific; epoch seconds are exact):
// https://developers.google.com/gmail/api/guides/filtering
import { DateTime } from 'luxon';

export interface SearchableMessage {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  text: string;
  labelIds: Set<string>;
  internalDate: number;
  rfc822MsgId: string;
}

type Node =
  | { t: 'and'; items: Node[] }
  | { t: 'or'; items: Node[] }
  | { t: 'not'; item: Node }
  | { t: 'term'; op: string | null; value: string };

type Tok = { k: '(' | ')' | '{' | '}' | '-' | 'OR' } | { k: 'word'; op: string | null; value: string };

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '{' || c === '}') {
      out.push({ k: c });
      i++;
      continue;
    }
    if (c === '-' && i + 1 < q.length && !/\s/.test(q[i + 1]!)) {
      out.push({ k: '-' });
      i++;
      continue;
    }
    // a word, maybe op:value, value maybe quoted
    let op: string | null = null;
    const m = /^([a-zA-Z_0-9]+):/.exec(q.slice(i));
    if (m) {
      op = m[1]!.toLowerCase();
      i += m[0].length;
    }
    let value = '';
    if (q[i] === '"') {
      const end = q.indexOf('"', i + 1);
      value = q.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? q.length : end + 1;
    } else {
      const start = i;
      while (i < q.length && !/[\s(){}]/.test(q[i]!)) i++;
      value = q.slice(start, i);
    }
    if (op === null && value === 'OR') out.push({ k: 'OR' });
    else out.push({ k: 'word', op, value });
  }
  return out;
}

export function parseGmailQuery(q: string): Node {
  const toks = tokenize(q);
  let pos = 0;
  const parseSeq = (close?: ')' | '}'): Node[] => {
    const items: Node[] = [];
    while (pos < toks.length) {
      const t = toks[pos]!;
      if (close && t.k === close) {
        pos++;
        return items;
      }
      if (t.k === ')' || t.k === '}') {
        pos++;
        continue;
      }
      items.push(parseOr());
    }
    return items;
  };
  const parseOr = (): Node => {
    const first = parseUnary();
    const items = [first];
    while (toks[pos]?.k === 'OR') {
      pos++;
      items.push(parseUnary());
    }
    return items.length === 1 ? first : { t: 'or', items };
  };
  const parseUnary = (): Node => {
    const t = toks[pos++];
    if (!t) return { t: 'and', items: [] };
    if (t.k === '-') return { t: 'not', item: parseUnary() };
    if (t.k === '(') return { t: 'and', items: parseSeq(')') };
    if (t.k === '{') return { t: 'or', items: parseSeq('}') };
    if (t.k === 'word') return { t: 'term', op: t.op, value: t.value };
    return { t: 'and', items: [] };
  };
  return { t: 'and', items: parseSeq() };
}

function parseDate(v: string, now: Date): number | null {
  if (/^\d{9,}$/.test(v)) return Number(v) * 1000;
  const m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(v);
  if (m) {
    return DateTime.fromObject(
      { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) },
      { zone: 'America/Los_Angeles' },
    ).toMillis();
  }
  void now;
  return null;
}

function relative(v: string, now: Date): number | null {
  const m = /^(\d+)([dmy])$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const dt = DateTime.fromJSDate(now);
  return (
    unit === 'd' ? dt.minus({ days: n }) : unit === 'm' ? dt.minus({ months: n }) : dt.minus({ years: n })
  ).toMillis();
}

const LOCATIONS: Record<string, string> = {
  inbox: 'INBOX',
  sent: 'SENT',
  drafts: 'DRAFT',
  draft: 'DRAFT',
  spam: 'SPAM',
  trash: 'TRASH',
  starred: 'STARRED',
  important: 'IMPORTANT',
};

function matchTerm(m: SearchableMessage, op: string | null, raw: string, now: Date): boolean {
  const v = raw.toLowerCase();
  switch (op) {
    case 'from':
      return m.from.toLowerCase().includes(v);
    case 'to':
      return [m.to, m.cc, m.bcc].some((s) => s.toLowerCase().includes(v));
    case 'cc':
      return m.cc.toLowerCase().includes(v);
    case 'bcc':
      return m.bcc.toLowerCase().includes(v);
    case 'subject':
      return m.subject.toLowerCase().includes(v);
    case 'after': {
      const d = parseDate(raw, now);
      return d !== null && m.internalDate >= d;
    }
    case 'before': {
      const d = parseDate(raw, now);
      return d !== null && m.internalDate < d;
    }
    case 'newer_than': {
      const d = relative(raw, now);
      return d !== null && m.internalDate >= d;
    }
    case 'older_than': {
      const d = relative(raw, now);
      return d !== null && m.internalDate < d;
    }
    case 'in':
      if (v === 'anywhere') return true;
      return m.labelIds.has(LOCATIONS[v] ?? v.toUpperCase());
    case 'is':
      if (v === 'unread') return m.labelIds.has('UNREAD');
      if (v === 'read') return !m.labelIds.has('UNREAD');
      if (v === 'draft') return m.labelIds.has('DRAFT');
      return m.labelIds.has(v.toUpperCase());
    case 'label':
      return m.labelIds.has(v.toUpperCase()) || m.labelIds.has(raw);
    case 'rfc822msgid':
      return m.rfc822MsgId.replace(/^<|>$/g, '').toLowerCase() === v.replace(/^<|>$/g, '');
    case null:
      return [m.subject, m.text, m.from, m.to].some((s) => s.toLowerCase().includes(v));
    default:
      return false;
  }
}

export function evaluate(node: Node, m: SearchableMessage, now: Date): boolean {
  switch (node.t) {
    case 'and':
      return node.items.every((n) => evaluate(n, m, now));
    case 'or':
      return node.items.some((n) => evaluate(n, m, now));
    case 'not':
      return !evaluate(node.item, m, now);
    case 'term':
      return matchTerm(m, node.op, node.value, now);
  }
}

/** Whether the query names a location that includes spam/trash/drafts explicitly. */
export function mentions(node: Node, op: string, value: string): boolean {
  switch (node.t) {
    case 'and':
    case 'or':
      return node.items.some((n) => mentions(n, op, value));
    case 'not':
      return mentions(node.item, op, value);
    case 'term':
      return node.op === op && node.value.toLowerCase() === value;
  }
}
