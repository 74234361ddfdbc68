import { describe, expect, it } from 'vitest';
import { verifyNearMiss, type NearMissReason } from './near-miss.verify';

describe('verifyNearMiss rejects prompts that ask something else', () => {
  it.each<[string, string, string, NearMissReason]>([
    [
      'numbers',
      'What happens if you burn 1000 calories a day?',
      'What happens if you burn 500 calories a day?',
      'numbers',
    ],
    [
      'years',
      'Best internships of 2017 for students',
      'Best internships of 2016 for students',
      'numbers',
    ],
    [
      'spelled-out vs digit counts',
      'How do I gain 20 kg in two months?',
      'How do I gain 20 kg in three months?',
      'numbers',
    ],
    ['units kept apart', 'Is 5k a good salary?', 'Is 5 a good salary?', 'numbers'],
    [
      'negation',
      'How can I lose weight with exercise?',
      'How can I lose weight without exercise?',
      'negation',
    ],
    ["n't", 'Why do cats like water?', "Why don't cats like water?", 'negation'],
    [
      'opposite poles',
      'Which planets maximize the chance of life?',
      'Which planets minimize the chance of life?',
      'polarity',
    ],
    [
      'before / after',
      'What should I eat before a run?',
      'What should I eat after a run?',
      'polarity',
    ],
    [
      'advantages / disadvantages',
      'What are the advantages of remote work?',
      'What are the disadvantages of remote work?',
      'polarity',
    ],
    [
      'a different named place',
      'How does disability insurance work in Florida?',
      'How does disability insurance work in Arizona?',
      'entities',
    ],
    [
      'an extra named thing',
      'What is the best antivirus for Android and Windows?',
      'What is the best antivirus for Android?',
      'entities',
    ],
    ['an acronym', 'Are there Asian Jews in the US?', 'Are there Asian Jews?', 'entities'],
    [
      'why vs how',
      'Why are suspension bridges used?',
      'How are suspension bridges used?',
      'question-type',
    ],
    [
      'when vs where',
      'When was the Eiffel Tower built?',
      'Where was the Eiffel Tower built?',
      'question-type',
    ],
    ['how many vs how', 'How many people use Rust?', 'How do people use Rust?', 'question-type'],
    [
      'route reversed',
      'Cheap flights from New York to Florida',
      'Cheap flights from Florida to New York',
      'role-order',
    ],
    [
      'winner and loser swapped',
      'Why did Germany beat Brazil?',
      'Why did Brazil beat Germany?',
      'role-order',
    ],
    [
      'subject and object swapped',
      'Do conservatives sympathize with Israel because liberals support Palestine?',
      'Do liberals sympathize with Palestine because conservatives support Israel?',
      'role-order',
    ],
    [
      'another unit',
      'What is the speed limit in France in km/h?',
      'What is the speed limit in France in mph?',
      'numbers',
    ],
    [
      'agent and patient swapped behind articles',
      'Does the dog chase the cat in the story?',
      'Does the cat chase the dog in the story?',
      'role-order',
    ],
    ['quoted words differ', 'What words rhyme with "me"?', 'What words rhyme with "you"?', 'topic'],
    [
      'a different topic word',
      'What is the best diet for dogs?',
      'What is the best diet for cats?',
      'topic',
    ],
  ])('%s', (_case, query, candidate, reason) => {
    const verdict = verifyNearMiss(query, candidate, { maxTopicShare: 0 });
    expect(verdict).toMatchObject({ ok: false, reason });
    if (!verdict.ok) expect(verdict.detail.length).toBeGreaterThan(0);
  });
});

describe('verifyNearMiss accepts rewordings', () => {
  it.each<[string, string, string, number]>([
    [
      'framing words',
      'How can I improve my public speaking?',
      'What are some good ways to improve my public speaking?',
      0,
    ],
    ['inflections', 'How do I get rid of bad habits?', 'How to get rid of a bad habit', 0],
    ['symmetric "or"', 'Who is better, Ronaldo or Messi?', 'Who is better, Messi or Ronaldo?', 0],
    [
      'symmetric "between … and"',
      'What is the difference between a mocktail and a cocktail?',
      'What is the difference between a cocktail and a mocktail?',
      0,
    ],
    [
      'a compound spelled out',
      'How do I improve my reading comprehension in English?',
      'How can I improve my English reading comprehension?',
      0,
    ],
    [
      'roles kept with their prepositions',
      'Cheap flights from New York to Florida',
      'Cheap flights to Florida from New York',
      0,
    ],
    [
      'case of a name',
      'What do you think about the new HP Spectre?',
      'What do you think about the new Hp Spectre?',
      0,
    ],
    [
      'restated number',
      'Rio Olympics 2016: interesting facts about the Rio Olympics 2016?',
      'What are some interesting facts about Rio Olympics 2016?',
      0.5,
    ],
    [
      '1,000 = 1000 and 5k = 5000',
      'Best phone under 1,000 or 5k dollars?',
      'Best phone under 1000 or 5000 dollars?',
      0,
    ],
    ['"or not" is not a negation', 'Is the theory correct or not?', 'Is the theory correct?', 0],
    [
      'a synonym within budget',
      'What is the quickest route to learn Python?',
      'What is the fastest route to learn Python?',
      0.4,
    ],
  ])('%s', (_case, query, candidate, budget) => {
    expect(verifyNearMiss(query, candidate, { maxTopicShare: budget })).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['identical wording', 'Explain black holes', 'Explain black holes', 0],
    [
      'one synonym each way',
      'How do I start a small company?',
      'How do I start a small business?',
      2,
    ],
    ['one added word', 'What does a vulva look like?', 'What does a normal vulva look like?', 1],
  ])('counts the topic difference of %s', (_case, query, candidate, expected) => {
    const verdict = verifyNearMiss(query, candidate, { maxTopicShare: 1 });
    expect(verdict).toMatchObject({ ok: true, topicDifference: expected });
  });

  it('rejects on topic difference only beyond the allowed share (2 of 4 topic words here)', () => {
    const [q, c] = ['How do I start a small company?', 'How do I start a small business?'];
    expect(verifyNearMiss(q, c, { maxTopicShare: 0.25 })).toMatchObject({
      ok: false,
      reason: 'topic',
    });
    expect(verifyNearMiss(q, c, { maxTopicShare: 0.5 })).toMatchObject({ ok: true });
  });
});
