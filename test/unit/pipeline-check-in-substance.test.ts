// Issue 16 items 5 and 6, the pure parts: a check-in carrying the user's material (an article, or
// what they did with the advice) instead of the placeholder, asking for nothing; and the edit
// distance between what we drafted and what was sent, with quoting and signatures left out.
import { describe, expect, it } from '@jest/globals';
import { renderDraft } from '../../worker/pipeline/render-draft.ts';
import {
  SMALL_EDIT,
  comparableText,
  editDistance,
  editShares,
  levenshtein,
} from '../../worker/pipeline/edit-distance.ts';

const from = { name: 'Sam Rivera', email: 'sam@example.com', signature: 'Sam' };
const ana = { name: 'Ana Lopez', email: 'ana@x.com' };
const base = {
  from,
  to: ana,
  chatStart: new Date('2026-03-10T16:00:00Z'),
  userZone: 'America/Los_Angeles',
  contactZone: 'Europe/London',
};

describe('a check-in with material', () => {
  it('an article: why they would value it and the link, no placeholder, no question', () => {
    const d = renderDraft('check-in', {
      ...base,
      material: {
        kind: 'article',
        url: 'https://example.org/a?x=1&y=2',
        note: 'it answers your question on hiring.',
      },
    });
    expect(d.text).toContain(
      "I read something I thought you'd value (it answers your question on hiring): https://example.org/a?x=1&y=2",
    );
    expect(d.html).toContain('<a href="https://example.org/a?x&#x3D;1&amp;y&#x3D;2">');
    expect(d.text).not.toMatch(/\[add/i);
    expect(d.html).not.toContain('background:#ffe08a');
    expect(d.text).not.toMatch(/\?\s*$/m);
    expect(d.text).toContain('No need to reply');
  });

  it('an update: the user’s own words, as a sentence', () => {
    const d = renderDraft('check-in', {
      ...base,
      material: { kind: 'update', text: 'I talked to the platform team before applying' },
    });
    expect(d.text).toContain('\nI talked to the platform team before applying.\n');
    expect(d.text).not.toMatch(/\[add/i);
  });

  it('outside text is escaped in the HTML', () => {
    const d = renderDraft('check-in', {
      ...base,
      material: { kind: 'update', text: '<img src=x onerror=alert(1)> shipped it' },
    });
    expect(d.html).not.toContain('<img');
    expect(d.html).toContain('&lt;img');
  });

  it('without material the placeholder stays', () => {
    expect(renderDraft('check-in', base).text).toMatch(/\[add a two-line update/i);
  });
});

describe('edit distance', () => {
  it('Levenshtein counts inserts, deletes and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  const drafted = 'Hi Ana,\n\nThank you for taking the time to talk with me.\n\nWith thanks,\nSam\n';

  it('sent as drafted: 0, whatever the layout, quote marks or line wrapping', () => {
    expect(
      editDistance(
        drafted,
        'Hi Ana,\r\n\r\nThank you for taking the time\r\nto talk with me.\r\n\r\nWith thanks,\r\nSam',
      ),
    ).toBe(0);
    expect(editDistance('She said “go”.', 'She said "go".')).toBe(0);
  });

  it('the quoted thread and a "-- " signature block are not the user’s edit', () => {
    const sent = `${drafted}\n-- \nSam Rivera | Data analyst\n+1 555 0100\n\nOn Tue, Mar 10, 2026 at 9:00 AM Ana Lopez <ana@x.com> wrote:\n> Great to meet you!\n`;
    expect(comparableText(sent)).toBe(comparableText(drafted));
    expect(editDistance(drafted, sent)).toBe(0);
    const outlook = `${drafted}\n________________________________\nFrom: Ana Lopez <ana@x.com>\nSent: Tuesday\n\nGreat to meet you!`;
    expect(editDistance(drafted, outlook)).toBe(0);
  });

  it('a word changed is a small edit; a rewrite is not', () => {
    const small = drafted.replace('Thank you', 'Thanks so much');
    expect(editDistance(drafted, small)).toBeGreaterThan(0);
    expect(editDistance(drafted, small)).toBeLessThanOrEqual(SMALL_EDIT);
    const rewrite = 'Ana — loved our talk. I will try the platform team first and write back in a month. Sam';
    expect(editDistance(drafted, rewrite)).toBeGreaterThan(0.5);
    expect(editDistance(drafted, '')).toBe(1);
  });

  it('per kind: the share sent with at most a small edit, and the median change', () => {
    expect(
      editShares([
        { kind: 'thank_you', editDistance: 0 },
        { kind: 'thank_you', editDistance: 0.05 },
        { kind: 'thank_you', editDistance: 0.4 },
        { kind: 'thank_you', editDistance: null },
        { kind: 'check_in', editDistance: 0.3 },
      ]),
    ).toEqual([
      { kind: 'check_in', sent: 1, measured: 1, smallEdit: 0, share: 0, median: 0.3 },
      { kind: 'thank_you', sent: 4, measured: 3, smallEdit: 2, share: 0.667, median: 0.05 },
    ]);
    expect(editShares([])).toEqual([]);
  });
});
