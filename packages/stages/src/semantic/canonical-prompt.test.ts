import { describe, expect, it } from 'vitest';
import { canonicalPrompt, isAboutSurfaceForm } from './canonical-prompt';

describe('canonicalPrompt', () => {
  it.each([
    ['case and spacing', 'What  is the Capital of   FRANCE?', 'what is the capital of france'],
    ['sentence punctuation', 'Capital of France, please?!', 'capital of france please'],
    ['curly apostrophes and quote marks', 'What’s “dark matter”?', 'what\'s "dark matter"'],
    ['a greeting set off by punctuation', 'Hey, what is dark matter?', 'what is dark matter'],
    ['hi there without punctuation', 'hi there what is dark matter', 'what is dark matter'],
    ['leading please', 'Please explain recursion.', 'explain recursion'],
    ['can you tell me + question', 'Can you tell me what recursion is?', 'what recursion is'],
    [
      'stacked filler',
      'Hello! Could you please tell me why the sky is blue?',
      'why the sky is blue',
    ],
    ['trailing thanks after punctuation', 'Why is the sky blue? Thanks!', 'why is the sky blue'],
    [
      'trailing thank you very much',
      'Why is the sky blue? Thank you very much.',
      'why is the sky blue',
    ],
    ['full-width forms (NFKC)', 'Ｗｈａｔ is ２＋２', 'what is 2+2'],
  ])('folds %s', (_case, input, expected) => {
    expect(canonicalPrompt(input)).toBe(expected);
  });

  it.each([
    ['a greeting that is content', 'Hello world program in C', 'hello world program in c'],
    [
      'thanks that is content',
      'How do you say thank you in Japanese',
      'how do you say thank you in japanese',
    ],
    ['"tell me" not introducing a question', 'Tell me a joke', 'tell me a joke'],
    ['a filler-only prompt', 'Thanks!', 'thanks'],
    [
      'punctuation inside tokens',
      'Is node.js 3.5x faster than C++ at f(x)?',
      'is node.js 3.5x faster than c++ at f(x)',
    ],
    ['negation', "Why don't cats swim?", "why don't cats swim"],
    ['a double-quoted span as written', 'Is "Hello, World!" RUDE?', 'is "Hello, World!" rude'],
    ['a single-quoted span as written', "Count 'A, b,  C' please", "count 'A, b,  C' please"],
    ['an apostrophe inside a quote', "Who said 'Don't Panic'?", "who said 'Don't Panic'"],
    ['an inline code span', 'What does `Array.Map` DO?', 'what does `Array.Map` do'],
    ['a code fence', 'Explain:\n```\nX = 1;  Y = X\n```', 'explain ```\nX = 1;  Y = X\n```'],
  ])('keeps %s', (_case, input, expected) => {
    expect(canonicalPrompt(input)).toBe(expected);
  });

  it.each([
    ['What is the capital of France?', 'what is the capital of france', true],
    [
      'Hey, can you tell me what is the capital of France? Thanks',
      'What is the capital of France',
      true,
    ],
    ['What is the capital of France?', 'What is the capital of Spain?', false],
    ['Why is the sky blue?', 'Why is the sky not blue?', false],
  ])('%j ≡ %j: %s', (a, b, same) => {
    expect(canonicalPrompt(a) === canonicalPrompt(b)).toBe(same);
  });

  it.each([
    [
      "the cats' toys (a plural possessive, not a quote)",
      "Where are the Cats' TOYS?",
      "where are the cats' toys",
    ],
    ['’ as an apostrophe', 'It’s RAINING', "it's raining"],
  ])('folds around %s', (_case, input, expected) => {
    expect(canonicalPrompt(input)).toBe(expected);
  });
});

describe('isAboutSurfaceForm', () => {
  it.each([
    ['Count the commas in: a, b, c', true],
    ["How many capital letters in 'HeLLo World'?", true],
    ['Convert this to UPPERCASE: hello', true],
    ['Is this search case-sensitive?', true],
    ['Fix the punctuation: hello world', true],
    ['How many characters are in this sentence?', true],
    ['How do you spell necessary?', true],
    ['Remove the extra spaces in: a  b', true],
    ['Format this date: 2024-01-02', true],
    ['Proofread: their going home', true],
    ['How many letters are in Mississippi?', true],
    ['What is the first character of hello?', true],
    ['Count the vowels in: banana', true],
    ['What is the capital of France?', false],
    ['Who is your favourite Star Trek character?', false],
    ['Out of 7 consonants and 4 vowels, how many words can be formed?', false],
    ['In case of fire, what should I do?', false],
    ['Answer in JSON format: what is 2+2?', false],
    ['Why is the sky blue?', false],
  ])('%j → %s', (prompt, about) => {
    expect(isAboutSurfaceForm(prompt)).toBe(about);
  });
});
