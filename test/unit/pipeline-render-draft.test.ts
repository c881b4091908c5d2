import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDraft, renderPrepDescription, renderPrepTitle } from '../../worker/pipeline/render-draft.ts';

const from = {
  name: 'Sam Rivera',
  email: 'sam@example.com',
  signature: 'Sam Rivera\nData analyst, moving into product',
};
const ana = { name: 'Ana Lopez', email: 'ana@x.com' };
// Tue 10 Mar 2026, 9:00 AM in Los Angeles (after the US DST change, before the UK's)
const chat = {
  start: new Date('2026-03-10T16:00:00Z'),
  end: new Date('2026-03-10T16:20:00Z'),
  userZone: 'America/Los_Angeles',
  contactZone: 'Europe/London',
  conferenceUrl: 'https://meet.google.com/abc-defg-hij',
};
const hostile = '<script>alert("x")</script>';

describe('confirmation draft', () => {
  const draft = renderDraft('confirmation', { from, to: ana, chat });

  it('matches its snapshot', () => expect(draft).toMatchSnapshot());

  it('greets by first name and gives the link, both zones (Ana’s first) and the short duration', () => {
    expect(draft.text).toMatch(/^Hi Ana,/);
    expect(draft.text).toContain(
      'Tuesday, Mar 10, 4:00 PM your time (GMT) / 9:00 AM for me in Los Angeles (PDT)',
    );
    expect(draft.text).toContain('Google Meet: https://meet.google.com/abc-defg-hij');
    expect(draft.text).toContain('20 minutes');
    expect(draft.html).toContain('<a href="https://meet.google.com/abc-defg-hij">');
  });

  it('the subject gives the day on the contact’s side', () => {
    const tokyo = renderDraft('confirmation', {
      from,
      to: ana,
      chat: { ...chat, contactZone: 'Asia/Tokyo' },
    });
    expect(tokyo.subject).toBe('Confirming our chat on Wednesday, Mar 11');
  });

  it('without a link or place shows a placeholder the user cannot miss', () => {
    const d = renderDraft('confirmation', { from, to: ana, chat: { ...chat, conferenceUrl: null } });
    expect(d.text).toContain('[ADD THE MEETING LINK OR PLACE — this draft is not ready to send]');
  });

  it('a javascript: link is never made a link', () => {
    const d = renderDraft('confirmation', {
      from,
      to: ana,
      chat: { ...chat, conferenceUrl: null, location: 'javascript:alert(1)' },
    });
    expect(d.html).not.toContain('href="javascript');
  });

  it('a hostile location is escaped in HTML', () => {
    const d = renderDraft('confirmation', {
      from,
      to: ana,
      chat: { ...chat, conferenceUrl: null, location: hostile },
    });
    expect(d.html).not.toContain('<script>');
    expect(d.html).toContain('&lt;script&gt;');
  });
});

describe('thank-you draft', () => {
  const note = 'keep a brag document of what you ship';
  const draft = renderDraft('thank-you', { from, to: ana, note });

  it('matches its snapshot', () => expect(draft).toMatchSnapshot());

  it('thanks them by first name, cites the note and says they’d like to stay in touch', () => {
    expect(draft.subject).toBe('Thank you, Ana');
    expect(draft.text).toMatch(/^Hi Ana,\n\nThank you for taking the time/);
    expect(draft.text).toContain('keep a brag document of what you ship.');
    expect(draft.html).toContain('keep a brag document of what you ship.');
    expect(draft.text).toMatch(/stay in touch/);
    expect(draft.text).not.toContain('not ready to send');
  });

  it('signs with the user’s signature, else their name', () => {
    expect(draft.text.trimEnd().endsWith('Sam Rivera\nData analyst, moving into product')).toBe(true);
    const plain = renderDraft('thank-you', {
      from: { name: 'Sam Rivera', email: 'sam@example.com' },
      to: ana,
      note,
    });
    expect(plain.text.trimEnd().endsWith('With thanks,\nSam Rivera')).toBe(true);
  });

  it('without a note shows the unmissable placeholder, in both parts', () => {
    const d = renderDraft('thank-you', { from, to: ana, note: null });
    expect(d).toMatchSnapshot();
    expect(d.text).toContain("[ADD THE ONE PIECE OF ADVICE YOU'LL ACT ON — this draft is not ready to send]");
    expect(d.html).toContain(
      'ADD THE ONE PIECE OF ADVICE YOU&#x27;LL ACT ON — this draft is not ready to send',
    );
  });

  it('a <script> in the contact’s name or the note is escaped in HTML and left as typed in text', () => {
    const d = renderDraft('thank-you', {
      from,
      to: { name: hostile, email: 'eve@x.com' },
      note: `try ${hostile}`,
    });
    expect(d.html).not.toContain('<script>');
    expect(d.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(d.text).toContain(hostile);
  });

  it('finds the first name in "Lopez, Ana", "Dr. Ana Lopez" and ana.lopez@x.com', () => {
    for (const to of [
      { name: 'Lopez, Ana', email: 'a@x.com' },
      { name: 'Dr. Ana Lopez', email: 'a@x.com' },
      { email: 'ana.lopez@x.com' },
    ]) {
      expect(renderDraft('thank-you', { from, to, note }).text).toMatch(/^Hi Ana,/);
    }
  });

  it('without a usable name, asks for the first name instead of guessing', () => {
    expect(renderDraft('thank-you', { from, to: { email: 'jsmith@x.com' }, note }).text).toMatch(
      /^Hi \[THEIR FIRST NAME — this draft is not ready to send\],/,
    );
  });

  it('a multi-line note keeps its lines in HTML', () => {
    expect(renderDraft('thank-you', { from, to: ana, note: 'ship small\nwrite about it' }).html).toContain(
      'ship small<br>\nwrite about it.',
    );
  });
});

describe('check-in draft', () => {
  const draft = renderDraft('check-in', {
    from,
    to: ana,
    chatStart: chat.start,
    userZone: chat.userZone,
    note: 'talk to Priya on the growth team.',
  });

  it('matches its snapshot', () => expect(draft).toMatchSnapshot());

  it('is a short update with a placeholder for the update or article, and no ask', () => {
    expect(draft.subject).toBe('A quick update since we spoke in March');
    expect(draft.text).toContain('when you suggested: "talk to Priya on the growth team".');
    expect(draft.text).toMatch(
      /\[ADD A TWO-LINE UPDATE .* OR A LINK TO AN ARTICLE .* — this draft is not ready to send\]/,
    );
    expect(draft.text).toContain('No need to reply');
    expect(draft.text).not.toMatch(/would you|could you|can you/i);
  });

  it('works without the chat date or note', () => {
    const d = renderDraft('check-in', { from, to: ana });
    expect(d.subject).toBe('A quick update');
    expect(d.text).toContain('A short update.');
  });
});

describe('outreach draft', () => {
  const why = 'you moved from analytics into product at a payments company, the move I am trying to make';
  const draft = renderDraft('outreach', {
    from,
    to: ana,
    why,
    intro: "I'm a data analyst at a logistics startup, looking at product roles.",
  });

  it('matches its snapshot', () => expect(draft).toMatchSnapshot());

  it('gives the specific reason, asks for advice not a job, 15–20 minutes on a flexible platform', () => {
    expect(draft.text).toContain(`${why}.`);
    expect(draft.text).toContain("I'm a data analyst at a logistics startup");
    expect(draft.text).toMatch(/not asking about a job or a referral/);
    expect(draft.text).toContain('15–20 minutes');
    expect(draft.text).toMatch(/whichever is easiest for you/);
  });

  it('without an intro shows a placeholder', () => {
    expect(renderDraft('outreach', { from, to: ana, why }).text).toContain(
      "[ADD ONE LINE ABOUT YOU AND WHAT YOU'RE EXPLORING — this draft is not ready to send]",
    );
  });

  it('a hostile --why is escaped in HTML', () => {
    expect(renderDraft('outreach', { from, to: ana, why: hostile }).html).not.toContain('<script>');
  });
});

describe('prep description', () => {
  const model = { contact: ana, chat: { ...chat, title: 'Coffee with Ana' }, chatId: 'chat1' };
  const text = renderPrepDescription(model);

  it('matches its snapshot', () => expect(text).toMatchSnapshot());

  it('has the checklist: role and history, company news, responsibilities, 5–7 questions, logistics', () => {
    expect(text).toMatch(/Their role and history/);
    expect(text).toMatch(/Recent company news/);
    expect(text).toMatch(/The role's responsibilities/);
    const questions = text.split('\n').filter((l) => /^\d+\. .*\?$/.test(l));
    expect(questions.length).toBeGreaterThanOrEqual(5);
    expect(questions.length).toBeLessThanOrEqual(7);
    expect(text).toContain('Tue, Mar 10, 9:00 AM your time (PDT) / Tue, Mar 10, 4:00 PM London time (GMT)');
    expect(text).toContain('https://meet.google.com/abc-defg-hij');
  });

  it('says to start wrapping up five minutes before the end, in the user’s zone', () => {
    expect(text).toContain('Start wrapping up at 9:15 AM (your time)');
  });

  it('the title names the chat', () => {
    expect(renderPrepTitle(model)).toBe('Prep: Coffee with Ana');
  });
});

describe('templates folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffee-templates-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a user templates folder overrides only the files it has', () => {
    mkdirSync(join(dir, 'thank-you'));
    writeFileSync(join(dir, 'thank-you', 'subject.hbs'), 'Thanks so much, {{firstName}}!');
    const d = renderDraft('thank-you', { from, to: ana, note: 'x' }, { templatesDir: dir });
    expect(d.subject).toBe('Thanks so much, Ana!');
    expect(d.text).toMatch(/^Hi Ana,/);
  });

  it('HTML templates in a user folder still escape what comes from outside', () => {
    mkdirSync(join(dir, 'outreach'));
    writeFileSync(join(dir, 'outreach', 'body.html.hbs'), '<p>{{why}}</p>');
    expect(renderDraft('outreach', { from, to: ana, why: hostile }, { templatesDir: dir }).html).toBe(
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>\n',
    );
  });
});
