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

/**
 * The explicit note wins; else the event's "Notes:" section (extracted at ingest); else null (the
 * draft shows a placeholder).
 */
export function effectiveNote(
  explicitNote: string | null | undefined,
  eventNotes: string | null | undefined,
): string | null {
  const explicit = explicitNote?.trim();
  if (explicit) return explicit;
  return eventNotes?.trim() || null;
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
