import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest, OptimizationMode } from '@asahi/contracts';
import { allowedStrategies, optimizeTokens, TOKEN_STRATEGIES } from './optimize-tokens';
import { resolveOptimizationMode } from './token-policy';
import { countTokens } from './token-count';

const DOC =
  'Cafe24 is a global success platform that provides a one-stop business environment for ' +
  'global e-commerce merchants so that they can achieve continued growth by focusing on their ' +
  'creativity, while the platform handles payments, shipping and marketing for them.';
const FEW_SHOT =
  'Label the review. Examples:\n\n' +
  [
    ['camera is sharp', 'positive'],
    ['pizza was cold', 'negative'],
    ['battery is great', 'positive'],
    ['room smelled', 'negative'],
    ['screen cracked', 'negative'],
  ]
    .map(([t, l]) => `Q: ${t}\nA: ${l}`)
    .join('\n\n');

const m = (role: ChatMessage['role'], content: string): ChatMessage => ({ role, content });
const req = (messages: ChatMessage[], extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages,
  ...extra,
});

/** Requests that give every strategy something to do. */
const BODIES: [string, ChatRequest][] = [
  ['messy whitespace', req([m('user', 'Hello   there.  \n\n\n\nThanks.  ')])],
  ['boilerplate', req([m('user', 'Translate this.\nAnswer in English.\nAnswer in English.')])],
  ['repeated document', req([m('user', DOC), m('assistant', 'OK.'), m('user', `${DOC}\n\nWhy?`)])],
  [
    'long history',
    req([
      m('system', 'Be brief.'),
      ...Array.from({ length: 30 }, (_, i) =>
        m(i % 2 ? 'assistant' : 'user', `turn ${i} ${'filler text '.repeat(40)}`),
      ),
      m('user', 'And finally?'),
    ]),
  ],
  ['few-shot', req([m('system', FEW_SHOT), m('user', 'the camera is blurry')])],
  [
    'classification with a generous max_tokens',
    req([m('user', 'camera is sharp')], { max_tokens: 2000 }),
  ],
  ['code only', req([m('user', '```\n  a  =  1   \n\n\n\n```')])],
  ['whitespace-only message', req([m('system', '   '), m('user', 'hi')])],
];
const OPTIONS = { historyBudgetTokens: 600, fewShotKeep: 2 };

describe('allowedStrategies (risk gating by mode)', () => {
  it.each([
    ['off', []],
    [
      'safe',
      [
        'normalize-whitespace',
        'collapse-spaces',
        'strip-boilerplate',
        'dedupe-blocks',
        'right-size-max-tokens',
      ],
    ],
    ['aggressive', TOKEN_STRATEGIES.map((s) => s.name)],
  ] as const)('%s runs %j', (mode, names) => {
    expect(allowedStrategies(mode).map((s) => s.name)).toEqual(names);
  });

  it('safe mode never runs a medium- or high-risk strategy', () => {
    for (const [, body] of BODIES) {
      const { steps } = optimizeTokens(body, { mode: 'safe', ...OPTIONS });
      for (const step of steps) expect(['none', 'low']).toContain(step.risk);
    }
  });
});

describe('optimizeTokens', () => {
  it.each(BODIES)('off leaves %s as it is, and still counts it', (_name, body) => {
    const result = optimizeTokens(body, { mode: 'off', ...OPTIONS });
    expect(result.body).toBe(body);
    expect(result.report).toEqual({
      original: countTokens(body.messages, body.model),
      optimized: countTokens(body.messages, body.model),
      strategies: [],
    });
  });

  const cases = BODIES.flatMap(([name, body]) =>
    (['safe', 'aggressive'] as OptimizationMode[]).map((mode) => [name, mode, body] as const),
  );

  it.each(cases)('%s (%s): idempotent, deterministic, invariants kept', (_name, mode, body) => {
    // With a task type, so right-sizing max_tokens runs too.
    const options = { mode, ...OPTIONS, taskType: 'classification' as const };
    const once = optimizeTokens(body, options);
    const twice = optimizeTokens(once.body, options);
    expect(twice.body).toEqual(once.body);
    expect(twice.steps).toEqual([]);
    expect(optimizeTokens(structuredClone(body), options)).toEqual(once);

    // The final user turn is still there, still last among the user messages, and not empty.
    const after = (b: ChatRequest) =>
      b.messages.length - b.messages.findLastIndex((x) => x.role === 'user');
    expect(after(once.body)).toBe(after(body));
    expect(once.body.messages.findLast((x) => x.role === 'user')!.content.trim()).not.toBe('');
    for (const msg of once.body.messages) expect(msg.content).not.toBe('');
    if (body.max_tokens !== undefined)
      expect(once.body.max_tokens!).toBeLessThanOrEqual(body.max_tokens);
  });

  it.each(cases)('%s (%s): the report matches the tokenizer', (_name, mode, body) => {
    const { report, steps, body: out } = optimizeTokens(body, { mode, ...OPTIONS });
    expect(report.original).toBe(countTokens(body.messages, body.model));
    expect(report.optimized).toBe(countTokens(out.messages, out.model));
    expect(report.strategies).toEqual(steps.map((s) => s.name));
    expect(steps.reduce((n, s) => n + s.savedTokens, 0)).toBe(report.original - report.optimized);
  });

  it.each([
    ['messy whitespace', 'safe', ['normalize-whitespace', 'collapse-spaces']],
    ['boilerplate', 'safe', ['strip-boilerplate']],
    ['repeated document', 'safe', ['dedupe-blocks']],
    ['long history', 'safe', ['normalize-whitespace']],
    ['long history', 'aggressive', ['normalize-whitespace', 'trim-history']],
    ['few-shot', 'safe', []],
    ['few-shot', 'aggressive', ['select-few-shot']],
    ['classification with a generous max_tokens', 'safe', ['right-size-max-tokens']],
    ['code only', 'aggressive', []],
    ['whitespace-only message', 'aggressive', []],
  ] as const)('%s in %s mode applies %j', (name, mode, strategies) => {
    const body = BODIES.find(([n]) => n === name)![1];
    const taskType = name.startsWith('classification') ? ('classification' as const) : undefined;
    expect(optimizeTokens(body, { mode, ...OPTIONS, taskType }).report.strategies).toEqual(
      strategies,
    );
  });

  it('reports max_tokens apart, and never raises it', () => {
    const body = BODIES.find(([n]) => n === 'classification with a generous max_tokens')![1];
    const options = { ...OPTIONS, taskType: 'classification' as const };
    const { maxTokens, steps } = optimizeTokens(body, { mode: 'safe', ...options });
    expect(maxTokens).toEqual({ before: 2000, after: 64 });
    expect(steps).toEqual([{ name: 'right-size-max-tokens', risk: 'low', savedTokens: 0 }]);
    const small = req([m('user', 'x')], { max_tokens: 5 });
    expect(optimizeTokens(small, { mode: 'aggressive', ...options }).body.max_tokens).toBe(5);
  });

  it('counts with the given model’s tokenizer', () => {
    const body = req([m('user', 'こんにちは、世界')]);
    const o200k = optimizeTokens(body, { mode: 'safe' }).report.original;
    const cl100k = optimizeTokens(body, { mode: 'safe', model: 'gpt-3.5-turbo' }).report.original;
    expect(o200k).not.toBe(cl100k);
  });
});

describe('resolveOptimizationMode', () => {
  it.each([
    // [request, tenant's stored optimization, resolved]
    [undefined, undefined, 'safe'],
    [undefined, 'off', 'off'],
    [undefined, 'aggressive', 'aggressive'],
    ['off', 'aggressive', 'off'],
    // The bare form sets a default, no ceiling: a request may still opt in.
    ['aggressive', 'safe', 'aggressive'],
    [undefined, { mode: 'aggressive' }, 'aggressive'],
    // maxMode is a ceiling: a request cannot escalate past it…
    ['aggressive', { maxMode: 'safe' }, 'safe'],
    ['aggressive', { mode: 'off', maxMode: 'off' }, 'off'],
    ['safe', { maxMode: 'off' }, 'off'],
    // …nor can the platform default.
    [undefined, { maxMode: 'off' }, 'off'],
    // …but any request may ask for less.
    ['off', { mode: 'safe', maxMode: 'aggressive' }, 'off'],
    ['safe', { mode: 'aggressive', maxMode: 'aggressive' }, 'safe'],
    ['aggressive', { mode: 'safe', maxMode: 'aggressive' }, 'aggressive'],
  ] as const)('request %s, tenant %j → %s', (requested, tenant, expected) => {
    expect(resolveOptimizationMode(requested, tenant ? { optimization: tenant } : undefined)).toBe(
      expected,
    );
  });
});
