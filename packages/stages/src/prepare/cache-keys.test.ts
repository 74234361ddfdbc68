import { describe, expect, it } from 'vitest';
import type { ChatMessage, RequestMessage, TenantPolicy } from '@asahi/contracts';
import { REGISTRY } from '../routing/test-registry.fixture';
import { requestCacheKey } from './cache-keys';
import {
  answer,
  ask,
  autopilot,
  base,
  clock,
  converse,
  explicit,
  mapCache,
} from './prepare.fixture';
import { prepareRequest, type PrepareContext } from './prepare.stage';

const P = explicit.policy;

/** Runs a request through prepare and expects it to go on to a provider. */
async function dispatched(request: RequestMessage, context: PrepareContext, cache = mapCache()) {
  const out = await prepareRequest(request, { cache, clock }, {}, context);
  if (out.kind !== 'dispatch') throw new Error(`expected dispatch, got ${out.kind}`);
  return out;
}

describe('requestCacheKey', () => {
  const doc = {
    input: 'A long document.',
    steps: [{ id: 's', template: 'Summarize {{input}}', dependsOn: [] }],
  };
  it.each([
    ['declared steps', { steps: doc }],
    ['a non-explicit routing policy', { routing: { mode: 'autopilot' as const } }],
  ])('%s change the exact key of an otherwise equal request', (_n, patch) => {
    const plain = ask('Same body');
    expect(requestCacheKey({ ...plain, ...patch }, 'safe', P)).not.toBe(
      requestCacheKey(plain, 'safe', P),
    );
  });
  it('aggressive mode keys on the tenant’s history and few-shot budgets, which change the prompt', () => {
    const plain = ask('Same body');
    const budget = (historyBudgetTokens: number) => ({
      ...P,
      optimization: { mode: 'aggressive' as const, historyBudgetTokens },
    });
    expect(requestCacheKey(plain, 'aggressive', budget(1000))).not.toBe(
      requestCacheKey(plain, 'aggressive', budget(4000)),
    );
    expect(requestCacheKey(plain, 'aggressive', budget(1000))).toBe(
      requestCacheKey(plain, 'aggressive', budget(1000)),
    );
  });
  it('explicit routing and safe optimization keep the plain body key', () => {
    const plain = ask('Same body');
    expect(requestCacheKey({ ...plain, routing: { mode: 'explicit' } }, 'safe', P)).toBe(
      requestCacheKey(plain, 'off', P),
    );
  });
});

describe('cache keys follow the effective routing: the request’s, else its tenant’s', () => {
  it('never serves an explicit request the answer its tenant’s autopilot chose for a silent one', async () => {
    const cache = mapCache();
    const silent = ask('Summarize the plot of Hamlet in one sentence.');
    const routed = await dispatched(silent, autopilot);
    await cache.set(base.tenantId, routed.cacheKey!, answer('cheap model answer'), 60);
    expect((await prepareRequest(silent, { cache, clock }, {}, autopilot)).kind).toBe('complete');

    const pinned = { ...silent, routing: { mode: 'explicit' as const } };
    const out = await prepareRequest(pinned, { cache, clock }, {}, autopilot);
    expect(out).toMatchObject({ kind: 'dispatch', trace: { exact: 'miss' } });
  });

  const tenant = (routing: TenantPolicy['routing']): PrepareContext => ({
    policy: { cache: {}, routing },
    registry: REGISTRY,
  });
  type Side = [Partial<RequestMessage>, PrepareContext];
  it.each<[string, Side, Side, boolean]>([
    [
      'explicit tenant: no routing and explicit routing share keys',
      [{}, explicit],
      [{ routing: { mode: 'explicit' } }, explicit],
      true,
    ],
    [
      'autopilot set by the tenant or asked by the request: shared keys',
      [{}, autopilot],
      [{ routing: { mode: 'autopilot' } }, explicit],
      true,
    ],
    [
      'autopilot tenant: a silent and an explicit request differ',
      [{}, autopilot],
      [{ routing: { mode: 'explicit' } }, autopilot],
      false,
    ],
    [
      'autopilot: tenant quality floors 0.5 and 0.9 differ',
      [{}, tenant({ mode: 'autopilot', qualityFloor: 0.5 })],
      [{}, tenant({ mode: 'autopilot', qualityFloor: 0.9 })],
      false,
    ],
    [
      'autopilot: the request’s floor overrides the tenant’s (shared keys)',
      [{ routing: { qualityFloor: 0.9 } }, tenant({ mode: 'autopilot', qualityFloor: 0.5 })],
      [{}, tenant({ mode: 'autopilot', qualityFloor: 0.9 })],
      true,
    ],
    [
      'autopilot: another tenant default model differs',
      [{}, tenant({ mode: 'autopilot', defaultModel: 'gpt-4o' })],
      [{}, tenant({ mode: 'autopilot', defaultModel: 'gpt-4o-mini' })],
      false,
    ],
    [
      'explicit: the tenant’s floor does not matter (shared keys)',
      [{}, tenant({ qualityFloor: 0.5 })],
      [{}, tenant({ qualityFloor: 0.9 })],
      true,
    ],
    [
      'guided: other preferences differ',
      [{ routing: { mode: 'guided', prefer: { cost: 1 } } }, explicit],
      [{ routing: { mode: 'guided', prefer: { quality: 1 } } }, explicit],
      false,
    ],
  ])('%s', async (_n, [patchA, contextA], [patchB, contextB], same) => {
    const prompt = 'What is the capital of Japan?';
    const a = await dispatched(ask(prompt, patchA), contextA);
    const b = await dispatched(ask(prompt, patchB), contextB);
    expect(a.cacheKey === b.cacheKey).toBe(same);
    expect(a.plan.aliasKeys).toHaveLength(1);
    expect(a.plan.aliasKeys[0] === b.plan.aliasKeys[0]).toBe(same);
  });
});

describe('canonical-form tier: only differences that cannot change the answer', () => {
  type Prompt = string | ChatMessage[];
  const request = (p: Prompt) => (typeof p === 'string' ? ask(p) : converse(p));
  /** Answers `first` (filling every key dispatch would), then asks `second`. */
  async function tierServing(first: Prompt, second: Prompt): Promise<string> {
    const cache = mapCache();
    const out = await dispatched(request(first), explicit, cache);
    for (const key of [out.cacheKey!, ...out.plan.aliasKeys])
      await cache.set(base.tenantId, key, answer('first answer'), 60);
    const again = await prepareRequest(request(second), { cache, clock }, {}, explicit);
    return again.kind === 'complete' ? again.result.cacheTier : 'none';
  }
  const system = (content: string): ChatMessage => ({ role: 'system', content });
  const user = (content: string): ChatMessage => ({ role: 'user', content });

  it.each<[string, Prompt, Prompt]>([
    ['letter case', 'What is the capital of Japan?', 'what is the CAPITAL of japan?'],
    ['spacing', 'What is the capital of Japan?', 'What   is the capital\nof Japan?'],
    [
      'a leading "please"',
      'What is the capital of Japan?',
      'Please, what is the capital of Japan?',
    ],
    ['trailing thanks', 'What is the capital of Japan?', 'What is the capital of Japan? Thanks!'],
    ['a missing trailing "?"', 'What is the capital of Japan?', 'What is the capital of Japan'],
    ['curly quote marks', 'What does “carpe diem” mean?', 'What does "carpe diem" mean'],
    [
      'case of the user turn after an equal system prompt',
      [system('Be brief.'), user('What is the capital of Japan?')],
      [system('Be brief.'), user('what is the capital of japan')],
    ],
  ])('matches across %s', async (_n, first, second) => {
    expect(await tierServing(first, second)).toBe('canonical');
  });

  it.each<[string, Prompt, Prompt]>([
    ['commas asked about', 'Count the commas in: a, b, c', 'Count the commas in: a b c'],
    [
      'capital letters in a quote',
      "How many capital letters in 'HeLLo World'?",
      "How many capital letters in 'hello world'?",
    ],
    [
      'capital letters, unquoted',
      'How many capital letters are in HeLLo World?',
      'How many capital letters are in hello world?',
    ],
    ['spelling asked about', 'Is recieve spelled right?', 'Is Recieve spelled right'],
    ['the case inside double quotes', 'What does "Polish" mean?', 'What does "polish" mean?'],
    [
      'punctuation inside double quotes',
      'Is "Hello, World!" a greeting?',
      'Is "hello world" a greeting?',
    ],
    [
      'the case inside a code span',
      'What does `NaN` mean in JavaScript?',
      'What does `nan` mean in JavaScript?',
    ],
    [
      'the case of a system prompt',
      [system('Reply in French.'), user('What is the capital of Japan?')],
      [system('reply in french'), user('What is the capital of Japan?')],
    ],
    [
      'a system prompt about punctuation',
      [system('Count the commas in the user message.'), user('a, b, c')],
      [system('Count the commas in the user message.'), user('a b c')],
    ],
  ])('never matches across %s', async (_n, first, second) => {
    expect(await tierServing(first, second)).toBe('none');
  });
});
