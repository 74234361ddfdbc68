import type { ModelProfile } from '@asahi/contracts';
import { describe, expect, it } from 'vitest';
import { estimateCost } from './model-cost';
import { REGISTRY } from './test-registry.fixture';

describe('estimateCost', () => {
  const nano = REGISTRY[0] as ModelProfile;
  it.each([
    ['realtime', 1_000_000, 1_000_000, {}, 0.5],
    ['batch: the batch prices', 1_000_000, 1_000_000, { batch: true }, 0.25],
    ['a typical call', 1_200, 300, {}, 0.00024],
    ['nothing', 0, 0, {}, 0],
    ['negative counts count as zero', -5, 100, {}, 0.00004],
  ])('%s', (_, prompt, completion, options, usd) => {
    expect(estimateCost(nano, prompt, completion, options)).toBeCloseTo(usd, 12);
  });
});
