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
 * Case is folded, so callers should not use canonical matching where case is meaning (code):
 * the decision policy only allows it for natural-language task types.
 */
export function canonicalPrompt(text: string): string {
  let out = text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032`]/g, "'")
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
  return stripEdgePunctuation(out);
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
