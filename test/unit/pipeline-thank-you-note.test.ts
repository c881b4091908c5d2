import { describe, expect, it } from '@jest/globals';
import { effectiveNote, extractNoteFromDescription } from '../../worker/pipeline/thank-you-note.ts';

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

describe('effectiveNote', () => {
  it('the note set with `chats note` wins over the event’s Notes section', () => {
    expect(effectiveNote('Talk to Priya on the growth team', 'something else')).toBe(
      'Talk to Priya on the growth team',
    );
  });
  it('falls back to the event’s Notes section (extracted at ingest), then to none', () => {
    expect(effectiveNote('  ', extractNoteFromDescription('Notes: something else'))).toBe('something else');
    expect(effectiveNote(null, extractNoteFromDescription('no notes here'))).toBeNull();
  });
});
