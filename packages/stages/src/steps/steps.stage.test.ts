import { describe, expect, it } from 'vitest';
import {
  fixtures,
  requestMessageSchema,
  type RequestMessage,
  type StepRecord,
  type StepsRequest,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { CachedAnswer, ChatProvider, ExactCache } from '../ports';
import { costOf } from '../pricing';
import { assembleStepsResult, stepFailureResult } from './assemble-steps.stage';
import { runStep, type StepLock } from './run-step.stage';
import { stepCacheKey, stepChatRequest } from './step-prompt';

const base = requestMessageSchema.parse(fixtures.request());
const NOW = Date.parse('2026-11-22T10:00:01.000Z');
const clock = { now: () => NOW };

const STEPS: StepsRequest = {
  input: 'A long document about Kyoto.',
  steps: [
    { id: 'summarize', template: 'Summarize: {{input}}', dependsOn: [] },
    { id: 'translate', template: 'Into French: {{steps.summarize}}', dependsOn: ['summarize'] },
  ],
};
const withSteps = (patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  steps: STEPS,
  ...patch,
});

function mapCache(): ExactCache & { entries: Map<string, CachedAnswer> } {
  const entries = new Map<string, CachedAnswer>();
  return {
    entries,
    get: async (t, k) => entries.get(`${t}|${k}`) ?? null,
    set: async (t, k, v) => void entries.set(`${t}|${k}`, v),
  };
}

function provider(fail?: AppError): ChatProvider & { prompts: string[] } {
  const p = {
    name: 'openai',
    prompts: [] as string[],
    complete: async (body: { messages: { content: string }[] }) => {
      p.prompts.push(body.messages[0]!.content);
      if (fail) throw fail;
      return {
        output: {
          id: 'c',
          model: 'gpt-4o-mini',
          content: `out(${p.prompts.length})`,
          finishReason: 'stop',
        },
        usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150 },
      };
    },
  };
  return p;
}

const input = (request: RequestMessage, stepId: string, outputs: Record<string, string> = {}) => ({
  request,
  stepId,
  outputs,
  attempt: 1,
  timeoutMs: 1_000,
});

describe('runStep', () => {
  it('computes a step from its rendered prompt, caches it, and the next run is a free hit', async () => {
    const cache = mapCache();
    const p = provider();
    const first = await runStep(input(withSteps(), 'translate', { summarize: 'S' }), {
      provider: p,
      cache,
      clock,
    });
    expect(p.prompts).toEqual(['Into French: S']);
    expect(first).toMatchObject({
      kind: 'done',
      record: { stepId: 'translate', cached: false, attempts: 1, output: { content: 'out(1)' } },
    });
    const cost = costOf('gpt-4o-mini', { promptTokens: 100, completionTokens: 50 });
    expect(first.kind === 'done' && first.record.costUsd).toBe(cost);

    const again = await runStep(
      input(withSteps({ requestId: 'req_other' }), 'translate', { summarize: 'S' }),
      {
        provider: p,
        cache,
        clock,
      },
    );
    expect(p.prompts).toHaveLength(1);
    expect(again).toMatchObject({
      kind: 'done',
      record: {
        cached: true,
        costUsd: 0,
        originalCostUsd: cost,
        attempts: 0,
        output: { content: 'out(1)' },
      },
    });
  });

  it.each([
    ['another tenant', { tenantId: 'tenant_b' }, {}],
    ['another dependency output', {}, { summarize: 'T' }],
    ['a sampled request', { body: { ...base.body, temperature: 0.7 } }, {}],
  ])('does not reuse a step for %s', async (_l, patch, outputs) => {
    const cache = mapCache();
    const p = provider();
    await runStep(input(withSteps(), 'translate', { summarize: 'S' }), {
      provider: p,
      cache,
      clock,
    });
    const other = withSteps(patch as Partial<RequestMessage>);
    await runStep(input(other, 'translate', { summarize: 'S', ...outputs }), {
      provider: p,
      cache,
      clock,
    });
    expect(p.prompts).toHaveLength(2);
  });

  it('with the cache off it neither reads nor writes', async () => {
    const cache = mapCache();
    const request = withSteps({ cache: { mode: 'off' } });
    await runStep(input(request, 'summarize'), { provider: provider(), cache, clock });
    expect(cache.entries.size).toBe(0);
  });

  it.each([
    [
      'past the deadline',
      withSteps({ deadlineAt: '2026-11-22T10:00:00.000Z' }),
      'summarize',
      'deadline_exceeded',
      false,
    ],
    ['an unknown step', withSteps(), 'nope', 'invalid_request', false],
  ])('%s → error %s without a provider call', async (_l, request, stepId, code, retryable) => {
    const p = provider();
    const outcome = await runStep(input(request, stepId), {
      provider: p,
      cache: mapCache(),
      clock,
    });
    expect(outcome).toMatchObject({ kind: 'error', error: { code, retryable } });
    expect(p.prompts).toHaveLength(0);
  });

  it('hands a provider error back as it is (the queue decides on retries)', async () => {
    const p = provider(new AppError('provider_error', 'Provider answered 500'));
    const outcome = await runStep(input(withSteps(), 'summarize'), {
      provider: p,
      cache: mapCache(),
      clock,
    });
    expect(outcome).toMatchObject({
      kind: 'error',
      error: { code: 'provider_error', retryable: true },
    });
  });

  it('when the previous holder finished just before our lock, takes its answer instead of computing', async () => {
    const cache = mapCache();
    const p = provider();
    const request = withSteps();
    let released = 0;
    const theirs = {
      output: { id: 'x', model: 'gpt-4o-mini', content: 'theirs', finishReason: 'stop' },
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      model: 'gpt-4o-mini',
      provider: 'openai',
      costUsd: 0.5,
      cachedAt: 'then',
    };
    const lock: StepLock = {
      // The other request cached its answer and released between our first look and acquire.
      acquire: async (tenantId, k) => {
        await cache.set(tenantId, k, theirs, 60);
        return { release: async () => void released++ };
      },
      waitForRelease: async () => undefined,
    };
    const outcome = await runStep(input(request, 'summarize'), { provider: p, cache, clock, lock });
    expect(p.prompts).toHaveLength(0);
    expect(released).toBe(1);
    expect(outcome).toMatchObject({
      kind: 'done',
      record: { cached: true, output: { content: 'theirs' } },
    });
  });

  it('when another request holds the step, waits for it and takes its cached answer', async () => {
    const cache = mapCache();
    const p = provider();
    const request = withSteps();
    const key = stepCacheKey(
      'Summarize: {{input}}',
      stepChatRequest(STEPS.steps[0]!, `Summarize: ${STEPS.input}`, request.body),
    );
    const lock: StepLock = {
      acquire: async () => null, // someone else holds it …
      waitForRelease: async (tenantId, k) =>
        // … and caches the answer before releasing.
        cache.set(
          tenantId,
          k,
          {
            output: { id: 'x', model: 'gpt-4o-mini', content: 'theirs', finishReason: 'stop' },
            usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
            model: 'gpt-4o-mini',
            provider: 'openai',
            costUsd: 0.5,
            cachedAt: 'then',
          },
          60,
        ),
    };
    const outcome = await runStep(input(request, 'summarize'), { provider: p, cache, clock, lock });
    expect(p.prompts).toHaveLength(0);
    expect(outcome).toMatchObject({
      kind: 'done',
      cacheKey: key,
      record: { cached: true, output: { content: 'theirs' } },
    });
  });
});

const record = (stepId: string, patch: Partial<StepRecord>): StepRecord => ({
  stepId,
  output: { id: stepId, model: 'gpt-4o-mini', content: `${stepId} text`, finishReason: 'stop' },
  usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  model: 'gpt-4o-mini',
  provider: 'openai',
  costUsd: 0.002,
  originalCostUsd: 0.002,
  cached: false,
  attempts: 1,
  ms: 7,
  ...patch,
});

describe('assembleStepsResult', () => {
  it.each([
    ['nothing cached', false, false, 'none', 0.004, 0],
    ['the first step cached', true, false, 'none', 0.002, 0.002],
    ['every step cached', true, true, 'intermediate', 0, 0.004],
  ])('%s → tier %s, cost %f, intermediate savings %f', (_l, first, second, tier, cost, saved) => {
    const result = assembleStepsResult(
      withSteps(),
      {
        summarize: record('summarize', first ? { cached: true, costUsd: 0, attempts: 0 } : {}),
        translate: record('translate', second ? { cached: true, costUsd: 0, attempts: 0 } : {}),
      },
      NOW,
      { prepare: 3 },
    );
    expect(result).toMatchObject({
      status: 'succeeded',
      cacheTier: tier,
      output: { content: 'translate text' }, // the last step is the output
      usage: { promptTokens: 20, completionTokens: 10, totalTokens: 30 },
      baselineCostUsd: 0.004,
      timings: { prepare: 3, 'step.summarize': 7, 'step.translate': 7 },
    });
    expect(result.costUsd).toBeCloseTo(cost, 12);
    expect(result.savings?.intermediate).toBeCloseTo(saved, 12);
  });

  it('refuses to assemble with a step missing', () => {
    expect(() =>
      assembleStepsResult(withSteps(), { translate: record('translate', {}) }, NOW),
    ).toThrow(/summarize/);
  });
});

describe('stepFailureResult', () => {
  it('names the failed step', () => {
    const r = stepFailureResult(withSteps(), {
      stepId: 'translate',
      cause: 'provider_error: 500',
      attempts: 5,
      now: NOW,
    });
    expect(r).toMatchObject({
      status: 'failed',
      error: { code: 'step_failed', message: 'Step "translate" failed: provider_error: 500' },
    });
  });
  it('is expired once the deadline has passed', () => {
    const late = Date.parse(base.deadlineAt) + 1;
    const r = stepFailureResult(withSteps(), {
      stepId: 'translate',
      cause: 'x',
      attempts: 1,
      now: late,
    });
    expect(r).toMatchObject({ status: 'expired', error: { code: 'deadline_exceeded' } });
  });
});
