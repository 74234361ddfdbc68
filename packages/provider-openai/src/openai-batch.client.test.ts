import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { startSimulator } from '@asahi/provider-sim';
import {
  createOpenAiBatchClient,
  parseBatchLines,
  toBatchJsonl,
  type BatchItemResult,
  type OpenAiBatchClient,
} from './openai-batch.client';
import { createOpenAiChatProvider } from './openai-chat.provider';

/**
 * The parser and line builder as pure functions, then the whole client through the real `openai`
 * SDK against the simulator on an ephemeral port (no other infra).
 */
const answerBody = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
});
const line = (value: unknown) => JSON.stringify(value);
const ok = (customId: string, body: unknown = answerBody('hi')) =>
  line({ id: 'b1', custom_id: customId, response: { status_code: 200, body }, error: null });
const failed = (customId: string, status: number) =>
  line({
    id: 'b2',
    custom_id: customId,
    response: { status_code: status, body: { error: { message: `boom ${status}`, type: 'x' } } },
    error: null,
  });
const errorOf = (result: BatchItemResult | undefined) =>
  result && !result.ok ? [result.error.code, result.error.retryable] : result;

describe('parseBatchLines', () => {
  it('maps a 200 line to the same ProviderAnswer shape as the realtime adapter', () => {
    const { results, unattributedLines } = parseBatchLines(ok('a', answerBody('Hello')));
    expect(unattributedLines).toBe(0);
    expect(results.get('a')).toEqual({
      ok: true,
      answer: {
        output: { id: 'chatcmpl-1', model: 'gpt-4o-mini', content: 'Hello', finishReason: 'stop' },
        usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
      },
    });
  });

  it.each([
    [400, 'invalid_request', false],
    [404, 'invalid_request', false],
    [401, 'provider_error', false],
    [408, 'provider_error', true],
    [429, 'provider_rate_limited', true],
    [500, 'provider_error', true],
    [503, 'provider_error', true],
  ])('maps an item answered %i to %s (retryable %s)', (status, code, retryable) => {
    const { results } = parseBatchLines(failed('x', status));
    expect(errorOf(results.get('x'))).toEqual([code, retryable]);
  });

  it('keeps the provider message of a 4xx item', () => {
    const result = parseBatchLines(failed('x', 400)).results.get('x');
    expect(result?.ok === false && result.error.message).toContain('boom 400');
  });

  it.each([
    ['truncated JSON with a readable custom_id', '{"custom_id":"t1","response":{"status_', 't1'],
    ['a 200 without choices', ok('t2', { id: 'c', model: 'm', usage: {} }), 't2'],
    ['a 200 whose body is not an object', ok('t3', 'text'), 't3'],
    ['neither response nor error', line({ custom_id: 't4', response: null, error: null }), 't4'],
  ])('turns %s into provider_bad_response for that id', (_, text, customId) => {
    const { results, unattributedLines } = parseBatchLines(text);
    expect(errorOf(results.get(customId))).toEqual(['provider_bad_response', true]);
    expect(unattributedLines).toBe(0);
  });

  it('counts lines it cannot tie to a custom id, and skips blank lines', () => {
    const text = ['garbage', '[1,2]', 'null', line({ response: {} }), '', '   ', ok('good')].join(
      '\n',
    );
    const { results, unattributedLines } = parseBatchLines(text);
    expect(unattributedLines).toBe(4);
    expect([...results.keys()]).toEqual(['good']);
  });

  it('leaves items that never ran (batch_expired, batch_cancelled) out of the results', () => {
    const notRun = (id: string, code: string) =>
      line({ custom_id: id, response: null, error: { code, message: 'not run' } });
    const text = [notRun('e', 'batch_expired'), notRun('c', 'batch_cancelled'), ok('a')].join('\n');
    expect([...parseBatchLines(text).results.keys()]).toEqual(['a']);
  });

  it('turns any other line-level error into a retryable provider_error', () => {
    const text = line({ custom_id: 'z', response: null, error: { code: 'weird', message: 'm' } });
    expect(errorOf(parseBatchLines(text).results.get('z'))).toEqual(['provider_error', true]);
  });

  it('keeps the first line for a custom id and falls back to the batch model', () => {
    const noModel = { ...answerBody('first'), model: '' };
    const { results } = parseBatchLines(
      [ok('a', noModel), ok('a', answerBody('x'))].join('\n'),
      'm1',
    );
    const first = results.get('a');
    expect(first?.ok && [first.answer.output.content, first.answer.output.model]).toEqual([
      'first',
      'm1',
    ]);
  });
});

const chatBody = (i: number): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `Question number ${i}: what is ${i} + ${i}?` }],
  max_tokens: 40,
});
const items = (n: number, prefix = 'req-') =>
  Array.from({ length: n }, (_, i) => ({ customId: `${prefix}${i}`, body: chatBody(i) }));

describe('toBatchJsonl', () => {
  it('writes one POST /v1/chat/completions line per item with the realtime body', () => {
    const lines = toBatchJsonl(items(2))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        custom_id: 'req-0',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { ...chatBody(0), stream: false },
      },
      {
        custom_id: 'req-1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { ...chatBody(1), stream: false },
      },
    ]);
  });

  it.each([
    ['no items', []],
    ['a duplicate customId', [...items(1), ...items(1)]],
    ['an empty customId', [{ customId: '', body: chatBody(0) }]],
    ['two models', [...items(1), { customId: 'b', body: { ...chatBody(1), model: 'gpt-4o' } }]],
  ])('refuses %s before uploading', (_, batchItems) => {
    expect(() => toBatchJsonl(batchItems)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});

interface Sim {
  app: FastifyInstance;
  url: string;
  batches: OpenAiBatchClient;
}
const started: Sim[] = [];

async function startSim(env: Record<string, string> = {}): Promise<Sim> {
  const { app, url } = await startSimulator({ SIM_BATCH_TURNAROUND_MS: '400', ...env });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
  const sim = { app, url, batches: createOpenAiBatchClient({ client }) };
  started.push(sim);
  return sim;
}

afterAll(async () => {
  await Promise.all(started.map((s) => s.app.close()));
});

async function untilFinished(sim: Sim, batchId: string) {
  for (;;) {
    const status = await sim.batches.poll(batchId);
    if (status.finished) return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Generous: the first simulator builds its tiktoken encoders, and CPUs are shared.
describe('createOpenAiBatchClient against the simulator', { timeout: 30_000 }, () => {
  it('submits, polls to completed and answers every id like a realtime call', async () => {
    const sim = await startSim();
    const batchItems = items(5);
    const { batchId, inputFileId } = await sim.batches.submit(batchItems, {
      endpoint: 'chat',
      metadata: { job: 'test' },
    });
    expect(inputFileId).toEqual(expect.any(String));
    const status = await untilFinished(sim, batchId);
    expect(status).toMatchObject({
      status: 'completed',
      requestCounts: { total: 5, completed: 5, failed: 0 },
      inputFileId,
      errorFileId: null,
      errors: [],
    });
    expect(status.timestamps.completedAt).toBeGreaterThanOrEqual(status.timestamps.createdAt);

    const realtime = createOpenAiChatProvider({ apiKey: 'sk-test', baseURL: `${sim.url}/v1` });
    const { results, missing, unattributedLines } = await sim.batches.collect(batchId, {
      customIds: batchItems.map((i) => i.customId),
    });
    expect([missing, unattributedLines, results.size]).toEqual([[], 0, 5]);
    for (const { customId, body } of batchItems) {
      const expected = await realtime.complete(body, { timeoutMs: 10_000 });
      const got = results.get(customId);
      if (!got?.ok) throw new Error(`${customId} was not answered`);
      expect(got.answer.output.content).toBe(expected.output.content);
      expect(got.answer.output.finishReason).toBe(expected.output.finishReason);
      expect(got.answer.output.model).toBe(expected.output.model);
      expect(got.answer.usage).toEqual(expected.usage);
    }
  });

  it('isolates per-item failures: only the failed ids carry errors', async () => {
    const sim = await startSim();
    await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ next: ['500', '429'], endpoints: ['batches'] }),
    });
    const invalid = { customId: 'bad', body: { ...chatBody(9), temperature: 7 } };
    const { batchId } = await sim.batches.submit([...items(4), invalid], { endpoint: 'chat' });
    expect((await untilFinished(sim, batchId)).requestCounts).toEqual({
      total: 5,
      completed: 2,
      failed: 3,
    });
    // Without customIds the client reads them from the input file.
    const { results, missing } = await sim.batches.collect(batchId);
    expect(missing).toEqual([]);
    const summary = Object.fromEntries(
      [...results].map(([id, r]) => [id, r.ok ? 'ok' : errorOf(r)]),
    );
    expect(summary).toEqual({
      'req-0': ['provider_error', true],
      'req-1': ['provider_rate_limited', true],
      'req-2': 'ok',
      'req-3': 'ok',
      bad: ['invalid_request', false],
    });
  });

  it('hands back every id of an expired batch as missing', async () => {
    const sim = await startSim({
      SIM_BATCH_TURNAROUND_MS: '2000',
      SIM_BATCH_COMPLETION_WINDOW_MS: '300',
    });
    const { batchId } = await sim.batches.submit(items(3), { endpoint: 'chat' });
    const status = await untilFinished(sim, batchId);
    expect(status.status).toBe('expired');
    expect(status.timestamps.expiredAt).toEqual(expect.any(Number));
    const { results, missing } = await sim.batches.collect(batchId);
    expect(results.size).toBe(0);
    expect(missing).toEqual(['req-0', 'req-1', 'req-2']);
  });

  it('after a cancel mid-run, keeps the answered ids and lists the rest as missing', async () => {
    const sim = await startSim({ SIM_BATCH_TURNAROUND_MS: '4000' });
    const n = 10;
    const { batchId } = await sim.batches.submit(items(n), { endpoint: 'chat' });
    // Items finish about 0.3 s apart over the in_progress phase: cancel once the first is done.
    while ((await sim.batches.poll(batchId)).requestCounts.completed === 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await sim.batches.cancel(batchId)).status).toBe('cancelling');
    await expect(sim.batches.collect(batchId)).rejects.toMatchObject({
      code: 'conflict',
      retryable: true,
    });
    expect((await untilFinished(sim, batchId)).status).toBe('cancelled');

    const { results, missing } = await sim.batches.collect(batchId);
    expect(results.size).toBeGreaterThanOrEqual(1);
    expect(missing.length).toBeGreaterThanOrEqual(1);
    const answered = [...results.keys()];
    expect([...answered, ...missing].sort()).toEqual(
      items(n)
        .map((i) => i.customId)
        .sort(),
    );
    expect([...results.values()].every((r) => r.ok)).toBe(true);
  });

  it('maps SDK errors through toProviderError', async () => {
    const sim = await startSim();
    const unknown = sim.batches.poll('batch_does_not_exist');
    await expect(unknown).rejects.toBeInstanceOf(AppError);
    await expect(unknown).rejects.toMatchObject({ code: 'invalid_request', retryable: false });
    const { batchId } = await sim.batches.submit(items(1), { endpoint: 'chat' });
    await untilFinished(sim, batchId);
    // Cancelling a finished batch is a 409, which the realtime mapping treats as retryable.
    await expect(sim.batches.cancel(batchId)).rejects.toMatchObject({ code: 'provider_error' });
  });
});
