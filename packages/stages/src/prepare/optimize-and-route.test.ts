import { describe, expect, it } from 'vitest';
import {
  fixtures,
  requestMessageSchema,
  type ChatMessage,
  type ModelProfile,
  type RequestMessage,
  type TenantPolicy,
} from '@asahi/contracts';
import type { CachedAnswer, ExactCache } from '../ports';
import { model, q, REGISTRY } from '../routing/test-registry.fixture';
import { countTokens } from '../tokens/index';
import { prepareRequest, type PrepareContext } from './prepare.stage';

const base = requestMessageSchema.parse(fixtures.request());
const clock = { now: () => Date.parse('2026-11-22T10:00:01.000Z') };
const noCache: ExactCache = {
  get: async (): Promise<CachedAnswer | null> => null,
  set: async () => undefined,
};
const ask = (messages: ChatMessage[], patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  ...patch,
  body: { model: 'gpt-4o', messages, ...patch.body },
});
const user = (content: string): ChatMessage => ({ role: 'user', content });

async function dispatched(request: RequestMessage, context: PrepareContext) {
  const out = await prepareRequest(request, { cache: noCache, clock }, {}, context);
  if (out.kind !== 'dispatch') throw new Error(`expected dispatch, got ${out.result.error?.code}`);
  return out;
}
const policy = (over: Partial<TenantPolicy> = {}): TenantPolicy => ({
  cache: { mode: 'off' },
  routing: {},
  ...over,
});

describe('max_tokens is sized for the model the request is routed to', () => {
  // ~16,300 cl100k tokens: fits gpt-3.5-turbo's 16,385 window only without 4,096 more.
  const invoice = `Extract every city as JSON.\n${'The invoice lists 3 items shipped to Lyon. '.repeat(1_630)}`;

  it('never past the window: an explicit gpt-3.5-turbo extraction stays a valid request', async () => {
    const request = ask([user(invoice)], { body: { model: 'gpt-3.5-turbo', messages: [] } });
    request.body.messages = [user(invoice)];
    const out = await dispatched(request, { policy: policy(), registry: REGISTRY });
    const prompt = countTokens(out.request.body.messages, 'gpt-3.5-turbo');
    expect(prompt).toBeLessThan(16_385);
    expect(out.request.body.max_tokens).toBeDefined();
    expect(prompt + out.request.body.max_tokens!).toBeLessThanOrEqual(16_385);
  });

  it.each([
    ['explicit o4-mini, which rejects max_tokens', 'o4-mini', undefined],
    ['explicit gpt-4o-mini, which takes it', 'gpt-4o-mini', 64],
  ])('a classification on %s', async (_, name, expected) => {
    const label = 'Classify the sentiment of this review: "Great value."';
    const request = ask([user(label)], { body: { model: name, messages: [user(label)] } });
    const out = await dispatched(request, { policy: policy(), registry: REGISTRY });
    expect(out.request.body.max_tokens).toBe(expected);
  });

  it('an optimizer-added max_tokens does not rule reasoning models out of AUTOPILOT', async () => {
    // Only o4-mini reaches the floor for classification.
    const registry = REGISTRY.map((m) =>
      m.id === 'o4-mini' ? { ...m, quality: { ...m.quality, classification: 0.99 } } : m,
    );
    const label = 'Classify the sentiment of this review: "Great value."';
    const request = ask([user(label)], { routing: { mode: 'autopilot', qualityFloor: 0.95 } });
    const out = await dispatched(request, { policy: policy(), registry });
    expect(out.plan.routing?.model).toBe('o4-mini');
    expect(out.request.body.max_tokens).toBeUndefined();
  });

  it('a caller’s own max_tokens still asks for a sampling model', async () => {
    const registry = REGISTRY.map((m) =>
      m.id === 'o4-mini' ? { ...m, quality: { ...m.quality, classification: 0.99 } } : m,
    );
    const label = 'Classify the sentiment of this review: "Great value."';
    const request = ask([user(label)], {
      routing: { mode: 'autopilot', qualityFloor: 0.95 },
      body: { model: 'gpt-4o', messages: [user(label)], max_tokens: 500 },
    });
    const out = await dispatched(request, { policy: policy(), registry });
    expect(out.plan.routing?.model).not.toBe('o4-mini');
    expect(out.request.body.max_tokens).toBe(64);
  });
});

describe('context windows are checked in each model’s own tokenizer', () => {
  // Japanese: o200k_base (gpt-4o, as requested) counts far fewer tokens than cl100k_base.
  const text = 'こんにちは、世界。'.repeat(2_800);
  const registry: ModelProfile[] = [
    model('gpt-3.5-turbo', [0.01, 0.01], q(1, 1, 1, 1, 1, 1, 1, 1), { contextWindow: 16_385 }),
    model('gpt-4o-mini', [0.15, 0.6], q(1, 1, 1, 1, 1, 1, 1, 1)),
  ];

  it('routes past a model the prompt only seems to fit', async () => {
    const messages = [user(text)];
    expect(countTokens(messages, 'gpt-4o') + 256).toBeLessThan(16_385);
    expect(countTokens(messages, 'gpt-3.5-turbo')).toBeGreaterThan(16_385);
    const out = await dispatched(ask(messages, { routing: { mode: 'autopilot' } }), {
      policy: policy(),
      registry,
    });
    expect(out.plan.routing?.model).toBe('gpt-4o-mini');
  });

  it('still takes the cheap model when the prompt really fits it', async () => {
    const messages = [user(text.slice(0, text.length / 2))];
    const out = await dispatched(ask(messages, { routing: { mode: 'autopilot' } }), {
      policy: policy(),
      registry,
    });
    expect(out.plan.routing?.model).toBe('gpt-3.5-turbo');
  });
});

describe('tenant optimization policy reaches the optimizer', () => {
  // A 12-turn conversation of ~400 tokens a turn: ~5,000 tokens, over the default 4,000 budget.
  const turn = (i: number): ChatMessage[] => [
    user(`Question ${i}: ${'tell me more about the harbour and its ships '.repeat(40)}`),
    { role: 'assistant', content: `Answer ${i}: ${'the harbour holds many ships '.repeat(40)}` },
  ];
  const conversation = [...Array.from({ length: 12 }, (_, i) => turn(i)).flat(), user('Thanks!')];
  const run = async (
    optimization: TenantPolicy['optimization'],
    patch: Partial<RequestMessage> = {},
    body: Partial<RequestMessage['body']> = {},
  ) => {
    const request = ask(conversation, patch);
    request.body = { ...request.body, ...body };
    const out = await dispatched(request, { policy: policy({ optimization }), registry: REGISTRY });
    return { tokens: out.plan.tokens!, messages: out.request.body.messages.length };
  };

  it.each([
    // [what, tenant optimization, request mode, trims history?]
    ['request asks aggressive, no ceiling', undefined, 'aggressive', true],
    ['request asks aggressive, tenant ceiling safe', { maxMode: 'safe' }, 'aggressive', false],
    ['request asks aggressive, tenant ceiling off', { maxMode: 'off' }, 'aggressive', false],
    ['tenant default aggressive, request says nothing', { mode: 'aggressive' }, undefined, true],
    ['tenant default aggressive, request asks safe', { mode: 'aggressive' }, 'safe', false],
  ] as const)('%s', async (_, optimization, mode, trims) => {
    const { tokens } = await run(optimization, mode ? { optimization: mode } : {});
    expect(tokens.strategies.includes('trim-history')).toBe(trims);
  });

  it('takes the history budget from the tenant', async () => {
    const loose = await run({ mode: 'aggressive', historyBudgetTokens: 100_000 });
    const tight = await run({ mode: 'aggressive', historyBudgetTokens: 1_000 });
    expect(loose.tokens.strategies).not.toContain('trim-history');
    expect(tight.tokens.optimized).toBeLessThanOrEqual(1_000);
    expect(tight.messages).toBeLessThan(loose.messages);
  });

  it('caps the history budget by the window of the model that runs', async () => {
    // 40 turns of ~800 tokens: ~32,000 tokens, twice gpt-3.5-turbo's window.
    const long = Array.from({ length: 40 }, (_, i) =>
      turn(i).map((m) => ({ ...m, content: m.content.repeat(2) })),
    ).flat();
    const request = ask([...long, user('Thanks!')], { optimization: 'aggressive' });
    request.body = { ...request.body, model: 'gpt-3.5-turbo', max_tokens: 500 };
    const out = await dispatched(request, {
      policy: policy({ optimization: { historyBudgetTokens: 1_000_000 } }),
      registry: REGISTRY,
    });
    const prompt = countTokens(out.request.body.messages, 'gpt-3.5-turbo');
    expect(out.plan.tokens?.strategies).toContain('trim-history');
    expect(prompt + 500).toBeLessThanOrEqual(16_385);
    // The tenant's budget was used up to the window, not the 4,000 default.
    expect(prompt).toBeGreaterThan(12_000);
  });

  it('keeps the tenant’s number of few-shot examples', async () => {
    const examples = Array.from(
      { length: 10 },
      (_, i) =>
        `Example ${i + 1}:\nInput: review number ${i} about phones and cameras\nOutput: positive`,
    ).join('\n\n');
    const system: ChatMessage = { role: 'system', content: `Label each review.\n\n${examples}` };
    const request = ask([system, user('Input: a review about cameras\nOutput:')], {
      optimization: 'aggressive',
    });
    const kept = async (fewShotKeep: number) => {
      const out = await dispatched(request, {
        policy: policy({ optimization: { fewShotKeep } }),
        registry: REGISTRY,
      });
      return (out.request.body.messages[0]!.content.match(/^Example \d+:/gm) ?? []).length;
    };
    expect(await kept(2)).toBe(2);
    expect(await kept(5)).toBe(5);
  });
});
