import { isBlank, joinLines, splitLines, type TextLine } from './text-lines';
import { rewriteContents, type TokenStrategy } from './strategy';

/** Zero-width space and byte-order mark: invisible to a reader, a token each to the model. */
const INVISIBLE = /[\u200B\uFEFF]/g;

/**
 * Outside code: line endings, trailing whitespace, invisible characters, runs of blank lines
 * (kept as one), and blank lines at the start and end. Indentation is never touched.
 */
export function normalizeWhitespace(content: string): string {
  const out: TextLine[] = [];
  for (const line of splitLines(content)) {
    if (line.code) {
      out.push(line);
      continue;
    }
    const text = line.text
      .replace(INVISIBLE, '')
      .replace(/\u00A0/g, ' ')
      .trimEnd();
    const previous = out[out.length - 1];
    if (text === '' && (previous === undefined || isBlank(previous))) continue;
    out.push({ text, code: false });
  }
  while (out.length > 0 && isBlank(out[out.length - 1]!)) out.pop();
  return joinLines(out);
}

const INDENTED = /^(?: {2}|\t)/;
const WIDE_GAP = / {3,}/g;

/** Inline code, column separators, and what code has and prose rarely does (quotes, `{};=<>$\\`). */
const NOT_PROSE = /[`|\t{};=<>$"\\]/;

/**
 * A line is collapsible when it is prose: not indented (code or nested lists), nothing that looks
 * like code (pasted code often comes without fences, and spaces inside its strings are data),
 * and not laid out in columns (two or more wide gaps).
 */
function isCollapsible(text: string): boolean {
  if (INDENTED.test(text) || NOT_PROSE.test(text)) return false;
  return (text.match(WIDE_GAP) ?? []).length < 2;
}

/** Runs of spaces inside prose lines become one space ("end.  Next" → "end. Next"). */
export function collapseSpaces(content: string): string {
  const lines = splitLines(content);
  let changed = false;
  for (const line of lines) {
    if (line.code || !isCollapsible(line.text)) continue;
    const leading = /^ ?/.exec(line.text)![0];
    const text = leading + line.text.slice(leading.length).replace(/ {2,}/g, ' ');
    if (text !== line.text) {
      line.text = text;
      changed = true;
    }
  }
  return changed ? joinLines(lines) : content;
}

export const normalizeWhitespaceStrategy: TokenStrategy = {
  name: 'normalize-whitespace',
  risk: 'none',
  affects: 'prompt',
  apply: (body) => rewriteContents(body, normalizeWhitespace),
};

export const collapseSpacesStrategy: TokenStrategy = {
  name: 'collapse-spaces',
  risk: 'low',
  affects: 'prompt',
  apply: (body) => rewriteContents(body, collapseSpaces),
};
