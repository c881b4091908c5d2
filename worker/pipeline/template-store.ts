// Loads and compiles the draft templates, once per file. The one place in the pipeline that
// reads files. A user's templates folder (TEMPLATES_DIR, passed in by the caller) may hold only
// the files they changed: anything missing there comes from the built-in `templates/`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** 'html' escapes every value (anything from outside may hold markup); 'text' leaves text as written. */
export type TemplateMode = 'html' | 'text';

type Compiled = (context: unknown) => string;

// An engine of our own, so a user template can't see or register global helpers.
const engine = Handlebars.create();
// Multi-line values (a signature, a note) in HTML: escaped first, then line breaks.
engine.registerHelper('lines', (value: unknown) => {
  const text = value == null ? '' : String(value);
  return new engine.SafeString(engine.Utils.escapeExpression(text).replace(/\r?\n/g, '<br>\n'));
});

const cache = new Map<string, Compiled>();

/** The compiled template `relPath` (e.g. "thank-you/body.html.hbs"), from `templatesDir` or the built-in set. */
export function loadTemplate(relPath: string, mode: TemplateMode, templatesDir?: string | null): Compiled {
  const custom = templatesDir ? join(templatesDir, relPath) : null;
  const path = custom && existsSync(custom) ? custom : join(DEFAULT_TEMPLATES_DIR, relPath);
  const key = `${mode}\u0000${path}`;
  let compiled = cache.get(key);
  if (!compiled) {
    const source = readFileSync(path, 'utf8');
    compiled = engine.compile(source, { noEscape: mode === 'text' });
    cache.set(key, compiled);
  }
  return compiled;
}

/** Forget compiled templates (tests that rewrite a templates folder). */
export function clearTemplateCache(): void {
  cache.clear();
}
