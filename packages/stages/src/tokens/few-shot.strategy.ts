import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { findFewShot, type ExampleSpan, type FewShotList } from './few-shot-parse';
import { joinLines, splitLines, type TextLine } from './text-lines';
import { UNCHANGED, type StrategyContext, type TokenStrategy } from './strategy';

export const DEFAULT_FEW_SHOT_KEEP = 3;

const STOPWORDS = new Set(
  (
    'the and for are but not you all any can had her was one our out has him his how its let ' +
    'may new now own say she too use who why yes this that with from have what when will your ' +
    'they them then than there their which would could should about into more some such only ' +
    'also just like been were each other these those here please example examples input output ' +
    'question answer'
  ).split(' '),
);

/** Content words of a text, lowercased: the unit of lexical overlap. */
export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/\p{L}[\p{L}\p{N}_'-]*/gu) ?? [];
  return new Set(words.filter((w) => w.length >= 3 && !STOPWORDS.has(w)));
}

/** Cosine similarity of two word sets. */
export function overlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / Math.sqrt(a.size * b.size);
}

const textOf = (lines: readonly TextLine[], from: number, to: number) =>
  joinLines(lines.slice(from, to));

/** An example's answer, normalised: examples with the same answer teach the model less. */
function answerOf(lines: readonly TextLine[], span: ExampleSpan): string {
  if (span.output < 0) return '';
  return textOf(lines, span.output, span.end)
    .replace(/^[^:：]*[:：]/, '')
    .trim()
    .toLowerCase();
}

/** Relevance counts half for an example whose answer is already among the kept ones. */
const SAME_ANSWER_WEIGHT = 0.5;

/**
 * Indices of the examples to keep, in their original order: greedily the most relevant to the
 * query, preferring answers not yet shown, so a classifier keeps seeing more than one label.
 * The last example stays when it cannot be safely cut off from what follows it.
 */
function pickExamples(
  lines: readonly TextLine[],
  list: FewShotList,
  query: Set<string>,
  keep: number,
): number[] {
  const n = list.examples.length;
  const kept = list.lastDroppable ? [] : [n - 1];
  const answers = new Set(kept.map((i) => answerOf(lines, list.examples[i]!)));
  const candidates = list.examples
    .map((span, index) => ({
      index,
      answer: answerOf(lines, span),
      relevance: overlap(contentWords(textOf(lines, span.start, span.end)), query),
    }))
    .filter((c) => !kept.includes(c.index));
  while (kept.length < keep && candidates.length > 0) {
    const weight = (c: (typeof candidates)[number]) =>
      c.relevance * (answers.has(c.answer) ? SAME_ANSWER_WEIGHT : 1);
    // Ties go to the earlier example: the order the author wrote them in is the best prior.
    let best = 0;
    for (let i = 1; i < candidates.length; i++)
      if (weight(candidates[i]!) > weight(candidates[best]!)) best = i;
    const [chosen] = candidates.splice(best, 1);
    kept.push(chosen!.index);
    answers.add(chosen!.answer);
  }
  return kept.sort((a, b) => a - b);
}

const HEADER_NUMBER = /^(\s{0,3}(?:#{1,6}\s*)?(?:\*\*|__)?example\s*#?\s*)(\d+)/i;

/** Example headers renumbered in order from the first one's number, so none look missing. */
function renumber(lines: TextLine[], headerLines: readonly number[], from: number): void {
  let next = from;
  for (const index of headerLines) {
    const line = lines[index]!;
    line.text = line.text.replace(HEADER_NUMBER, (_m, head: string) => `${head}${next}`);
    next++;
  }
}

/** Rebuilt text: the prefix, the kept examples with their original separators, the rest. */
function rebuild(lines: TextLine[], list: FewShotList, kept: number[]): string {
  const { examples } = list;
  const last = examples[examples.length - 1]!;
  const out: TextLine[] = lines.slice(0, examples[0]!.start);
  const headers: number[] = [];
  kept.forEach((index, i) => {
    const span = examples[index]!;
    // The last kept example takes the separator that led from the examples to what follows.
    const gap: ExampleSpan = i === kept.length - 1 ? last : span;
    headers.push(out.length);
    out.push(...lines.slice(span.start, span.end).map((l) => ({ ...l })));
    out.push(...lines.slice(gap.end, gap.gapEnd));
  });
  if (list.query) headers.push(out.length);
  out.push(...lines.slice(last.gapEnd).map((l) => ({ ...l })));
  if (list.style === 'labelled') {
    const first = HEADER_NUMBER.exec(lines[examples[0]!.start]!.text);
    renumber(out, headers, first ? Number(first[2]) : 1);
  }
  return joinLines(out);
}

/** The text the examples should be relevant to, or null when this message has no query. */
function queryText(
  lines: readonly TextLine[],
  list: FewShotList,
  finalUser: boolean,
  lastUserText: string,
) {
  if (!finalUser) return lastUserText;
  const after = textOf(lines, list.query?.start ?? list.suffixStart, lines.length);
  return after.trim() === '' ? null : after;
}

function selectInMessage(
  message: ChatMessage,
  finalUser: boolean,
  lastUserText: string,
  keep: number,
) {
  if (message.role === 'assistant' || message.role === 'tool') return message;
  const lines = splitLines(message.content);
  const list = findFewShot(lines);
  if (!list || list.examples.length <= keep) return message;
  const query = queryText(lines, list, finalUser, lastUserText);
  if (query === null) return message;
  const words = contentWords(query);
  if (words.size === 0) return message;
  const kept = pickExamples(lines, list, words, keep);
  return { ...message, content: rebuild(lines, list, kept) };
}

/**
 * Keeps the `keep` few-shot examples that share the most words with the final user request.
 * Examples in a system prompt are judged against the final user message; examples in the final
 * user message against what follows them. Nothing is done when there is no query to judge by.
 */
export function selectFewShot(
  body: ChatRequest,
  ctx: Pick<StrategyContext, 'fewShotKeep'>,
): ChatRequest {
  const lastUser = body.messages.findLastIndex((m) => m.role === 'user');
  if (lastUser < 0) return body;
  const lastUserText = body.messages[lastUser]!.content;
  let changed = false;
  const messages = body.messages.map((message, index) => {
    const next = selectInMessage(message, index === lastUser, lastUserText, ctx.fewShotKeep);
    if (next !== message) changed = true;
    return next;
  });
  return changed ? { ...body, messages } : body;
}

export const selectFewShotStrategy: TokenStrategy = {
  name: 'select-few-shot',
  risk: 'high',
  affects: 'prompt',
  apply(body, ctx) {
    const next = selectFewShot(body, ctx);
    return next === body ? UNCHANGED(body) : { body: next, applied: true };
  },
};
