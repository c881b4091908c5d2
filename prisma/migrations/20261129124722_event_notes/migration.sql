-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "notes" TEXT;

-- Backfill for events synced before the column existed (later ones get it at ingest): the same
-- extraction as extractNoteFromDescription in worker/pipeline/thank-you-note.ts, line by line.
CREATE FUNCTION pg_temp.coffee_chat_note(description text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  lines text[];
  heading_at int := 0;
  body text[];
  line text;
  note text;
BEGIN
  IF description IS NULL OR description = '' THEN
    RETURN NULL;
  END IF;
  lines := regexp_split_to_array(regexp_replace(description, E'\r\n?', E'\n', 'g'), E'\n');
  FOR i IN 1 .. coalesce(array_length(lines, 1), 0) LOOP
    IF lines[i] ~* '^\s*(?:[#*_>-]\s*)*notes?\s*[*_]*\s*:' THEN
      heading_at := i;
      EXIT;
    END IF;
  END LOOP;
  IF heading_at = 0 THEN
    RETURN NULL;
  END IF;
  body := ARRAY[regexp_replace(lines[heading_at], '^\s*(?:[#*_>-]\s*)*notes?\s*[*_]*\s*:\s*[*_]*', '', 'i')];
  FOR i IN heading_at + 1 .. coalesce(array_length(lines, 1), 0) LOOP
    line := lines[i];
    -- a separator line (Google's Meet block, Teams' underscores) or another heading ends the note
    EXIT WHEN line ~ '^\s*(?:-::~[:~]*|_{5,}|-{5,}|={5,}|─{3,})'
      OR line ~ '^\s*[A-Z][A-Za-z ]{0,30}:\s*$'
      OR line ~* '^\s*join (?:zoom|microsoft teams|with google meet)';
    body := body || line;
  END LOOP;
  SELECT string_agg(regexp_replace(t.l, '^\s+|\s+$', '', 'g'), E'\n' ORDER BY t.n) INTO note
  FROM unnest(body) WITH ORDINALITY AS t(l, n);
  note := regexp_replace(regexp_replace(note, E'\n{3,}', E'\n\n', 'g'), '^\s+|\s+$', '', 'g');
  RETURN nullif(note, '');
END
$$;

UPDATE "Event"
SET "notes" = pg_temp.coffee_chat_note("payload"->>'description')
WHERE "payload"->>'description' ~* 'notes?\s*[*_]*\s*:';
