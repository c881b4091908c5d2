// Graph turns an HTML body into text when asked (`Prefer: outlook.body-content-type="text"`,
// https://learn.microsoft.com/en-us/graph/api/resources/itembody). The sandbox does it with a
// kept converter, its own copy so that it never borrows production code: entities, lists,
// links as "text (url)" and line breaks, without re-wrapping lines or shouting headings.
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
