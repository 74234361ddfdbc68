import {
  FRAMING_WORDS,
  FUNCTION_WORDS,
  NEGATIONS,
  NUMBER_WORDS,
  POLAR_PAIRS,
  UNITS,
} from './lexicon';

/** One word of a prompt, with what the near-miss checks need to know about it. */
export interface Token {
  /** Lower-cased surface form. */
  text: string;
  /** Crude stem: plurals, -ing, -ed, -ly removed, so "habits" ~ "habit", "learning" ~ "learn". */
  stem: string;
  /** Capitalised mid-sentence, an acronym, or mixed case (iPhone, McDonald): a named thing. */
  named: boolean;
  /** A number, in digits or words ("3", "2017", "third", "1,000"). */
  numeric: boolean;
  /** A function or framing word (articles, auxiliaries, "best way to"): carries no topic. */
  functional: boolean;
  /** Offsets in the NFKC-normalised text, to look at what stands between two words. */
  start: number;
  end: number;
}

/** What the near-miss verification compares between a cached prompt and a new one. */
export interface PromptFeatures {
  /** The NFKC-normalised text the token offsets refer to. */
  text: string;
  tokens: Token[];
  /** Normalised numbers, sorted: numbers must agree as a multiset. */
  numbers: string[];
  /** Units of measure and currencies mentioned (stems), compared as a set like numbers. */
  units: string[];
  /** Named things (lower-cased). */
  entities: Set<string>;
  negations: number;
  /** Per polar pair, which poles the prompt mentions: bit 1 = low ("less"), bit 2 = high. */
  poles: Map<number, number>;
  questionType: QuestionType;
  /** Stems of topic-bearing words (not function words, not numbers). */
  content: Set<string>;
}

export type QuestionType =
  | 'reason'
  | 'time'
  | 'place'
  | 'person'
  | 'quantity'
  | 'manner'
  | 'choice'
  | 'thing'
  | 'yes-no'
  | 'none';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'+#]*(?:[.,\-/][\p{L}\p{N}][\p{L}\p{N}'+#]*)*/gu;

export function extractFeatures(text: string): PromptFeatures {
  const normalised = normalise(text);
  const tokens = tokenize(normalised);
  // A set: restating a number ("2016: … in 2016") is not a different number.
  const numbers = [
    ...new Set(tokens.filter((t) => t.numeric).map((t) => normaliseNumber(t.text))),
  ].sort();
  const units = [...new Set(tokens.filter((t) => UNITS.has(t.text)).map((t) => t.stem))].sort();
  const entities = new Set(tokens.filter((t) => t.named).map((t) => t.stem));
  const content = new Set(tokens.filter((t) => !t.functional && !t.numeric).map((t) => t.stem));
  return {
    text: normalised,
    tokens,
    numbers,
    units,
    entities,
    negations: tokens.filter(
      (t, i) =>
        (NEGATIONS.has(t.text) || t.text.endsWith("n't")) &&
        // "X or not" asks the same yes/no question as "X".
        !(t.text === 'not' && tokens[i - 1]?.text === 'or'),
    ).length,
    poles: polesOf(tokens),
    questionType: questionTypeOf(tokens),
    content,
  };
}

function normalise(text: string): string {
  return text.normalize('NFKC').replace(/[\u2018\u2019\u02BC]/g, "'");
}

export function tokenize(normalised: string): Token[] {
  const tokens: Token[] = [];
  let sentenceStart = true;
  let cursor = 0;
  for (const match of normalised.matchAll(WORD)) {
    const surface = match[0].replace(/'s$/i, '');
    const between = normalised.slice(cursor, match.index);
    if (/[.!?:\n]\s*["'(]?\s*$/.test(between)) sentenceStart = true;
    const start = match.index ?? 0;
    cursor = start + match[0].length;
    const lower = surface.toLowerCase();
    const numeric = /\d/.test(lower) || NUMBER_WORDS.has(lower);
    // Quoted words are content whatever they are ("rhymes with 'me'"), and so are acronyms ("US").
    const functional =
      !insideQuotes(normalised, start) &&
      !isAcronym(surface) &&
      (FUNCTION_WORDS.has(lower) || FRAMING_WORDS.has(lower));
    tokens.push({
      text: lower,
      // Acronyms: "U.S." ~ "US", "IQs" ~ "IQ".
      stem: isAcronym(surface)
        ? lower.replace(/\./g, '').replace(/(?<=\p{L}{2})s$/u, '')
        : stem(lower),
      named: !numeric && !functional && isNamed(surface, sentenceStart),
      numeric,
      functional,
      start,
      end: cursor,
    });
    sentenceStart = false;
  }
  return tokens;
}

function isAcronym(surface: string): boolean {
  const letters = surface.replace(/[^\p{L}]/gu, '').replace(/(?<=\p{Lu}{2})s$/u, '');
  return letters.length >= 2 && letters === letters.toUpperCase() && /\p{Lu}/u.test(letters);
}

/** An odd number of double quotes (or paired single quotes at word edges) before the offset. */
function insideQuotes(text: string, offset: number): boolean {
  const before = text.slice(0, offset);
  const doubles = (before.match(/["\u201C\u201D]/g) ?? []).length;
  const singles = (before.match(/(?:^|[\s(])'/g) ?? []).length;
  const singleCloses = (before.match(/'(?=$|[\s,.!?;:)])/g) ?? []).length;
  return doubles % 2 === 1 || singles > singleCloses;
}

/** Acronyms and mixed case count anywhere; a plain capital only where a sentence cannot start. */
function isNamed(surface: string, sentenceStart: boolean): boolean {
  if (surface.length < 2 || surface === 'I' || /^I'/.test(surface)) return false;
  if (isAcronym(surface)) return true;
  if (/^\p{Ll}+\p{Lu}/u.test(surface) || /^\p{Lu}\p{Ll}+\p{Lu}/u.test(surface)) return true;
  return !sentenceStart && /^\p{Lu}/u.test(surface);
}

/** Suffix stripping good enough to match inflections of the same word, never to conflate two. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  const rules: Array<[RegExp, string]> = [
    [/ies$/, 'y'],
    [/(ss|us|is)$/, '$1'],
    [/(x|ch|sh|ss)es$/, '$1'],
    [/s$/, ''],
    [/ingly$/, ''],
    [/edly$/, ''],
    [/ing$/, ''],
    [/ied$/, 'y'],
    [/ed$/, ''],
    [/ly$/, ''],
  ];
  for (const [pattern, replacement] of rules) {
    if (!pattern.test(word)) continue;
    const stemmed = word.replace(pattern, replacement);
    return stemmed.length >= 3 ? stemmed.replace(/e$/, '') : word;
  }
  return word.replace(/e$/, '');
}

function normaliseNumber(text: string): string {
  const word = NUMBER_WORDS.get(text);
  if (word !== undefined) return word;
  const plain = text.replace(/(?<=\d),(?=\d{3}\b)/g, '').replace(/(?<=\d)(st|nd|rd|th)$/, '');
  // "5k" = "5000"; other suffixes (m, s, gb) are ambiguous or units and stay as written.
  const thousands = /^(\d+(?:\.\d+)?)k$/.exec(plain);
  return thousands ? String(Math.round(Number(thousands[1]) * 1000)) : plain;
}

function polesOf(tokens: Token[]): Map<number, number> {
  const poles = new Map<number, number>();
  for (const token of tokens) {
    POLAR_PAIRS.forEach(([low, high], index) => {
      const bit = (low.has(token.text) ? 1 : 0) | (high.has(token.text) ? 2 : 0);
      if (bit !== 0) poles.set(index, (poles.get(index) ?? 0) | bit);
    });
  }
  return poles;
}

/** The kind of answer the prompt asks for, from its first interrogative. */
function questionTypeOf(tokens: Token[]): QuestionType {
  for (let i = 0; i < tokens.length; i += 1) {
    const word = tokens[i]?.text;
    const next = tokens[i + 1]?.text ?? '';
    if (word === 'why') return 'reason';
    if (word === 'when') return 'time';
    if (word === 'where') return 'place';
    if (word === 'who' || word === 'whom' || word === 'whose') return 'person';
    if (word === 'how' && /^(many|much|long|old|often|far|big|tall|fast|large)$/.test(next))
      return 'quantity';
    if (word === 'how') return 'manner';
    if (word === 'which') return 'choice';
    if (word === 'what') return 'thing';
  }
  const first = tokens[0]?.text ?? '';
  return /^(is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|am|may|must|shall)$/.test(
    first,
  )
    ? 'yes-no'
    : 'none';
}
