import { isAppError } from '@asahi/errors';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_POLICY, type BatchPolicy, type PendingItem } from './batch-plan.types';
import { planBatches, waitsForBatch } from './batch.planner';

// Small numbers so each row reads at a glance. A member may go to the Batch API when its slack
// (deadline − now) is at least turnaround + margin = 1,100 ms.
const P: BatchPolicy = {
  expectedBatchTurnaroundMs: 1_000,
  marginMs: 100,
  minBatchApiSize: 3,
  batchApiMaxWaitMs: 500,
  batchApiMaxLines: 4,
  maxArraySize: 3,
  arrayMaxWaitMs: 50,
  maxBatchSize: 2,
  realtimeAllowanceMs: 20,
};
const NOW = 10_000;
const LONG = NOW + 5_000; // batchable
const SHORT = NOW + 500; // too short for the Batch API

function item(id: string, deadlineAt: number, extra: Partial<PendingItem> = {}): PendingItem {
  return {
    id,
    tenantId: 't1',
    deadlineAt,
    enqueuedAt: NOW,
    provider: 'openai',
    model: 'gpt-4o-mini',
    endpoint: 'chat',
    paramsKey: 'p0',
    estimatedTokens: 100,
    priority: 'standard',
    ...extra,
  };
}
const emb = (id: string, deadlineAt: number, extra: Partial<PendingItem> = {}) =>
  item(id, deadlineAt, { endpoint: 'embeddings', model: 'text-embedding-3-small', ...extra });
const many = (n: number, make: (id: string) => PendingItem) =>
  Array.from({ length: n }, (_, i) => make(`m${String(i).padStart(2, '0')}`));

/** "execution:reason:id,id" per flush — the plan as one readable line each. */
function summary(pending: PendingItem[], now = NOW, policy = P) {
  const plan = planBatches(pending, now, policy);
  return {
    flush: plan.flush.map(
      (f) => `${f.execution}:${f.reason}:${f.members.map((m) => m.id).join(',')}`,
    ),
    wakeAt: plan.wakeAt,
  };
}

describe('planBatches', () => {
  it.each([
    { name: 'nothing pending: no flush, no wake-up', pending: [], flush: [], wakeAt: null },
    {
      name: 'chat too close to its deadline for a batch goes realtime at once',
      pending: [item('a', SHORT)],
      flush: ['realtime:immediate:a'],
      wakeAt: null,
    },
    {
      name: 'batchable chat below the minimum size waits for the max wait',
      pending: [item('a', LONG), item('b', LONG)],
      flush: [],
      wakeAt: NOW + 500,
    },
    {
      name: 'batchable chat reaching the minimum size flushes to the Batch API',
      pending: [item('a', LONG), item('b', LONG), item('c', LONG)],
      flush: ['batch-api:size:a,b,c'],
      wakeAt: null,
    },
    {
      name: 'max wait: the oldest member waited exactly maxWaitMs',
      pending: [item('a', LONG, { enqueuedAt: NOW - 500 }), item('b', LONG)],
      flush: ['batch-api:max-wait:a,b'],
      wakeAt: null,
    },
    {
      name: 'max wait: one millisecond early keeps waiting, wakes at the edge',
      pending: [item('a', LONG, { enqueuedAt: NOW - 499 })],
      flush: [],
      wakeAt: NOW + 1,
    },
    {
      name: 'slack: exactly turnaround + margin left is the last moment to submit a batch',
      pending: [item('a', NOW + 1_100), item('b', LONG)],
      flush: ['batch-api:slack:a,b'],
      wakeAt: null,
    },
    {
      name: 'slack: one millisecond less and the member must go realtime',
      pending: [item('a', NOW + 1_099)],
      flush: ['realtime:immediate:a'],
      wakeAt: null,
    },
    {
      name: 'the slack deadline wakes the planner before the max wait when sooner',
      pending: [item('a', NOW + 1_300)],
      flush: [],
      wakeAt: NOW + 200,
    },
    {
      name: 'mixed deadlines split a group: urgent members realtime, the rest keeps waiting',
      pending: [item('a', LONG), item('b', SHORT), item('c', LONG)],
      flush: ['realtime:immediate:b'],
      wakeAt: NOW + 500,
    },
    {
      name: 'deadline already past (or exactly now) goes realtime, flagged late',
      pending: [item('a', NOW), item('b', NOW - 1)],
      flush: ['realtime:past-deadline:b,a'],
      wakeAt: null,
    },
    {
      name: 'late and realtime flushes are chunked by maxBatchSize',
      pending: [
        item('a', NOW - 3),
        item('b', NOW - 2),
        item('c', NOW - 1),
        item('d', SHORT),
        item('e', SHORT),
        item('f', SHORT),
      ],
      flush: [
        'realtime:past-deadline:a,b',
        'realtime:past-deadline:c',
        'realtime:immediate:d,e',
        'realtime:immediate:f',
      ],
      wakeAt: null,
    },
    {
      name: 'a huge batchable group splits into full Batch API files; a small remainder waits',
      pending: many(9, (id) => item(id, LONG)),
      flush: ['batch-api:size:m00,m01,m02,m03', 'batch-api:size:m04,m05,m06,m07'],
      wakeAt: NOW + 500,
    },
    {
      name: 'a remainder at the minimum size flushes too',
      pending: many(7, (id) => item(id, LONG)),
      flush: ['batch-api:size:m00,m01,m02,m03', 'batch-api:size:m04,m05,m06'],
      wakeAt: null,
    },
    {
      name: 'embeddings too urgent for a batch wait briefly to share an array call',
      pending: [emb('a', SHORT), emb('b', SHORT)],
      flush: [],
      wakeAt: NOW + 50,
    },
    {
      name: 'embeddings: a full array flushes on size, the rest waits',
      pending: [emb('a', SHORT), emb('b', SHORT), emb('c', SHORT), emb('d', SHORT)],
      flush: ['array:size:a,b,c'],
      wakeAt: NOW + 50,
    },
    {
      name: 'embeddings: array max wait reached exactly',
      pending: [emb('a', SHORT, { enqueuedAt: NOW - 50 }), emb('b', SHORT)],
      flush: ['array:max-wait:a,b'],
      wakeAt: null,
    },
    {
      name: 'embeddings: the latest safe realtime start (deadline − allowance) flushes on slack',
      pending: [emb('a', NOW + 20), emb('b', SHORT)],
      flush: ['array:slack:a,b'],
      wakeAt: null,
    },
    {
      name: 'embeddings with room for a batch prefer the Batch API (cheapest)',
      pending: [emb('a', LONG), emb('b', LONG), emb('c', LONG)],
      flush: ['batch-api:size:a,b,c'],
      wakeAt: null,
    },
    {
      name: 'different parameters never share a batch',
      pending: [item('a', LONG), item('b', LONG), item('c', LONG, { paramsKey: 'p1' })],
      flush: [],
      wakeAt: NOW + 500,
    },
    {
      name: 'different models never share a batch',
      pending: [item('a', LONG), item('b', LONG, { model: 'gpt-4o' }), item('c', LONG)],
      flush: [],
      wakeAt: NOW + 500,
    },
    {
      name: 'flushes come out earliest deadline first across groups, then by id',
      pending: [
        item('z', SHORT + 1, { model: 'gpt-4o' }),
        item('y', SHORT),
        item('x', SHORT, { provider: 'anthropic' }),
      ],
      flush: ['realtime:immediate:x', 'realtime:immediate:y', 'realtime:immediate:z'],
      wakeAt: null,
    },
  ])('$name', ({ pending, flush, wakeAt }) => {
    expect(summary(pending)).toEqual({ flush, wakeAt });
  });

  it('keeps each flush homogeneous and flags only late flushes', () => {
    const plan = planBatches([item('a', NOW - 1), emb('b', LONG, { enqueuedAt: 0 })], NOW, P);
    expect(plan.flush.map((f) => [f.endpoint, f.model, f.paramsKey, f.late])).toEqual([
      ['chat', 'gpt-4o-mini', 'p0', true],
      ['embeddings', 'text-embedding-3-small', 'p0', false],
    ]);
  });

  it('splits at the 50,000-line Batch API file limit with the default policy', () => {
    const pending = Array.from({ length: 120_001 }, (_, i) => item(`r${i}`, NOW + 24 * 3_600_000));
    const plan = planBatches(pending, NOW, DEFAULT_BATCH_POLICY);
    expect(plan.flush.map((f) => [f.execution, f.members.length])).toEqual([
      ['batch-api', 50_000],
      ['batch-api', 50_000],
      ['batch-api', 20_001],
    ]);
  });

  it.each<[string, Partial<BatchPolicy>]>([
    ['a zero chunk size', { maxBatchSize: 0 }],
    ['a Batch API file above 50,000 lines', { batchApiMaxLines: 50_001 }],
    ['a negative margin', { marginMs: -1 }],
    ['a fractional size', { minBatchApiSize: 1.5 }],
  ])('rejects a policy with %s', (_name, change) => {
    let error: unknown;
    try {
      planBatches([], NOW, { ...P, ...change });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('invalid_request');
  });
});

describe('waitsForBatch', () => {
  it.each([
    ['chat with Batch API slack', item('a', LONG), true],
    ['chat without it', item('b', SHORT), false],
    ['chat past its deadline', item('c', NOW - 1), false],
  ])('%s → %s', (_name, pending, expected) => {
    expect(waitsForBatch(pending, NOW, P)).toBe(expected);
  });
});
