// How much the user changed a draft before sending it: a normalised edit distance between the
// text we drafted and the text that went out. Pure. Only the words the user wrote count: the
// quoted thread under a reply, a signature block and differences in whitespace, quote marks or
// line breaks (a provider's HTML→text, an editor re-wrapping lines) are left out of both sides.

/** A draft sent with at most this share changed counts as "sent with a small edit". */
export const SMALL_EDIT = 0.1;

/**
 * Longest text compared, per side (characters after normalising). A check-in or thank-you is a
 * few hundred; past this the rest is cut so one pasted essay cannot cost seconds of CPU.
 */
export const COMPARE_MAX = 4_000;

/** Where a reply's quoted part begins: "On … wrote:", Outlook's header block, a forwarded message. */
const QUOTE_START = [
  /^\s*On .{1,200}wrote:\s*$/,
  /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i,
  /^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$/i,
  /^\s*From:\s.+$/, // Outlook: From / Sent / To / Subject above the quoted message
  /^\s*_{10,}\s*$/, // Outlook desktop's rule above that block
];

/** The words the user wrote, without the quoted thread, a "-- " signature, or layout noise. */
export function comparableText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (/^-- ?$/.test(line)) break; // RFC 3676 §4.3 signature separator
    if (QUOTE_START.some((re) => re.test(line))) break;
    if (/^\s*>/.test(line)) continue; // quoted line
    kept.push(line);
  }
  return kept
    .join('\n')
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u00a0/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, COMPARE_MAX);
}

/** Levenshtein distance (insert, delete, substitute: 1 each), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length < b.length) [a, b] = [b, a];
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * 0 when the sent text is what we drafted, 1 when nothing of it is left: the Levenshtein distance
 * between the comparable texts over the longer one's length (so a long addition and a long
 * deletion both count as large edits). Rounded to 4 places.
 */
export function editDistance(drafted: string, sent: string): number {
  const a = comparableText(drafted);
  const b = comparableText(sent);
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 0;
  return Math.round((levenshtein(a, b) / longer) * 10_000) / 10_000;
}

export interface EditShare {
  kind: string;
  /** Drafts of this kind detected as sent. */
  sent: number;
  /** Of those, how many had both texts to compare. */
  measured: number;
  /** Of those, how many went out with at most SMALL_EDIT changed. */
  smallEdit: number;
  /** smallEdit / measured (null when nothing was measured). */
  share: number | null;
  /** The middle edit distance of the measured ones (null when none). */
  median: number | null;
}

/** Per draft kind, the share of sent drafts that went out with at most a small edit. */
export function editShares(sent: { kind: string; editDistance: number | null }[]): EditShare[] {
  const byKind = new Map<string, { kind: string; editDistance: number | null }[]>();
  for (const d of sent) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d]);
  return [...byKind.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, rows]) => {
      const measured = rows
        .map((r) => r.editDistance)
        .filter((x): x is number => x !== null)
        .sort((x, y) => x - y);
      const small = measured.filter((x) => x <= SMALL_EDIT).length;
      const mid = measured.length / 2;
      const median =
        measured.length === 0
          ? null
          : measured.length % 2
            ? measured[Math.floor(mid)]!
            : (measured[mid - 1]! + measured[mid]!) / 2;
      return {
        kind,
        sent: rows.length,
        measured: measured.length,
        smallEdit: small,
        share: measured.length ? Math.round((small / measured.length) * 1000) / 1000 : null,
        median: median === null ? null : Math.round(median * 10_000) / 10_000,
      };
    });
}
