import { describe, expect, it } from 'vitest';
import type { ModelProfile, RoutingMode } from '@asahi/contracts';
import {
  createModelCheck,
  explicitModelOf,
  modelsRunAsNamed,
  unrunnableModels,
} from './model-check';

const profile = (id: string, over: Partial<ModelProfile> = {}) =>
  ({ id, kind: 'chat', enabled: true, ...over }) as ModelProfile;

describe('createModelCheck', () => {
  const registry = [
    profile('gpt-4o-mini'),
    profile('gpt-old', { enabled: false }),
    profile('text-embedding-3-small', { kind: 'embedding' }),
  ];
  it.each([
    ['an enabled chat model', 'gpt-4o-mini', true],
    ['a dated snapshot of one', 'gpt-4o-mini-2024-07-18', true],
    ['a disabled model', 'gpt-old', false],
    ['an embedding model', 'text-embedding-3-small', false],
    ['an unknown model', 'gpt-9', false],
  ])('%s → %s', async (_n, model, runnable) => {
    const check = createModelCheck(async () => registry, { ttlMs: 1000 });
    expect(await check.isRunnable(model)).toBe(runnable);
  });

  it('reads the registry once per TTL', async () => {
    let now = 0;
    let reads = 0;
    const check = createModelCheck(async () => (reads++, registry), {
      ttlMs: 1000,
      now: () => now,
    });
    await check.isRunnable('a');
    await check.isRunnable('b');
    expect(reads).toBe(1);
    now = 1500;
    await check.isRunnable('a');
    expect(reads).toBe(2);
  });

  it('rejects nothing when the registry cannot be read or is empty', async () => {
    const down = createModelCheck(async () => Promise.reject(new Error('pg down')), { ttlMs: 1 });
    expect(await down.isRunnable('gpt-9')).toBe(true);
    const empty = createModelCheck(async () => [], { ttlMs: 1 });
    expect(await empty.isRunnable('gpt-9')).toBe(true);
  });
});

describe('unrunnableModels', () => {
  it('keeps the refused entries in order, asking once per distinct model', async () => {
    const asked: string[] = [];
    const check = {
      isRunnable: async (m: string) => (asked.push(m), m === 'gpt-4o-mini'),
    };
    const named = [
      { path: 'model', model: 'gpt-9' },
      { path: 'steps.steps.0.model', model: 'gpt-4o-mini' },
      { path: 'steps.steps.1.model', model: 'gpt-9' },
      { path: 'steps.steps.2.model', model: 'old' },
    ];
    expect(await unrunnableModels(named, check)).toEqual([
      { path: 'model', model: 'gpt-9' },
      { path: 'steps.steps.1.model', model: 'gpt-9' },
      { path: 'steps.steps.2.model', model: 'old' },
    ]);
    expect(asked.sort()).toEqual(['gpt-4o-mini', 'gpt-9', 'old']);
  });
});

describe('explicitModelOf: the request’s mode, else the tenant’s, else explicit', () => {
  it.each<[Parameters<typeof explicitModelOf>[0], RoutingMode | undefined, string | undefined]>([
    [{ model: 'm' }, undefined, 'm'],
    [{ model: 'm', routing: { mode: 'explicit' } }, undefined, 'm'],
    [{ model: 'm', routing: { mode: 'autopilot' } }, undefined, undefined],
    [{ model: 'm', routing: { mode: 'guided' } }, undefined, undefined],
    [{ model: 'm' }, 'autopilot', undefined],
    [{ model: 'm' }, 'guided', undefined],
    [{ model: 'm' }, 'explicit', 'm'],
    [{ model: 'm', routing: { mode: 'explicit' } }, 'autopilot', 'm'],
    [{ model: 'm', routing: { mode: 'autopilot' } }, 'explicit', undefined],
  ])('%j with tenant mode %s → %s', (body, tenantMode, want) => {
    expect(explicitModelOf(body, tenantMode)).toBe(want);
  });
});

describe('modelsRunAsNamed', () => {
  const steps = {
    input: 'doc',
    steps: [
      { id: 'a', template: '{{input}}', dependsOn: [], model: 'step-model' },
      { id: 'b', template: '{{steps.a}}', dependsOn: ['a'] },
      { id: 'c', template: '{{steps.b}}', dependsOn: ['b'], model: 'm' },
    ],
  };
  it.each<[string, Parameters<typeof modelsRunAsNamed>[0], RoutingMode | undefined, unknown]>([
    ['explicit, no steps', { model: 'm' }, undefined, [{ path: 'model', model: 'm' }]],
    ['autopilot, no steps', { model: 'm' }, 'autopilot', []],
    [
      'explicit with steps: the model and every step that names one',
      { model: 'm', steps },
      undefined,
      [
        { path: 'model', model: 'm' },
        { path: 'steps.steps.0.model', model: 'step-model' },
        { path: 'steps.steps.2.model', model: 'm' },
      ],
    ],
    [
      'autopilot with steps: step models are still run as named',
      { model: 'm', routing: { mode: 'autopilot' }, steps },
      undefined,
      [
        { path: 'steps.steps.0.model', model: 'step-model' },
        { path: 'steps.steps.2.model', model: 'm' },
      ],
    ],
  ])('%s', (_case, body, tenantMode, want) => {
    expect(modelsRunAsNamed(body, tenantMode)).toEqual(want);
  });
});
