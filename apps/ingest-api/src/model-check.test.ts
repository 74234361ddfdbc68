import { describe, expect, it } from 'vitest';
import type { ModelProfile } from '@asahi/contracts';
import { createModelCheck } from './model-check';

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
