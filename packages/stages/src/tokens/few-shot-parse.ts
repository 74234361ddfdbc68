import { isBlank, type TextLine } from './text-lines';

/** One example: lines [start, end) without its trailing blank lines; `gapEnd` ends those. */
export interface ExampleSpan {
  start: number;
  end: number;
  gapEnd: number;
  /** Line of its output marker ("Output:", "A:"), or -1. */
  output: number;
}

export interface FewShotList {
  style: 'labelled' | 'pairs';
  /** Complete examples, in order. */
  examples: ExampleSpan[];
  /**
   * Whether the last example may be dropped: only when a blank line or a query closes it, since
   * text glued to its last line may be the instruction that follows the examples.
   */
  lastDroppable: boolean;
  /** An unanswered example at the end ("Q: …\nA:"): the query itself. */
  query: ExampleSpan | null;
  /** First line after the examples and the query. */
  suffixStart: number;
}

const FORMAT = /^\s{0,3}(?:#{1,6}\s*)?(?:\*\*|__)?/;
const HEADER = /^example\s*#?\s*\d+\b/i;
const ANY_OUTPUT =
  /^(?:output|answer|a|response|label|result|sentiment|category)(?:\*\*|__)?\s*[:：]/i;
const INLINE_OUTPUT = /\b(?:output|answer|response|label)(?:\*\*|__)?\s*[:：]\s*(.*)$/i;

/** Marker pairs of unlabelled examples. Chat transcripts (User:/Assistant:) are not examples. */
const PAIR_FAMILIES: readonly { input: RegExp; output: RegExp }[] = [
  { input: /^(?:q|question)(?:\*\*|__)?\s*[:：]/i, output: /^(?:a|answer)(?:\*\*|__)?\s*[:：]/i },
  { input: /^input(?:\*\*|__)?\s*[:：]/i, output: /^output(?:\*\*|__)?\s*[:：]/i },
  {
    input: /^(?:text|review|sentence)(?:\*\*|__)?\s*[:：]/i,
    output: /^(?:label|sentiment|category|class)(?:\*\*|__)?\s*[:：]/i,
  },
];

const bare = (line: TextLine) => line.text.replace(FORMAT, '');
const matches = (line: TextLine | undefined, re: RegExp) =>
  line !== undefined && !line.code && re.test(bare(line));

/** What follows the output marker on its line ("A: Paris" → "Paris"). */
function outputText(line: TextLine, marker: RegExp): string {
  const text = bare(line);
  const inline = INLINE_OUTPUT.exec(text);
  if (marker.test(text)) return text.replace(marker, '').trim();
  return inline ? inline[1]!.trim() : '';
}

function skipBlank(lines: readonly TextLine[], from: number): number {
  let i = from;
  while (i < lines.length && isBlank(lines[i]!)) i++;
  return i;
}

function findOutput(lines: readonly TextLine[], start: number, limit: number, marker: RegExp) {
  for (let j = start; j < limit; j++) {
    const line = lines[j]!;
    if (matches(line, marker) || (j === start && INLINE_OUTPUT.test(bare(line)))) return j;
  }
  return -1;
}

/**
 * Splits lines at `starts` into units. A unit runs to the next start; the last one ends at the
 * first blank line after its output marker (or runs to the end when it has none).
 */
function units(lines: readonly TextLine[], starts: number[], marker: RegExp): ExampleSpan[] {
  return starts.map((start, i) => {
    const next = starts[i + 1];
    const output = findOutput(lines, start, next ?? lines.length, marker);
    let end = next ?? lines.length;
    if (next === undefined && output >= 0) {
      end = output + 1;
      while (end < lines.length && !isBlank(lines[end]!)) end++;
    }
    const gapEnd = next ?? skipBlank(lines, end);
    while (end > start && isBlank(lines[end - 1]!)) end--;
    return { start, end, gapEnd, output };
  });
}

function isUnanswered(lines: readonly TextLine[], unit: ExampleSpan, marker: RegExp): boolean {
  const { output, end } = unit;
  return output >= 0 && output === end - 1 && outputText(lines[output]!, marker) === '';
}

function toList(
  lines: readonly TextLine[],
  raw: ExampleSpan[],
  style: FewShotList['style'],
  marker: RegExp,
): FewShotList | null {
  const lastUnit = raw[raw.length - 1]!;
  const query = isUnanswered(lines, lastUnit, marker) ? lastUnit : null;
  const answered = query ? raw.slice(0, -1) : raw;
  // Every pair must show an answer, or this is some other list that happens to match.
  if (answered.length === 0 || (style === 'pairs' && answered.some((u) => u.output < 0)))
    return null;
  const final = answered[answered.length - 1]!;
  const lastDroppable = query !== null || (final.output >= 0 && final.gapEnd > final.end);
  return {
    style,
    examples: answered,
    lastDroppable,
    query,
    suffixStart: lastUnit.gapEnd,
  };
}

/** "Example 1: …", "### Example 2", "**Example 3**" headers, at least two of them. */
function labelledList(lines: readonly TextLine[]): FewShotList | null {
  const starts = lines.flatMap((line, i) => (matches(line, HEADER) ? [i] : []));
  if (starts.length < 2) return null;
  return toList(lines, units(lines, starts, ANY_OUTPUT), 'labelled', ANY_OUTPUT);
}

/** Q:/A:, Input:/Output:, Text:/Label: pairs, after a line that announces examples. */
function pairList(lines: readonly TextLine[]): FewShotList | null {
  for (const family of PAIR_FAMILIES) {
    const starts = lines.flatMap((line, i) => (matches(line, family.input) ? [i] : []));
    if (starts.length < 2) continue;
    const intro = lines
      .slice(0, starts[0])
      .map((l) => l.text)
      .join('\n');
    if (!/\bexamples?\b/i.test(intro)) continue;
    return toList(lines, units(lines, starts, family.output), 'pairs', family.output);
  }
  return null;
}

export function findFewShot(lines: readonly TextLine[]): FewShotList | null {
  return labelledList(lines) ?? pairList(lines);
}
