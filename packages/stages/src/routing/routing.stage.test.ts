import {
  fixtures,
  type ChatRequest,
  type ModelProfile,
  type RequestMessage,
  type RoutingRequest,
  type TaskType,
} from '@asahi/contracts';
import { HTTP_STATUS_BY_CODE } from '@asahi/errors';
import { describe, expect, it } from 'vitest';
import { costOf } from '../pricing';
import { LONG, REGISTRY, model, q } from './test-registry.fixture';
import { detectTaskType } from './task-type.detector';
import {
  requiredCapabilities,
  resolveModel,
  routeRequest,
  type RouteInput,
  type RouteOutcome,
  type TenantRoutingSettings,
} from './routing.stage';

const PROMPTS: Record<TaskType, string> = {
  classification:
    'Classify the sentiment of this review as positive, negative or neutral: "Great value."',
  code: 'Write a Python function that merges two sorted lists.',
  reasoning:
    'A bat and a ball cost $1.10. The bat costs $1.00 more than the ball. How much is the ball? Think step by step.',
  summarization: 'Summarize the following meeting notes in three bullet points: ...',
  extraction: 'Extract every email address from this text and return them as JSON: ...',
  translation: 'Translate to French: "The meeting moved to Thursday."',
  qa: 'Who wrote One Hundred Years of Solitude?',
  chat: 'Hi there!',
};

it.each(Object.entries(PROMPTS))('the %s prompt of these tests is detected as such', (task, p) => {
  expect(detectTaskType([{ role: 'user', content: p }])).toBe(task);
});

interface Case {
  task?: TaskType;
  routing?: Partial<RoutingRequest>;
  body?: Partial<ChatRequest>;
  tenant?: TenantRoutingSettings;
  registry?: ModelProfile[];
  promptTokens?: number;
  outputTokens?: number;
  taskType?: TaskType;
}

function route(c: Case): RouteOutcome {
  const base = fixtures.request() as RequestMessage;
  const request: RequestMessage = {
    ...base,
    body: {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: PROMPTS[c.task ?? 'chat'] }],
      ...c.body,
    },
    ...(c.routing ? { routing: { mode: 'explicit', ...c.routing } } : {}),
  };
  const input: RouteInput = {
    request,
    registry: c.registry ?? REGISTRY,
    tenant: c.tenant ?? {},
    estimatedPromptTokens: c.promptTokens ?? 500,
    expectedOutputTokens: c.outputTokens ?? 200,
    ...(c.taskType ? { taskType: c.taskType } : {}),
  };
  return routeRequest(input);
}

function chosen(outcome: RouteOutcome): string {
  if (!outcome.ok) throw new Error(`expected a decision, got ${outcome.error.message}`);
  return outcome.decision.model;
}

const without = (ids: string[], over: Partial<ModelProfile> = {}) =>
  REGISTRY.map((m) => (ids.includes(m.id) ? { ...m, ...over } : m));

describe('routeRequest: EXPLICIT', () => {
  it('is the default: runs the named model and records why', () => {
    const outcome = route({ task: 'classification' });
    expect(outcome).toMatchObject({
      ok: true,
      model: { id: 'gpt-4o' },
      decision: {
        mode: 'explicit',
        taskType: 'classification',
        requestedModel: 'gpt-4o',
        model: 'gpt-4o',
        reason: 'explicit: gpt-4o as requested',
      },
    });
  });

  it('keeps a dated snapshot id as asked, priced as its base model', () => {
    const outcome = route({ body: { model: 'gpt-4o-mini-2024-07-18' } });
    expect(outcome).toMatchObject({
      ok: true,
      model: { id: 'gpt-4o-mini' },
      decision: { model: 'gpt-4o-mini-2024-07-18' },
    });
    // What accounting bills the decision's model at: the base model's registry prices.
    const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000 };
    const decided = chosen(outcome);
    expect(costOf(decided, usage, { registry: REGISTRY })).toBeCloseTo(0.75, 9);
    expect(costOf(decided, usage, { registry: REGISTRY, batch: true })).toBeCloseTo(0.375, 9);
  });

  it.each([
    ['unknown', 'gpt-9-ultra', REGISTRY, /'gpt-9-ultra' is not in the model registry/],
    ['disabled', 'gpt-4o', without(['gpt-4o'], { enabled: false }), /'gpt-4o' is disabled/],
    ['an embedding model', 'text-embedding-3-small', REGISTRY, /not a chat model/],
  ])('refuses %s model with unknown_model (HTTP 400)', (_, name, registry, message) => {
    const outcome = route({ body: { model: name }, registry });
    if (outcome.ok) throw new Error('expected an error');
    expect(outcome.error).toMatchObject({ code: 'unknown_model', retryable: false });
    expect(outcome.error.message).toMatch(message);
    expect(HTTP_STATUS_BY_CODE[outcome.error.code]).toBe(400);
    expect((outcome.error.details as { available: string[] }).available).not.toContain(
      'text-embedding-3-small',
    );
  });

  it('resolveModel gives the same answer on its own (for refusing at submission)', () => {
    expect(resolveModel(REGISTRY, 'gpt-4.1')).toMatchObject({ ok: true, model: { id: 'gpt-4.1' } });
    expect(resolveModel(REGISTRY, 'nope')).toMatchObject({
      ok: false,
      error: { code: 'unknown_model' },
    });
  });

  it.each([
    ['tenant mode applies without a routing object', {}, 'autopilot', 'autopilot'],
    [
      'the request’s mode beats the tenant’s',
      { mode: 'explicit' as const },
      'autopilot',
      'explicit',
    ],
    ['the request’s mode applies alone', { mode: 'autopilot' as const }, undefined, 'autopilot'],
  ])('mode: %s', (_, routing, tenantMode, expected) => {
    const outcome = route({
      task: 'classification',
      ...(Object.keys(routing).length > 0 ? { routing } : {}),
      tenant: tenantMode ? { routingMode: tenantMode as 'autopilot' } : {},
    });
    expect(outcome.ok && outcome.decision.mode).toBe(expected);
  });
});

describe('routeRequest: AUTOPILOT', () => {
  const autopilot = { mode: 'autopilot' as const };

  it('picks the cheapest model meeting the floor, and says so', () => {
    expect(route({ task: 'classification', routing: autopilot })).toMatchObject({
      ok: true,
      decision: {
        mode: 'autopilot',
        taskType: 'classification',
        requestedModel: 'gpt-4o',
        model: 'gpt-4.1-nano',
        reason:
          'autopilot: gpt-4.1-nano is the cheapest model with classification quality 0.86 ≥ floor 0.80 (requested gpt-4o)',
      },
    });
  });

  it.each<[string, Case, string]>([
    ['code at the default floor 0.8', { task: 'code' }, 'gpt-4.1-mini'],
    ['qa at 0.8 (nano 0.78 is below)', { task: 'qa' }, 'gpt-4o-mini'],
    ['chat at 0.8', { task: 'chat' }, 'gpt-4o-mini'],
    [
      'reasoning at 0.9: only the reasoning model',
      { task: 'reasoning', routing: { qualityFloor: 0.9 } },
      'o4-mini',
    ],
    [
      'tenant floor 0.7 admits nano for qa',
      { task: 'qa', tenant: { qualityFloor: 0.7 } },
      'gpt-4.1-nano',
    ],
    // gpt-4.1 (0.92) also qualifies, but o4-mini (0.93) costs less for this token mix.
    [
      'request floor beats tenant floor',
      { task: 'qa', tenant: { qualityFloor: 0.7 }, routing: { qualityFloor: 0.9 } },
      'o4-mini',
    ],
    ['caller’s task beats detection', { task: 'chat', taskType: 'code' }, 'gpt-4.1-mini'],
    [
      'request’s taskType beats detection',
      { task: 'chat', routing: { taskType: 'code' } },
      'gpt-4.1-mini',
    ],
    [
      'disabled models are skipped',
      { task: 'classification', registry: without(['gpt-4.1-nano'], { enabled: false }) },
      'gpt-4o-mini',
    ],
    [
      'a sampling parameter rules out reasoning models',
      { task: 'reasoning', routing: { qualityFloor: 0.9 }, body: { temperature: 0 } },
      'gpt-4.1',
    ],
    [
      'max_tokens rules out reasoning models too',
      { task: 'code', routing: { qualityFloor: 0.93 }, body: { max_tokens: 300 } },
      'gpt-4.1',
    ],
  ])('%s → %s', (_, c, expected) => {
    expect(chosen(route({ ...c, routing: { ...autopilot, ...c.routing } }))).toBe(expected);
  });

  it('when no model reaches the floor, runs the best one that fits, and says so', () => {
    const outcome = route({ task: 'reasoning', routing: { ...autopilot, qualityFloor: 0.99 } });
    expect(outcome).toMatchObject({
      ok: true,
      decision: {
        model: 'o4-mini',
        reason:
          'autopilot: no model reaches reasoning quality 0.99; o4-mini has the highest (0.97) (requested gpt-4o)',
      },
    });
  });

  it('skips models whose context window is too small, and counts them in the reason', () => {
    // 200k + 1k does not fit gpt-4o, gpt-4o-mini, gpt-3.5-turbo (128k, 16k) nor o4-mini (200k).
    const outcome = route({
      task: 'qa',
      routing: autopilot,
      promptTokens: 200_000,
      outputTokens: 1_000,
    });
    expect(chosen(outcome)).toBe('gpt-4.1-mini');
    expect(outcome.ok && outcome.decision.reason).toMatch(
      /; 4 model\(s\) too small for ~201000 tokens$/,
    );
  });

  it('refuses a prompt no enabled chat model can hold', () => {
    const outcome = route({ routing: autopilot, promptTokens: 2_000_000 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', details: { largest: LONG } },
    });
  });

  it.each<[string, ModelProfile[], string]>([
    [
      'equal cost: the faster wins',
      [
        model('slow', [1, 1], q(1, 1, 1, 1, 1, 1, 1, 1), { typicalLatencyMs: 900 }),
        model('fast', [1, 1], q(1, 1, 1, 1, 1, 1, 1, 1), { typicalLatencyMs: 300 }),
      ],
      'fast',
    ],
    [
      'equal cost and latency: the better wins',
      [
        model('good', [1, 1], q(0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85)),
        model('better', [1, 1], q(0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95)),
      ],
      'better',
    ],
    [
      'all equal: the id decides, so the choice is stable',
      [
        model('b-model', [1, 1], q(1, 1, 1, 1, 1, 1, 1, 1)),
        model('a-model', [1, 1], q(1, 1, 1, 1, 1, 1, 1, 1)),
      ],
      'a-model',
    ],
    [
      'cheaper by output price only, for an output-heavy request',
      [
        model('in-cheap', [0.1, 4], q(1, 1, 1, 1, 1, 1, 1, 1)),
        model('out-cheap', [0.5, 1], q(1, 1, 1, 1, 1, 1, 1, 1)),
      ],
      'out-cheap',
    ],
  ])('ties and costs: %s', (_, registry, expected) => {
    expect(
      chosen(route({ routing: autopilot, registry, promptTokens: 100, outputTokens: 1_000 })),
    ).toBe(expected);
  });

  it('never picks an embedding model, however cheap', () => {
    const registry = [
      REGISTRY[7] as ModelProfile,
      model('only-chat', [5, 5], q(1, 1, 1, 1, 1, 1, 1, 1)),
    ];
    expect(chosen(route({ routing: autopilot, registry }))).toBe('only-chat');
  });
});

describe('routeRequest: GUIDED', () => {
  const guided = (prefer: RoutingRequest['prefer'], extra: Partial<RoutingRequest> = {}) => ({
    mode: 'guided' as const,
    ...(prefer ? { prefer } : {}),
    ...extra,
  });

  it.each<[string, Case, string]>([
    [
      'all cost: the cheapest that fits',
      { task: 'code', routing: guided({ cost: 1 }) },
      'gpt-4.1-nano',
    ],
    [
      'all quality: the best for the task',
      { task: 'code', routing: guided({ quality: 1 }) },
      'o4-mini',
    ],
    [
      'all quality, with temperature: the best sampling model',
      { task: 'code', routing: guided({ quality: 1 }), body: { temperature: 0.2 } },
      'gpt-4.1',
    ],
    ['all latency: the fastest', { task: 'code', routing: guided({ latency: 1 }) }, 'gpt-4.1-nano'],
    // 4.1-mini 0.70·0.82/0.95 + 0.30·400/600 = 0.804 beats gpt-4.1 0.796 and nano 0.757.
    [
      'mostly quality, some latency: a mid model',
      { task: 'code', routing: guided({ quality: 0.7, latency: 0.3 }) },
      'gpt-4.1-mini',
    ],
    // 1/cost is steep: a little cost weight still lets the best model win when it is 4x cheaper
    // than the next best (o4-mini vs gpt-4.1 here).
    [
      'mostly quality, some cost',
      { task: 'code', routing: guided({ quality: 0.8, cost: 0.2 }) },
      'o4-mini',
    ],
    [
      'a request floor filters first',
      { task: 'code', routing: guided({ cost: 1 }, { qualityFloor: 0.85 }) },
      'o4-mini',
    ],
    [
      'a request floor, with temperature',
      {
        task: 'code',
        routing: guided({ cost: 1 }, { qualityFloor: 0.85 }),
        body: { temperature: 0 },
      },
      'gpt-4.1',
    ],
    [
      'an unreachable floor is ignored, and noted',
      { task: 'code', routing: guided({ cost: 1 }, { qualityFloor: 0.99 }) },
      'gpt-4.1-nano',
    ],
    [
      'the tenant floor does not apply',
      { task: 'code', routing: guided({ cost: 1 }), tenant: { qualityFloor: 0.9 } },
      'gpt-4.1-nano',
    ],
  ])('%s → %s', (_, c, expected) => {
    expect(chosen(route(c))).toBe(expected);
  });

  it('explains the score, the weights and the figures behind it', () => {
    const outcome = route({ task: 'code', routing: guided({ quality: 2, cost: 1, latency: 1 }) });
    expect(outcome.ok && outcome.decision.reason).toMatch(
      /^guided: [\w.-]+ scores best \(\d\.\d\d\) with weights quality 0\.50, latency 0\.25, cost 0\.25: code quality \d\.\d\d, ~\d+ ms, ~\$[\d.e-]+ \(requested gpt-4o\)$/,
    );
  });

  it('an unreachable floor is noted in the reason', () => {
    const outcome = route({ task: 'code', routing: guided({ cost: 1 }, { qualityFloor: 0.99 }) });
    expect(outcome.ok && outcome.decision.reason).toMatch(/; no model reaches floor 0\.99$/);
  });

  it('equal scores go to the cheaper model', () => {
    const registry = [
      model('dear', [2, 2], q(1, 1, 1, 1, 1, 1, 1, 1), { typicalLatencyMs: 100 }),
      model('cheap', [1, 1], q(1, 1, 1, 1, 1, 1, 1, 1), { typicalLatencyMs: 200 }),
    ];
    // Half latency, half cost: dear scores 0.5·1 + 0.5·0.5, cheap 0.5·0.5 + 0.5·1, both 0.75.
    expect(chosen(route({ routing: guided({ latency: 1, cost: 1 }), registry }))).toBe('cheap');
  });
});

describe('requiredCapabilities', () => {
  it.each<[string, Partial<ChatRequest>, string[]]>([
    ['nothing set', {}, []],
    ['temperature 1 is the reasoning models’ own default', { temperature: 1 }, []],
    ['temperature 0', { temperature: 0 }, ['sampling']],
    ['top_p', { top_p: 0.5 }, ['sampling']],
    ['a penalty', { presence_penalty: 0.5 }, ['sampling']],
    ['a zero penalty is no penalty', { frequency_penalty: 0 }, []],
    ['max_tokens', { max_tokens: 100 }, ['sampling']],
  ])('%s', (_, body, expected) => {
    expect(requiredCapabilities({ model: 'm', messages: [], ...body } as ChatRequest)).toEqual(
      expected,
    );
  });
});
