import { describe, expect, it } from '@jest/globals';
import {
  citedNote,
  DESCRIPTION_NOTE_CHECK,
  extractNoteFromDescription,
} from '../../worker/pipeline/thank-you-note.ts';
import { renderDraft } from '../../worker/pipeline/render-draft.ts';

describe('extractNoteFromDescription', () => {
  it('reads the note under a "Notes:" heading', () => {
    expect(
      extractNoteFromDescription('Agenda: career switch\n\nNotes:\nKeep a brag document of shipped work.\n'),
    ).toBe('Keep a brag document of shipped work.');
  });

  it('reads a note written on the heading line', () => {
    expect(extractNoteFromDescription('notes: talk to the data platform team first')).toBe(
      'talk to the data platform team first',
    );
  });

  it('keeps a multi-line note, and stops at the next heading', () => {
    expect(
      extractNoteFromDescription('Notes:\nShip something small.\nThen write about it.\nAgenda:\n- intro'),
    ).toBe('Ship something small.\nThen write about it.');
  });

  it('stops before the Meet block Google appends', () => {
    const description =
      'Notes: learn SQL window functions\n\n-::~:~::~:~:~:~:~::~:~::-\nJoin with Google Meet: https://meet.google.com/abc-defg-hij\n-::~:~::~:~::-';
    expect(extractNoteFromDescription(description)).toBe('learn SQL window functions');
  });

  it('has no note when there is no heading, or the section is empty', () => {
    expect(extractNoteFromDescription('Coffee with Ana')).toBeNull();
    expect(extractNoteFromDescription('Notes:\n\n')).toBeNull();
    expect(extractNoteFromDescription('')).toBeNull();
    expect(extractNoteFromDescription(null)).toBeNull();
  });

  it('does not mistake a word ending in "notes" for the heading', () => {
    expect(extractNoteFromDescription('Footnotes: none')).toBeNull();
  });
});

describe('citedNote', () => {
  it('the note set with `chats note` wins over the event’s Notes section, as the user’s own words', () => {
    expect(citedNote('Talk to Priya on the growth team', 'something else')).toEqual({
      text: 'Talk to Priya on the growth team',
      fromDescription: false,
    });
  });
  it('falls back to the event’s Notes section (extracted at ingest), marked as from the description, then to none', () => {
    expect(citedNote('  ', extractNoteFromDescription('Notes: something else'))).toEqual({
      text: 'something else',
      fromDescription: true,
    });
    expect(citedNote(null, extractNoteFromDescription('no notes here'))).toBeNull();
  });
});

describe('a thank-you citing the description', () => {
  const from = { name: 'Sam Lee', email: 'sam@example.com', signature: null };
  const to = { name: 'Ana Ruiz', email: 'ana@example.org' };
  it('shows the note with a visible check the user deletes, in text and HTML', () => {
    const d = renderDraft('thank-you', { from, to, note: 'Keep a brag doc', noteFromDescription: true });
    expect(d.text).toContain(`Keep a brag doc. ${DESCRIPTION_NOTE_CHECK}`);
    expect(d.html).toContain('Keep a brag doc. [check: taken from the invite&#x27;s description]');
  });
  it('a note of the user’s own carries no check', () => {
    const d = renderDraft('thank-you', { from, to, note: 'Keep a brag doc' });
    expect(d.text).toContain('Keep a brag doc.');
    expect(d.text).not.toContain('[check:');
  });
});
