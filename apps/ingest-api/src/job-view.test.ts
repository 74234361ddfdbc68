import { describe, expect, it } from 'vitest';
import { toJobView, type JobRecord, type ResultRecord } from './job-view';

const job: JobRecord = {
  id: 'req_1',
  tenantId: 'tenant_a',
  mode: 'sync',
  status: 'queued',
  model: 'gpt-4o-mini',
  deadlineAt: new Date('2026-11-22T10:01:00Z'),
  createdAt: new Date('2026-11-22T10:00:00Z'),
  completedAt: null,
  request: { body: {} },
  result: null,
};

const result: ResultRecord = {
  status: 'succeeded',
  model: 'gpt-4o-mini',
  provider: 'openai',
  output: { id: 'c1', model: 'gpt-4o-mini', content: 'Tokyo.', finishReason: 'stop' },
  promptTokens: 10,
  completionTokens: 2,
  totalTokens: 12,
  costUsd: '0.0000030000',
  baselineCostUsd: 0.000006,
  cacheTier: 'none',
  timings: { dispatch: 5 },
  error: null,
  attempts: 1,
  completedAt: new Date('2026-11-22T10:00:02Z'),
};

describe('toJobView', () => {
  it('a queued job has no result and never leaks tenant or request', () => {
    expect(toJobView(job)).toEqual({
      id: 'req_1',
      object: 'job',
      status: 'queued',
      mode: 'sync',
      model: 'gpt-4o-mini',
      createdAt: '2026-11-22T10:00:00.000Z',
      deadlineAt: '2026-11-22T10:01:00.000Z',
      completedAt: null,
      result: null,
    });
  });

  it('a terminal job carries its result inline, money as numbers', () => {
    const view = toJobView({
      ...job,
      status: 'succeeded',
      completedAt: new Date('2026-11-22T10:00:02Z'),
      result,
    });
    expect(view.completedAt).toBe('2026-11-22T10:00:02.000Z');
    expect(view.result).toEqual({
      output: result.output,
      usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 },
      costUsd: 0.000003,
      baselineCostUsd: 0.000006,
      cacheTier: 'none',
      model: 'gpt-4o-mini',
      provider: 'openai',
      attempts: 1,
      timings: { dispatch: 5 },
      error: null,
      routing: null,
      tokens: null,
      savings: null,
      dispatch: null,
    });
  });

  it('shows routing, token and savings records when the result has them', () => {
    const routing = {
      mode: 'autopilot',
      taskType: 'qa',
      requestedModel: 'gpt-4o',
      model: 'gpt-4.1-nano',
      reason: 'cheapest',
    };
    const tokens = { original: 120, optimized: 90, strategies: ['dedupe-blocks'] };
    const savings = { cache: 0, intermediate: 0, routing: 0.01, tokens: 0.002, batch: 0 };
    const dispatch = { execution: 'batch-api', batchId: 'bat_1' };
    const view = toJobView({
      ...job,
      status: 'succeeded',
      result: { ...result, routing, tokens, savings, dispatch },
    });
    expect(view.result).toMatchObject({ routing, tokens, savings, dispatch });
  });

  it('a failed job shows its error; a non-terminal job hides a stray result', () => {
    const failed = {
      ...result,
      status: 'failed',
      output: null,
      error: { code: 'unavailable', message: 'x', retryable: true },
    };
    expect(toJobView({ ...job, status: 'failed', result: failed }).result?.error?.code).toBe(
      'unavailable',
    );
    expect(toJobView({ ...job, status: 'running', result }).result).toBeNull();
  });
});
