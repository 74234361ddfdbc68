import { describe, expect, it } from 'vitest';
import {
  fixtures,
  requestMessageSchema,
  type ChatRequest,
  type RequestMessage,
  type StepsRequest,
  type TenantPolicy,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { CachedAnswer, ExactCache } from '../ports';
import { model, q } from '../routing/test-registry.fixture';
import { stepFailureResult } from './assemble-steps.stage';
import { runStep, type StepCall, type StepDispatcher } from './run-step.stage';
import { stepCacheKey } from './step-prompt';
import { chooseStepModel, type StepContext } from './step-model';

/**
 * What runStep takes from outside the request: the tenant's cache policy, its routing (for the
 * model of a step that names none) and the dispatcher's verdict (wait, fallback, error).
 */
const base = requestMessageSchema.parse(fixtures.request());
const NOW = Date.parse('2026-11-22T10:00:01.000Z');
const clock = { now: () => NOW };
const STEPS: StepsRequest = {
  input: 'A long document about Kyoto.',
  steps: [{ id: 'summarize', template: 'Summarize: {{input}}', dependsOn: [] }],
};
const { cache: _fixtureCache, ...plain } = base;
const request = (patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...plain,
  body: { ...base.body, model: 'gpt-4o-mini', temperature: 0 },
  steps: STEPS,
  ...patch,
});
const policy = (patch: Partial<TenantPolicy> = {}): TenantPolicy => ({
  cache: {},
  routing: {},
  ...patch,
});

function mapCache(): ExactCache & {
  ttls: Map<string, number>;
  entries: Map<string, CachedAnswer>;
} {
  const entries = new Map<string, CachedAnswer>();
  const ttls = new Map<string, number>();
  return {
    entries,
    ttls,
    get: async (t, k) => entries.get(`${t}|${k}`) ?? null,
    set: async (t, k, v, ttl) => {
      entries.set(`${t}|${k}`, v);
      ttls.set(`${t}|${k}`, ttl);
    },
  };
}

/** A dispatcher that answers with the model it is asked for, or with a scripted verdict. */
function dispatcher(verdict?: (chat: ChatRequest) => StepCall): StepDispatcher & {
  models: string[];
} {
  const d = {
    models: [] as string[],
    call: async (chat: ChatRequest): Promise<StepCall> => {
      d.models.push(chat.model);
      if (verdict) return verdict(chat);
      return {
        kind: 'answer',
        model: chat.model,
        provider: 'openai',
        answer: {
          output: { id: 'c', model: chat.model, content: 'summary', finishReason: 'stop' },
          usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150 },
        },
      };
    },
  };
  return d;
}

const run = (
  req: RequestMessage,
  ports: { cache: ExactCache; dispatcher: StepDispatcher },
  context?: StepContext,
) =>
  runStep(
    { request: req, stepId: 'summarize', outputs: {}, attempt: 1, timeoutMs: 1_000, context },
    {
      provider: { name: 'unused', complete: () => Promise.reject(new Error('direct call')) },
      clock,
      ...ports,
    },
  );

describe('runStep follows the tenant cache policy when the request sets none', () => {
  it.each([
    ['no policy → read-write, 24 h', undefined, 1, 86_400, true],
    [
      'tenant off → neither read nor written',
      policy({ cache: { mode: 'off' } }),
      2,
      undefined,
      false,
    ],
    ['tenant TTL → written for that long', policy({ cache: { ttlSeconds: 120 } }), 1, 120, true],
    [
      'tenant write-only → written, never read',
      policy({ cache: { mode: 'write-only' } }),
      2,
      86_400,
      false,
    ],
  ])('%s', async (_l, tenant, calls, ttl, secondCached) => {
    const cache = mapCache();
    const d = dispatcher();
    const context = tenant && { policy: tenant, registry: [] };
    await run(request(), { cache, dispatcher: d }, context);
    const second = await run(request({ requestId: 'req_2' }), { cache, dispatcher: d }, context);
    expect(d.models).toHaveLength(calls);
    expect([...cache.ttls.values()][0]).toBe(ttl);
    expect(second.kind === 'done' && second.record.cached).toBe(secondCached);
  });

  it('a request’s own shorter TTL applies within the tenant’s', async () => {
    const cache = mapCache();
    const context = { policy: policy({ cache: { ttlSeconds: 120 } }), registry: [] };
    await run(
      request({ cache: { mode: 'read-write', ttlSeconds: 60 } }),
      { cache, dispatcher: dispatcher() },
      context,
    );
    expect([...cache.ttls.values()]).toEqual([60]);
  });
});

describe('runStep under the dispatcher', () => {
  it('hands a wait back (the queue delays the step) without caching anything', async () => {
    const cache = mapCache();
    const until = NOW + 1_500;
    const outcome = await run(request(), {
      cache,
      dispatcher: dispatcher(() => ({ kind: 'wait', until, reason: 'rate-limit' })),
    });
    expect(outcome).toEqual({ kind: 'wait', until, reason: 'rate-limit' });
    expect(cache.entries.size).toBe(0);
  });

  it('caches a fallback model’s answer under that model’s key, not the planned one’s', async () => {
    const cache = mapCache();
    const d = dispatcher((chat) => ({
      kind: 'answer',
      model: 'gpt-4o',
      provider: 'openai',
      fallback: { from: chat.model, to: 'gpt-4o', reason: 'circuit-open' },
      answer: {
        output: { id: 'c', model: 'gpt-4o', content: 'summary', finishReason: 'stop' },
        usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150 },
      },
    }));
    const outcome = await run(request(), { cache, dispatcher: d });
    const chat = {
      model: 'gpt-4o',
      messages: [{ role: 'user' as const, content: `Summarize: ${STEPS.input}` }],
      temperature: 0,
    };
    expect(outcome).toMatchObject({
      kind: 'done',
      cacheKey: stepCacheKey('Summarize: {{input}}', chat),
      fallback: { from: 'gpt-4o-mini', to: 'gpt-4o' },
      record: { model: 'gpt-4o', cached: false },
    });
    // The planned model's key stays empty: a later request on gpt-4o-mini computes its own.
    const planned = stepCacheKey('Summarize: {{input}}', { ...chat, model: 'gpt-4o-mini' });
    expect(await cache.get(base.tenantId, planned)).toBeNull();
  });

  it('returns the dispatcher’s error as it is', async () => {
    const error = new AppError('unavailable', 'circuit open', { retryable: false });
    const outcome = await run(request(), {
      cache: mapCache(),
      dispatcher: dispatcher(() => ({ kind: 'error', error })),
    });
    expect(outcome).toEqual({ kind: 'error', error });
  });
});

// Cheap "nano" is good enough for everything but code; "mini" is good at everything.
const REGISTRY = [
  model('gpt-4o-mini', [0.15, 0.6], q(0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)),
  model('gpt-4.1-nano', [0.1, 0.4], q(0.85, 0.85, 0.85, 0.85, 0.85, 0.3, 0.85, 0.85)),
];
const autopilot: StepContext = {
  policy: policy({ routing: { mode: 'autopilot' } }),
  registry: REGISTRY,
};
const chatOf = (content: string): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content }],
});

describe('chooseStepModel: one model per step, whatever the request around it says', () => {
  const step = STEPS.steps[0]!;
  it.each([
    ['the step’s own model wins', { ...step, model: 'gpt-4.1' }, request(), autopilot, 'gpt-4.1'],
    [
      'explicit tenant → the requested model',
      step,
      request(),
      { policy: policy(), registry: REGISTRY },
      'gpt-4o-mini',
    ],
    [
      'autopilot without a registry → the requested model',
      step,
      request(),
      { policy: autopilot.policy, registry: [] },
      'gpt-4o-mini',
    ],
    [
      'autopilot routes on the step’s text (a summary → the cheap model)',
      step,
      request(),
      autopilot,
      'gpt-4.1-nano',
    ],
  ])('%s', (_l, s, req, context, expected) => {
    expect(chooseStepModel(s, chatOf('Summarize: a document about Kyoto.'), req, context)).toEqual({
      ok: true,
      model: expected,
    });
  });

  it('two requests whose messages route differently still agree on the step’s model', () => {
    const codeAsk = request({
      body: {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Write a python function' }],
      },
    });
    const plainAsk = request({
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] },
    });
    const chat = chatOf('Summarize: a document about Kyoto.');
    expect(chooseStepModel(STEPS.steps[0]!, chat, codeAsk, autopilot)).toEqual(
      chooseStepModel(STEPS.steps[0]!, chat, plainAsk, autopilot),
    );
    // … and a step that is code goes where code is good enough.
    expect(
      chooseStepModel(
        STEPS.steps[0]!,
        chatOf('```js\nconst x = 1;\n``` fix this code'),
        plainAsk,
        autopilot,
      ),
    ).toEqual({
      ok: true,
      model: 'gpt-4o-mini',
    });
  });
});

describe('stepFailureResult with the cause’s code', () => {
  it.each([
    [
      'unavailable (every breaker open) stays unavailable, retryable later',
      'unavailable',
      'unavailable',
      true,
    ],
    ['a provider error is step_failed', 'provider_error', 'step_failed', false],
    ['no known cause is step_failed', undefined, 'step_failed', false],
  ])('%s', (_l, causeCode, code, retryable) => {
    const r = stepFailureResult(request(), {
      stepId: 'summarize',
      cause: 'x',
      causeCode,
      attempts: 1,
      now: NOW,
    });
    expect(r).toMatchObject({
      status: 'failed',
      error: { code, retryable, message: 'Step "summarize" failed: x' },
    });
  });
});
