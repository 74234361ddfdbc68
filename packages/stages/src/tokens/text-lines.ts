/**
 * Line-level view of message text that knows where code is. Everything the optimizer rewrites is
 * prose; code (fenced blocks, and the lines that open or close them) is left byte for byte.
 */
export interface TextLine {
  text: string;
  /** Inside a code fence, or a line that opens or closes one. */
  code: boolean;
}

/** A paragraph of prose (non-blank lines between blank lines) or a whole fenced code block. */
export interface TextBlock {
  kind: 'prose' | 'code';
  /** Line range [start, end). */
  start: number;
  end: number;
}

interface Fence {
  char: '`' | '~';
  length: number;
}

const FENCE_AT_START = /^ {0,3}(`{3,}|~{3,})/;
const BACKTICK_RUNS = /`{3,}/g;

/**
 * Users paste code as "fix this: ```python" as often as with a fence on its own line, so a line
 * with an odd number of ``` runs opens a fence too. When in doubt a line counts as code: a line
 * wrongly kept verbatim costs a few tokens, a line wrongly rewritten can break code.
 */
function opensFence(line: string): Fence | null {
  const atStart = FENCE_AT_START.exec(line);
  if (atStart) {
    const marker = atStart[1]!;
    if (marker[0] === '~') return { char: '~', length: marker.length };
    // "```x```" on one line is inline code, not a fence.
    if ((line.match(BACKTICK_RUNS) ?? []).length % 2 === 1)
      return { char: '`', length: marker.length };
    return null;
  }
  return (line.match(BACKTICK_RUNS) ?? []).length % 2 === 1 ? { char: '`', length: 3 } : null;
}

function closesFence(line: string, fence: Fence): boolean {
  const trimmed = line.trimEnd();
  if (fence.char === '~')
    return /^ {0,3}~{3,}$/.test(trimmed) && trimmed.trim().length >= fence.length;
  const run = /`+$/.exec(trimmed);
  return run !== null && run[0].length >= fence.length;
}

export function splitLines(content: string): TextLine[] {
  const lines: TextLine[] = [];
  let fence: Fence | null = null;
  for (const text of content.split('\n')) {
    if (fence) {
      lines.push({ text, code: true });
      if (closesFence(text, fence)) fence = null;
      continue;
    }
    fence = opensFence(text);
    lines.push({ text, code: fence !== null });
  }
  return lines;
}

export function joinLines(lines: readonly TextLine[]): string {
  return lines.map((l) => l.text).join('\n');
}

export function isBlank(line: TextLine): boolean {
  return !line.code && line.text.trim() === '';
}

/** Paragraphs and code blocks in order; blank prose lines separate blocks and belong to none. */
export function splitBlocks(lines: readonly TextLine[]): TextBlock[] {
  const blocks: TextBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const start = i;
    if (line.code) {
      while (i < lines.length && lines[i]!.code) i++;
      blocks.push({ kind: 'code', start, end: i });
    } else {
      while (i < lines.length && !lines[i]!.code && !isBlank(lines[i]!)) i++;
      blocks.push({ kind: 'prose', start, end: i });
    }
  }
  return blocks;
}
