// Event bodies arrive as HTML (Google's web UI writes it into descriptions; Graph bodies are HTML);
// the neutral model carries plain text. A kept converter does the work: entities, lists, links
// ("text (url)") and line breaks, without re-wrapping lines or shouting headings.
import { convert } from 'html-to-text';

const LOOKS_LIKE_HTML = /<[a-z!/][^>]*>|&[a-z#0-9]+;/i;

export function htmlToText(html: string): string {
  if (!LOOKS_LIKE_HTML.test(html)) return html;
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['(', ')'] } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', options: { uppercaseHeaderCells: false } },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
