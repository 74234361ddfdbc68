import { describe, expect, it } from 'vitest';
import { costOf, pricesOf } from './pricing';
import { REGISTRY } from './routing/test-registry.fixture';

const million = { promptTokens: 1_000_000, completionTokens: 1_000_000 };
/** The registry as an operator edited it: gpt-4o repriced, its Batch API prices set apart. */
const EDITED = REGISTRY.map((m) =>
  m.id === 'gpt-4o'
    ? { ...m, inputPer1M: 5, outputPer1M: 15, batchInputPer1M: 3, batchOutputPer1M: 6 }
    : m,
);

describe('costOf: prices from the model registry, snapshot-aware', () => {
  it.each([
    // [what, model, registry, batch, USD for 1M in + 1M out]
    ['the catalog without a registry', 'gpt-4o', undefined, false, 12.5],
    ['a dated snapshot, as OpenAI answers', 'gpt-4o-2024-08-06', undefined, false, 12.5],
    ['a four-digit snapshot', 'gpt-3.5-turbo-0125', undefined, false, 2],
    ['the catalog batch price', 'gpt-4o', undefined, true, 6.25],
    ['an empty registry is no registry', 'gpt-4o', [], false, 12.5],
    ['the operator’s edited realtime price', 'gpt-4o', EDITED, false, 20],
    ['the operator’s edited price for a snapshot', 'gpt-4o-2024-11-20', EDITED, false, 20],
    ['the registry’s own batch columns', 'gpt-4o', EDITED, true, 9],
    ['a snapshot at batch prices', 'gpt-4o-mini-2024-07-18', REGISTRY, true, 0.375],
    [
      'a disabled model still costs what it was billed',
      'gpt-4o',
      [{ ...REGISTRY[5]!, enabled: false }],
      false,
      12.5,
    ],
    ['unknown to the catalog', 'gpt-9-ultra', undefined, false, 0],
    ['unknown to a loaded registry', 'text-embedding-3-large', REGISTRY, false, 0],
    ['a snapshot suffix is not a prefix match', 'gpt-4o-mini-audio', undefined, false, 0],
  ] as const)('%s', (_, model, registry, batch, usd) => {
    expect(costOf(model, million, { registry, batch })).toBeCloseTo(usd, 9);
  });

  it('pricesOf gives the registry entry’s four prices', () => {
    expect(pricesOf('gpt-4o-2024-08-06', EDITED)).toMatchObject({
      inputPer1M: 5,
      outputPer1M: 15,
      batchInputPer1M: 3,
      batchOutputPer1M: 6,
    });
    expect(pricesOf('nope', EDITED)).toBeUndefined();
  });
});
