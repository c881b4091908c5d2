// Types shared by the draft and prep renderers (render-draft.ts, render-prep.ts), here so that
// neither imports the other.

export interface ChatWhen {
  start: Date;
  end: Date;
  userZone: string;
  contactZone: string | null;
  /** Replaces the city in "Tokyo time" on the user's side (the prep block); drafts call the contact "you". */
  contactLabel?: string | null;
  conferenceUrl?: string | null;
  location?: string | null;
}

export interface RenderOptions {
  /** The user's templates folder (TEMPLATES_DIR); missing files come from the built-in set. */
  templatesDir?: string | null;
}
