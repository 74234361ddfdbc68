import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { joinLines, splitBlocks, splitLines, type TextLine } from './text-lines';
import { UNCHANGED, type TokenStrategy } from './strategy';

/**
 * Shorter repeats are left alone: the reference costs ~30 tokens, and short repeats ("Thanks!",
 * a heading, a sign-off) are part of how people write, not pasted context.
 */
export const MIN_REPEATED_CHARS = 200;
/** A run starts and ends on a line at least this long, so a short line of new text is not lost. */
const MIN_EDGE_CHARS = 40;
const SNIPPET_WORDS = 8;

/** A prose line or a whole code block, with the key it is compared by. */
interface Unit {
  start: number;
  end: number;
  key: string;
  size: number;
  /** Index of its paragraph or code block. */
  block: number;
}

const isLong = (unit: Unit) => unit.size >= MIN_EDGE_CHARS;

/**
 * Prose compares line by line with whitespace collapsed (a re-paste rarely keeps the spacing, and
 * retrieved chunks come back under new headings); code compares as whole blocks, exactly, because
 * indentation is meaning there.
 */
function unitsOf(lines: readonly TextLine[]): Unit[] {
  const units: Unit[] = [];
  splitBlocks(lines).forEach(({ kind, start, end }, block) => {
    if (kind === 'code') {
      const text = joinLines(lines.slice(start, end));
      units.push({ start, end, key: `c:${text}`, size: text.length, block });
      return;
    }
    for (let i = start; i < end; i++) {
      const text = lines[i]!.text.replace(/\s+/g, ' ').trim();
      units.push({ start: i, end: i + 1, key: `p:${text}`, size: text.length, block });
    }
  });
  return units;
}

/**
 * Splits a run of repeated units where it covers only part of a paragraph's long lines. Pasted
 * code often comes without fences, and a second version of a function shares most lines with the
 * first: replacing some of them would leave code with a hole, so a paragraph goes whole or not
 * at all (short lines such as "Document 3:" may stay).
 */
function wholeParagraphs(run: readonly Unit[], longLines: ReadonlyMap<number, number>): Unit[][] {
  const parts: Unit[][] = [];
  let part: Unit[] = [];
  for (let i = 0; i < run.length;) {
    const block = run[i]!.block;
    let j = i;
    while (j < run.length && run[j]!.block === block) j++;
    const segment = run.slice(i, j);
    if (segment.filter(isLong).length === (longLines.get(block) ?? 0)) {
      part.push(...segment);
    } else if (part.length > 0) {
      parts.push(part);
      part = [];
    }
    i = j;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

function snippet(key: string): string {
  const words = key.slice(2).trim().split(/\s+/);
  const head = words.slice(0, SNIPPET_WORDS).join(' ').slice(0, 80).replace(/"/g, "'");
  return words.length > SNIPPET_WORDS ? `${head}…` : head;
}

/**
 * The reference names the passage by its opening words rather than by message number, so it
 * stays true when other strategies remove messages. It is short, so it is never deduped itself.
 */
export function referenceLine(key: string): string {
  return `[Repeated text omitted: identical to the passage above beginning "${snippet(key)}"]`;
}

/** Runs of consecutive units that all repeat earlier text, trimmed to substantial edges. */
function repeatedRuns(units: readonly Unit[], seen: Set<string>): Unit[][] {
  const longLines = new Map<number, number>();
  for (const unit of units.filter(isLong))
    longLines.set(unit.block, (longLines.get(unit.block) ?? 0) + 1);
  const runs: Unit[][] = [];
  let current: Unit[] = [];
  const close = () => {
    for (const part of wholeParagraphs(current, longLines)) {
      while (part.length > 0 && !isLong(part[0]!)) part.shift();
      while (part.length > 0 && !isLong(part[part.length - 1]!)) part.pop();
      if (part.reduce((n, u) => n + u.size, 0) >= MIN_REPEATED_CHARS) runs.push(part);
    }
    current = [];
  };
  for (const unit of units) {
    if (seen.has(unit.key)) {
      current.push(unit);
    } else {
      seen.add(unit.key);
      close();
    }
  }
  close();
  return runs;
}

function dedupeMessage(message: ChatMessage, seen: Set<string>): ChatMessage {
  const lines = splitLines(message.content);
  const runs = repeatedRuns(unitsOf(lines), seen);
  if (runs.length === 0) return message;
  // Replace from the end so earlier line numbers stay valid.
  for (const run of [...runs].reverse()) {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    lines.splice(first.start, last.end - first.start, {
      text: referenceLine(first.key),
      code: false,
    });
  }
  return { ...message, content: joinLines(lines) };
}

/**
 * Keeps the first copy of every passage (prose lines or code blocks) and replaces later copies,
 * in the same message or a later one, with a one-line reference to it.
 */
export function dedupeBlocks(body: ChatRequest): ChatRequest {
  const seen = new Set<string>();
  let changed = false;
  const messages = body.messages.map((message) => {
    const next = dedupeMessage(message, seen);
    if (next !== message) changed = true;
    return next;
  });
  return changed ? { ...body, messages } : body;
}

export const dedupeBlocksStrategy: TokenStrategy = {
  name: 'dedupe-blocks',
  risk: 'low',
  affects: 'prompt',
  apply(body) {
    const next = dedupeBlocks(body);
    return next === body ? UNCHANGED(body) : { body: next, applied: true };
  },
};
