import { InputError } from './cli-input';

/**
 * The shared data formats (../shared/data/README.md) that every evaluation and benchmark reads,
 * parsed with the file's own line numbers in every error. Pure: callers read the file.
 */

/** A prompts line: `{"prompt", "id", "raw_occurrences", "source"}`. */
export interface PromptRow {
  id: string;
  prompt: string;
  raw_occurrences?: number;
}

/** A labelled pairs line: `{"a", "b", "duplicate", "source"?}`; `a` plays the cached prompt. */
export interface PairRow {
  a: string;
  b: string;
  duplicate: boolean;
}

/** One non-blank JSONL line, parsed, with its 1-based line number in the file. */
export interface JsonlRow {
  line: number;
  value: unknown;
}

/** Non-blank lines parsed as JSON; a line that is not JSON is an InputError at `file:line`. */
export function parseJsonl(text: string, file: string): JsonlRow[] {
  const rows: JsonlRow[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new InputError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return rows;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A prompts row, or null when the value is not one (the caller decides what that means). */
export function toPromptRow(value: unknown, line: number): PromptRow | null {
  if (!isObject(value) || typeof value.prompt !== 'string') return null;
  const id = typeof value.id === 'string' || typeof value.id === 'number' ? String(value.id) : '';
  return {
    id: id || `line-${line}`,
    prompt: value.prompt,
    ...(typeof value.raw_occurrences === 'number'
      ? { raw_occurrences: value.raw_occurrences }
      : {}),
  };
}

export function parsePromptRows(text: string, file: string): PromptRow[] {
  const rows = parseJsonl(text, file).map(({ line, value }) => {
    const row = toPromptRow(value, line);
    if (!row) throw new InputError(`${file}:${line}: expected a prompts row {"prompt": string}`);
    return row;
  });
  if (rows.length === 0) throw new InputError(`${file}: no prompts (the file has no JSON lines)`);
  return rows;
}

export function parsePairRows(text: string, file: string): PairRow[] {
  const rows = parseJsonl(text, file).map(({ line, value }) => {
    if (
      !isObject(value) ||
      typeof value.a !== 'string' ||
      typeof value.b !== 'string' ||
      typeof value.duplicate !== 'boolean'
    )
      throw new InputError(
        `${file}:${line}: expected a labelled pair {"a": string, "b": string, "duplicate": boolean}`,
      );
    return { a: value.a, b: value.b, duplicate: value.duplicate };
  });
  if (rows.length === 0)
    throw new InputError(`${file}: no labelled pairs (the file has no JSON lines)`);
  return rows;
}
