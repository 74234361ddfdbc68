import { describe, expect, it } from 'vitest';
import type { TaskType } from '@asahi/contracts';
import {
  DEFAULT_SEMANTIC_POLICY,
  decideSemanticHit,
  type SemanticHitInput,
} from './semantic-decision';

const paraphrase = {
  query: 'How can I improve my public speaking?',
  candidate: 'What are some good ways to improve my public speaking?',
};

const decide = (patch: Partial<SemanticHitInput>) =>
  decideSemanticHit({ ...paraphrase, similarity: 0.95, taskType: 'qa', ...patch });

describe('decideSemanticHit', () => {
  it.each<[string, boolean, string, Partial<SemanticHitInput>]>([
    ['a verified paraphrase above the threshold', true, 'verified-similar', {}],
    [
      'the same prompt up to case, punctuation and filler',
      true,
      'canonical-match',
      {
        query: 'Hey, how can I improve my PUBLIC speaking? Thanks',
        candidate: 'how can i improve my public speaking',
        similarity: 0.2,
      },
    ],
    ['a paraphrase below the threshold', false, 'below-threshold', { similarity: 0.9 }],
    [
      'a similar prompt with another number',
      false,
      'near-miss:numbers',
      {
        query: 'Best laptop under 500 dollars',
        candidate: 'Best laptop under 800 dollars',
        similarity: 0.99,
      },
    ],
    [
      'a similar prompt with a negation',
      false,
      'near-miss:negation',
      {
        query: 'Why do cats like water?',
        candidate: "Why don't cats like water?",
        similarity: 0.99,
      },
    ],
    [
      'a similar prompt about another place',
      false,
      'near-miss:entities',
      { query: 'Best pizza in Chicago', candidate: 'Best pizza in Boston', similarity: 0.99 },
    ],
    [
      'a route reversed',
      false,
      'near-miss:role-order',
      {
        query: 'Flights from Paris to Rome',
        candidate: 'Flights from Rome to Paris',
        similarity: 0.999,
      },
    ],
    [
      'different scopes (system prompt, model)',
      false,
      'scope-mismatch',
      { scopes: { query: 'a', candidate: 'b' }, similarity: 1 },
    ],
    ['equal scopes', true, 'verified-similar', { scopes: { query: 'a', candidate: 'a' } }],
    [
      'code, even identical up to case',
      false,
      'task-disabled',
      {
        taskType: 'code',
        query: 'rename Foo to foo',
        candidate: 'rename foo to foo',
        similarity: 0.999,
      },
    ],
    [
      'a prompt about commas that differs only in commas',
      false,
      'surface-form',
      {
        query: 'Count the commas in: a b c',
        candidate: 'Count the commas in: a, b, c',
        similarity: 0.999,
      },
    ],
    [
      'a prompt about capital letters that differs only in case',
      false,
      'surface-form',
      {
        query: "How many capital letters in 'hello world'",
        candidate: "how many capital letters in 'HeLLo World'",
        similarity: 0.999,
      },
    ],
    [
      'a translation equal up to case (the answer copies the case)',
      false,
      'below-threshold',
      {
        taskType: 'translation',
        query: 'Translate into French: i love paris',
        candidate: 'Translate into French: I love Paris',
        similarity: 0.9,
      },
    ],
  ])('%s → hit %s (%s)', (_case, hit, reason, patch) => {
    expect(decide(patch)).toMatchObject({ hit, reason });
  });

  it('asks for more similarity as more topic words differ (2 of 4 here)', () => {
    const synonym = {
      query: 'How do I start a small company?',
      candidate: 'How do I start a small business?',
    };
    const required =
      decide({ ...synonym, similarity: 0.999, wrongAnswerCost: 'low' }).threshold ?? 0;
    expect(required).toBeCloseTo(0.91 + 0.5 * DEFAULT_SEMANTIC_POLICY.similarityPerTopicShare, 6);
    expect(
      decide({ ...synonym, similarity: required - 0.001, wrongAnswerCost: 'low' }),
    ).toMatchObject({
      hit: false,
      reason: 'below-threshold',
    });
    expect(decide({ ...synonym, similarity: required, wrongAnswerCost: 'low' })).toMatchObject({
      hit: true,
    });
  });

  it.each<[WrongAnswerCostCase, number]>([
    ['low', 0.91],
    ['medium', 0.94],
    ['high', 0.97],
  ])('is stricter as a wrong answer costs more: %s needs %s for qa', (cost, threshold) => {
    expect(decide({ wrongAnswerCost: cost, similarity: threshold - 0.001 }).hit).toBe(false);
    expect(decide({ wrongAnswerCost: cost, similarity: threshold + 0.001 }).hit).toBe(true);
    expect(decide({ policy: { wrongAnswerCost: cost }, similarity: threshold - 0.001 }).hit).toBe(
      false,
    );
  });

  it('allows fewer differing topic words as the cost rises', () => {
    const oneAdded = {
      query: 'What does a vulva look like?',
      candidate: 'What does a normal vulva look like?',
      similarity: 0.999,
    };
    const twoApart = {
      query: 'How do I start a small company?',
      candidate: 'How do I start a small business?',
      similarity: 0.999,
    };
    expect(decide({ ...twoApart, wrongAnswerCost: 'low' }).hit).toBe(true);
    expect(decide({ ...twoApart, wrongAnswerCost: 'medium' })).toMatchObject({
      hit: false,
      reason: 'near-miss:topic',
    });
    expect(decide({ ...oneAdded, wrongAnswerCost: 'medium' }).hit).toBe(true);
    expect(decide({ ...oneAdded, wrongAnswerCost: 'high' })).toMatchObject({
      hit: false,
      reason: 'near-miss:topic',
    });
  });

  it.each<[TaskType, number]>([
    ['qa', 0.95],
    ['chat', 0.95],
    ['reasoning', 0.97],
    ['classification', 0.97],
    ['summarization', 0.99],
    ['translation', 0.99],
    ['extraction', 0.99],
  ])(
    'requires a task-specific similarity: %s hits at %s but not just under its threshold',
    (taskType, enough) => {
      const threshold = DEFAULT_SEMANTIC_POLICY.minSimilarity[taskType] ?? 1;
      expect(decide({ taskType, similarity: enough }).hit).toBe(true);
      expect(decide({ taskType, similarity: threshold - 0.001 }).hit).toBe(false);
    },
  );

  it('orders task types by how much a reworded input changes the right answer', () => {
    const t = DEFAULT_SEMANTIC_POLICY.minSimilarity;
    expect(t.qa).toBeLessThan(t.reasoning ?? 1);
    expect(t.reasoning).toBeLessThan(t.summarization ?? 1);
    expect(t.code).toBeNull();
  });
});

type WrongAnswerCostCase = 'low' | 'medium' | 'high';
