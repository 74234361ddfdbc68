/**
 * The canonical form of a prompt: what is left once the differences that cannot change the
 * answer are removed. Two prompts with the same canonical form share a cached answer without any
 * embedding, so every rule here must preserve meaning for any prompt, not just usually:
 *
 * - Unicode compatibility forms (NFKC), curly quotes and dashes, and letter case;
 * - runs of whitespace;
 * - sentence punctuation and double quotes at a word's edge (`,` `.` `!` `?` `;` `:` `"`). Inside
 *   a token, and brackets anywhere, are kept: `3.5`, `node.js`, `C++`, `a-b` and `f(x)` keep their meaning;
 * - greetings, politeness and thanks at the very edges of the prompt, and only in forms that
 *   cannot be content: a greeting must be set off by punctuation ("Hi, …" but not "Hello world
 *   in C"), "tell me" must introduce a question ("tell me why …"), and trailing thanks must
 *   follow punctuation ("…? Thanks" but not "How do you say thank you").
 *
 * Quoted spans ('…', "…", `…`, code fences) are quoted because their exact form matters: they
 * are kept as written (only curly delimiters become straight). Prompts about the surface form
 * itself ("count the commas in …") must not be matched on this form at all: see
 * `isAboutSurfaceForm`. Case is folded, so callers should not use canonical matching where case
 * is meaning (code): the decision policy only allows it for natural-language task types.
 */
export function canonicalPrompt(text: string): string {
  const quoted: string[] = [];
  const masked = text.replace(QUOTED_SPAN, (span) => {
    quoted.push(straightenDelimiters(span));
    return `\uE000${quoted.length - 1}\uE001`; // private-use marks: no rule touches them
  });
  let out = masked
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
  let previous: string;
  do {
    previous = out;
    out = stripFiller(out);
  } while (out !== previous);
  return stripEdgePunctuation(out).replace(/\uE000(\d+)\uE001/g, (_, i) => quoted[Number(i)] ?? '');
}

const SINGLE = "'\\u2018-\\u201B";
const DOUBLE = '"\\u201C-\\u201F\\u2033';
/**
 * Code fences, inline code, double-quoted and single-quoted spans. A single quote opens a span
 * only after a non-letter and closes it only before one, so apostrophes ("don't", "the cats'
 * toys") are not quotes, but an apostrophe inside a quote ('don't panic') is kept in it.
 */
const QUOTED_SPAN = new RegExp(
  [
    '```[\\s\\S]*?```',
    '`[^`\\n]+`',
    `[${DOUBLE}][^${DOUBLE}\\n]*[${DOUBLE}]`,
    `(?<![\\p{L}\\p{N}])[${SINGLE}](?:[^${SINGLE}\\n]|(?<=[\\p{L}\\p{N}])[${SINGLE}](?=\\p{L}))+[${SINGLE}](?![\\p{L}\\p{N}])`,
  ].join('|'),
  'gu',
);

function straightenDelimiters(span: string): string {
  if (span.startsWith('`')) return span;
  const quote = /^[\u2018-\u201B']/.test(span) ? "'" : '"';
  return `${quote}${span.slice(1, -1)}${quote}`;
}

/** Letters and characters count as surface only where a text is counted or indexed by them
 * ("how many letters", "the first character"), not as "a favourite character". */
const TEXT_UNITS = '(?:letters?|characters?|chars|vowels?|consonants?|syllables?)';
const TEXT_UNIT_CONTEXT =
  '(?:how many|number of|count(?:ing)?(?: the)?|first|last|capital|small|double|repeated|special|unicode|ascii)';

/**
 * Words that make a prompt about its own surface form: letter case, punctuation marks,
 * characters and letters, spelling, whitespace, formatting. Folding erases exactly what such a
 * prompt asks about ("count the commas in: a, b, c" / "… a b c"). "Case" counts as letter case
 * only ("upper case", "case-sensitive"), "format" not after an output format ("JSON format"),
 * letters and characters only as units of a text (`TEXT_UNITS`).
 */
const SURFACE_FORM = new RegExp(
  `\\b(?:${[
    '(?:upper|lower|title|camel|snake|kebab|pascal|sentence|mixed|letter)[ -]?case\\w*',
    'case[ -]?(?:sensitive|insensitive|sensitivity)',
    '(?:same|right|wrong|correct|proper|different|original) case',
    'capital letters?|capitali[sz]\\w*|(?:all|in|no) caps',
    'punctuat\\w*|commas?|periods?|full stops?|semicolons?|colons?|apostrophes?|hyphen\\w*|dashes',
    'exclamation(?: marks?| points?)?|question marks?|quotation marks?|quote marks?',
    `${TEXT_UNIT_CONTEXT} ${TEXT_UNITS}|${TEXT_UNITS} (?:count|limit|long)|palindromes?|anagrams?`,
    `letters? in (?:(?:the|this|that|a|each|every|my|your) )?(?:word|name|string|sentence|text)`,
    'spell\\w*|spelt|misspel\\w*|typos?|proofread\\w*',
    'whitespace|white space|spaces|spacing|indent\\w*',
    '(?<!(?:json|yaml|xml|csv|markdown|html|table|list|output|response|answer|file|date|time) )format\\w*',
    'verbatim|word for word',
  ].join('|')})\\b`,
  'u',
);

/** Whether the prompt asks about its own surface form, so no folding of it is safe. */
export function isAboutSurfaceForm(text: string): boolean {
  return SURFACE_FORM.test(text.normalize('NFKC').toLowerCase());
}

const QUESTION_START = '(?=(?:what|which|who|whom|whose|when|where|why|how|whether|if|is|are)\\b)';

/** Each pattern leaves the rest of the prompt behind; a filler alone is not removed. */
const LEADING_FILLER: RegExp[] = [
  /^(?:hello|hi|hey|greetings|good (?:morning|afternoon|evening))(?: there)?\s*[,!.;:-]+\s*(?=\S)/,
  /^(?:hello|hi|hey) there\s+(?=\S)/,
  /^(?:please|kindly),?\s+(?=\S)/,
  /^(?:quick )?question\s*[:,-]+\s*(?=\S)/,
  new RegExp(
    `^(?:(?:could|can|would|will) you (?:please )?)?(?:please )?tell me,?\\s+${QUESTION_START}`,
  ),
  new RegExp(
    `^(?:i was wondering|i wonder|i'd like to know|i would like to know),?\\s+${QUESTION_START}`,
  ),
];

const TRAILING_FILLER =
  /(?<=[,.!?;:])\s*(?:thanks|thank you|thanks a lot|thank you (?:very|so) much|thanks in advance|many thanks|please)\s*[.!]*$/;

function stripFiller(text: string): string {
  for (const pattern of LEADING_FILLER) {
    const stripped = text.replace(pattern, '');
    if (stripped !== text) return stripped;
  }
  return text.replace(TRAILING_FILLER, '').trim();
}

/** Sentence punctuation at a word's edges; `'` stays so "don't" and "it's" are untouched. */
function stripEdgePunctuation(text: string): string {
  return text
    .split(' ')
    .map((word) => word.replace(/^[",.!?;:]+|[",.!?;:]+$/g, ''))
    .filter((word) => word.length > 0)
    .join(' ');
}
