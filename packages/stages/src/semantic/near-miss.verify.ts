import { DETERMINERS, SYMMETRIC_CONNECTORS } from './lexicon';
import {
  extractFeatures,
  type PromptFeatures,
  type QuestionType,
  type Token,
} from './prompt-features';

/**
 * Why a candidate that embeds close to the query still asks something else. Embeddings of
 * short texts are dominated by shared wording, so exactly these edits barely move the vector.
 */
export type NearMissReason =
  'numbers' | 'negation' | 'polarity' | 'entities' | 'question-type' | 'role-order' | 'topic';

export type Verification =
  | { ok: true; topicDifference: number; topicShare: number }
  | { ok: false; reason: NearMissReason; detail: string };

export interface VerifyOptions {
  /**
   * The share of topic words (after stemming; function and framing words excluded) that may
   * appear in one prompt and not the other, out of all topic words of both. A share rather than
   * a count, so that a long prompt may reword more words than a short one: synonyms are what
   * the embedding is for. 0 means "same topic words, different wording only".
   */
  maxTopicShare: number;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = { maxTopicShare: 0.4 };

/**
 * Checks that `query` and `candidate` ask the same thing, beyond embedding similarity: same
 * numbers and units, negation, poles of any scale (more/less, before/after), named things, kind of
 * question, roles of the shared words, and nearly the same topic words. The first failed check
 * is returned as the reason.
 */
export function verifyNearMiss(
  query: string,
  candidate: string,
  options: VerifyOptions = DEFAULT_VERIFY_OPTIONS,
): Verification {
  const a = extractFeatures(query);
  const b = extractFeatures(candidate);
  const fail = (reason: NearMissReason, detail: string): Verification => ({
    ok: false,
    reason,
    detail,
  });
  if (a.numbers.join(' ') !== b.numbers.join(' '))
    return fail('numbers', `[${a.numbers.join(', ')}] vs [${b.numbers.join(', ')}]`);
  if (a.units.join(' ') !== b.units.join(' '))
    return fail('numbers', `units [${a.units.join(', ')}] vs [${b.units.join(', ')}]`);
  if (a.negations !== b.negations)
    return fail('negation', `${a.negations} vs ${b.negations} negations`);
  const pole = conflictingPole(a, b);
  if (pole) return fail('polarity', pole);
  const entity = unmatchedEntity(a, b) ?? unmatchedEntity(b, a);
  if (entity) return fail('entities', `"${entity}" is named in only one prompt`);
  if (!compatibleQuestions(a.questionType, b.questionType))
    return fail('question-type', `${a.questionType} vs ${b.questionType}`);
  const swap = swappedRoles(a, b);
  if (swap) return fail('role-order', swap);
  const differing = [...topicWordsMissing(a, b), ...topicWordsMissing(b, a)];
  const topicDifference = differing.length;
  const topicShare = topicDifference / Math.max(1, new Set([...a.content, ...b.content]).size);
  if (topicShare > options.maxTopicShare + 1e-9)
    return fail('topic', `${topicDifference} topic words differ: ${differing.join(', ')}`);
  return { ok: true, topicDifference, topicShare };
}

function conflictingPole(a: PromptFeatures, b: PromptFeatures): string | null {
  for (const [pair, poleA] of a.poles) {
    const poleB = b.poles.get(pair);
    if (poleB !== undefined && poleB !== poleA) return `opposite or mixed poles of scale #${pair}`;
  }
  return null;
}

/** A named thing of `a` that `b` does not mention in any case ("Hp" ~ "HP", "instagram"). */
function unmatchedEntity(a: PromptFeatures, b: PromptFeatures): string | null {
  for (const entity of a.entities) {
    if (!b.tokens.some((t) => sameWord(t.stem, entity))) return entity;
  }
  return null;
}

/** Kinds of question whose answers differ in kind: a reason is not a time, a place or a count. */
const SPECIFIC: ReadonlySet<QuestionType> = new Set([
  'reason',
  'time',
  'place',
  'person',
  'quantity',
]);

function compatibleQuestions(a: QuestionType, b: QuestionType): boolean {
  return a === b || (!SPECIFIC.has(a) && !SPECIFIC.has(b));
}

/**
 * Two topic words that appear once in each prompt but in opposite order, where the roles they
 * play changed: "from New York to Florida" vs "from Florida to New York", "X beats Y" vs
 * "Y beats X". A swap is harmless when the relation is symmetric ("X or Y", "between X and Y"),
 * when the words form a compound in one prompt ("Bollywood movie" / "movie in Bollywood"), or
 * when each word keeps the word that introduces it ("to Florida from New York").
 */
function swappedRoles(a: PromptFeatures, b: PromptFeatures): string | null {
  const inA = singleOccurrences(a.tokens);
  const inB = singleOccurrences(b.tokens);
  const shared = [...inA.keys()].filter((s) => inB.has(s));
  for (let i = 0; i < shared.length; i += 1) {
    for (let j = i + 1; j < shared.length; j += 1) {
      const [x, y] = [shared[i] as string, shared[j] as string];
      const [ax, ay, bx, by] = [x, y, x, y].map((s, k) => (k < 2 ? inA : inB).get(s) ?? 0) as [
        number,
        number,
        number,
        number,
      ];
      if (ax < ay === bx < by) continue;
      if (symmetricSwap(a, ax, ay, b, bx, by) || compoundSwap(a, ax, ay, b, bx, by)) continue;
      if (introducer(a, ax) === introducer(b, bx) && introducer(a, ay) === introducer(b, by))
        continue;
      return `"${x}" and "${y}" swap roles`;
    }
  }
  return null;
}

/** stem → token index, for topic words that occur exactly once. */
function singleOccurrences(tokens: Token[]): Map<string, number> {
  const seen = new Map<string, number>();
  const repeated = new Set<string>();
  tokens.forEach((t, index) => {
    if (t.functional) return;
    if (seen.has(t.stem)) repeated.add(t.stem);
    seen.set(t.stem, index);
  });
  for (const stem of repeated) seen.delete(stem);
  return seen;
}

type Span = { tokens: Token[]; text: string };

function spanBetween(f: PromptFeatures, i: number, j: number): Span {
  const [lo, hi] = i < j ? [i, j] : [j, i];
  const text = f.text.slice((f.tokens[lo] as Token).end, (f.tokens[hi] as Token).start);
  return { tokens: f.tokens.slice(lo + 1, hi), text };
}

/** "X or Y" / "between X and Y" in either prompt: the order carries no role. */
function symmetricSwap(
  a: PromptFeatures,
  ax: number,
  ay: number,
  b: PromptFeatures,
  bx: number,
  by: number,
): boolean {
  return (
    SYMMETRIC_CONNECTORS.test(spanBetween(a, ax, ay).text) ||
    SYMMETRIC_CONNECTORS.test(spanBetween(b, bx, by).text)
  );
}

/**
 * A noun compound in one prompt ("English reading comprehension", "Bollywood movie") spelled
 * out with a preposition in the other ("comprehension in English", "movie in Bollywood"). A verb
 * between the words on both sides ("X beats Y" / "Y beats X") is a real swap of roles.
 */
function compoundSwap(
  a: PromptFeatures,
  ax: number,
  ay: number,
  b: PromptFeatures,
  bx: number,
  by: number,
): boolean {
  const [sa, sb] = [spanBetween(a, ax, ay), spanBetween(b, bx, by)];
  const compound = (s: Span) => s.tokens.length <= 2 && s.tokens.every((t) => !t.functional);
  const phrased = (s: Span) => s.tokens.some((t) => t.functional);
  return (compound(sa) && phrased(sb)) || (compound(sb) && phrased(sa));
}

/**
 * The word that introduces a token's phrase: the nearest preceding word, skipping determiners
 * ("the cat") and the rest of its own name ("New York"). A preposition or verb says the role.
 */
function introducer(f: PromptFeatures, index: number): string {
  for (let k = index - 1; k >= 0; k -= 1) {
    const token = f.tokens[k] as Token;
    if (DETERMINERS.has(token.text)) continue;
    if (token.functional) return token.text;
    if (!(token.named && f.tokens[k + 1]?.named)) return `~${token.stem}`;
  }
  return '^';
}

function topicWordsMissing(a: PromptFeatures, b: PromptFeatures): string[] {
  return [...a.content].filter((word) => ![...b.content].some((other) => sameWord(word, other)));
}

/** Same stem, or a shared prefix long enough to be one word inflected ("decorat-ion/-ing"). */
function sameWord(x: string, y: string): boolean {
  if (x === y) return true;
  const shorter = Math.min(x.length, y.length);
  if (shorter < 5) return false;
  let common = 0;
  while (common < shorter && x[common] === y[common]) common += 1;
  return common >= Math.max(5, Math.ceil(shorter * 0.8));
}
