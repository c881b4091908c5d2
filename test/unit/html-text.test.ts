import { htmlToText } from '../../integrations/html-text.ts';

describe('event bodies in HTML become readable text', () => {
  it('keeps the Notes: section a user wrote in the Calendar web UI', () => {
    const html =
      '<p>Agenda</p><p><b>Notes:</b> ship a small portfolio piece first &amp; ask for feedback</p>';
    expect(htmlToText(html)).toBe('Agenda\n\nNotes: ship a small portfolio piece first & ask for feedback');
  });

  it('keeps links, list items and line breaks', () => {
    const text = htmlToText(
      'Join: <a href="https://meet.example/abc">meeting link</a><br>Topics:<ul><li>path</li><li>team</li></ul>',
    );
    expect(text).toContain('meeting link (https://meet.example/abc)');
    expect(text).toMatch(/\* path\n\s*\* team/);
  });

  it('leaves plain text untouched, including angle brackets that are not tags', () => {
    expect(htmlToText('Coffee 2 < 3 pm, bring notes')).toBe('Coffee 2 < 3 pm, bring notes');
  });

  it('drops scripts and styles', () => {
    expect(htmlToText('<style>p{}</style><script>alert(1)</script><p>Hi</p>')).toBe('Hi');
  });
});
