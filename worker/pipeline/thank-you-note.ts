// The one piece of advice the user wants the thank-you to cite: set with
// `coffee-chat chats note ID "..."`, or written into the event under a "Notes:" heading.

/**
 * The text under a "Notes:" (or "Note:") heading of an event description, up to the next
 * heading, separator line or the provider's appended meeting block; null when there is none.
 * "Notes: keep a brag doc" on one line works too.
 */
export function extractNoteFromDescription(text: string | null | undefined): string | null {
  if (!text) return null;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headingAt = lines.findIndex((l) => /^\s*(?:[#*_>-]\s*)*notes?\s*[*_]*\s*:/i.test(l));
  if (headingAt < 0) return null;

  const first = lines[headingAt]!.replace(/^\s*(?:[#*_>-]\s*)*notes?\s*[*_]*\s*:\s*[*_]*/i, '');
  const body: string[] = [first];
  for (const line of lines.slice(headingAt + 1)) {
    if (isSeparator(line) || isHeading(line)) break;
    body.push(line);
  }
  const note = body
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return note === '' ? null : note;
}

/** Where the cited note came from: the user's own words, or the event's description. */
export interface CitedNote {
  text: string;
  /**
   * Taken from the event's description, which the other person may have written (an invite they
   * sent, or one they may edit): the draft marks it for review rather than presenting it as the
   * user's own words.
   */
  fromDescription: boolean;
}

/** What the draft marks a note taken from the description with; the user deletes it on review. */
export const DESCRIPTION_NOTE_CHECK = "[check: taken from the invite's description]";

/**
 * The explicit note wins; else the event's "Notes:" section (extracted at ingest), marked as coming
 * from the description; else null (the draft shows a placeholder).
 */
export function citedNote(
  explicitNote: string | null | undefined,
  eventNotes: string | null | undefined,
): CitedNote | null {
  const explicit = explicitNote?.trim();
  if (explicit) return { text: explicit, fromDescription: false };
  const fromEvent = eventNotes?.trim();
  return fromEvent ? { text: fromEvent, fromDescription: true } : null;
}

// Google appends "-::~:~::~:~..." around the Meet block; Teams a line of underscores.
function isSeparator(line: string): boolean {
  return /^\s*(?:-::~[:~]*|_{5,}|-{5,}|={5,}|─{3,})/.test(line);
}

/** Another section of the description ("Agenda:", "Join Zoom Meeting"). */
function isHeading(line: string): boolean {
  return (
    /^\s*[A-Z][A-Za-z ]{0,30}:\s*$/.test(line) ||
    /^\s*join (?:zoom|microsoft teams|with google meet)/i.test(line)
  );
}
