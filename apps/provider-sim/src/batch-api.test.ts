import type { FastifyInstance } from 'fastify';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_DISCOUNT } from '@asahi/contracts';
import { startSimulator } from './start-simulator';
import type { SimStatsSnapshot } from './stats';

/**
 * The Batch API driven by the real `openai` SDK against the simulator on an ephemeral port (no
 * other infra): upload, create, poll, download, and the failed/expired/cancelled paths.
 */
interface Sim {
  app: FastifyInstance;
  url: string;
  client: OpenAI;
}

const started: Sim[] = [];

async function startSim(env: Record<string, string> = {}): Promise<Sim> {
  const { app, url } = await startSimulator({ SIM_BATCH_TURNAROUND_MS: '400', ...env });
  const sim = {
    app,
    url,
    client: new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 }),
  };
  started.push(sim);
  return sim;
}

afterAll(async () => {
  await Promise.all(started.map((s) => s.app.close()));
});

const TERMINAL = ['completed', 'failed', 'expired', 'cancelled'];

async function waitForBatch(sim: Sim, id: string, seen: string[] = []): Promise<Batch> {
  for (;;) {
    const batch = await sim.client.batches.retrieve(id);
    if (seen.at(-1) !== batch.status) seen.push(batch.status);
    if (TERMINAL.includes(batch.status)) return batch;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const chatBody = (i: number) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: `Question number ${i}: what is ${i} + ${i}?` }],
  max_tokens: 40,
});

const jsonl = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const chatLine = (customId: string, body: unknown) => ({
  custom_id: customId,
  method: 'POST',
  url: '/v1/chat/completions',
  body,
});

async function upload(sim: Sim, text: string, name = 'input.jsonl') {
  return sim.client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
}

async function startBatch(
  sim: Sim,
  text: string,
  endpoint: '/v1/chat/completions' | '/v1/embeddings' = '/v1/chat/completions',
) {
  const file = await upload(sim, text);
  return sim.client.batches.create({
    input_file_id: file.id,
    endpoint,
    completion_window: '24h',
    metadata: { job: 'test' },
  });
}

async function readLines(sim: Sim, fileId: string | null | undefined) {
  if (!fileId) return [];
  const text = await (await sim.client.files.content(fileId)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { custom_id: string; response: any; error: any });
}

const stats = async (sim: Sim) =>
  (await (await fetch(`${sim.url}/sim/stats`)).json()) as SimStatsSnapshot;

// Generous: the first simulator builds its tiktoken encoders, and CPUs are shared.
describe('Batch API through the openai SDK', { timeout: 30_000 }, () => {
  it('runs a chat batch to completed; every line answers like the realtime endpoint', async () => {
    const sim = await startSim();
    const n = 6;
    const created = await startBatch(
      sim,
      jsonl(Array.from({ length: n }, (_, i) => chatLine(`req-${i}`, chatBody(i)))),
    );
    expect(created).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'test' },
      request_counts: { total: 0, completed: 0, failed: 0 },
    });

    const seen: string[] = [];
    const batch = await waitForBatch(sim, created.id, seen);
    expect(batch.status).toBe('completed');
    expect(seen).toContain('in_progress');
    expect(batch.request_counts).toEqual({ total: n, completed: n, failed: 0 });
    expect(batch.error_file_id).toBeNull();
    expect(batch.model).toBe('gpt-4o-mini');
    for (const key of ['in_progress_at', 'finalizing_at', 'completed_at', 'expires_at'] as const) {
      expect(batch[key]).toEqual(expect.any(Number));
    }
    expect(batch.completed_at!).toBeGreaterThanOrEqual(batch.created_at);

    const output = await sim.client.files.retrieve(batch.output_file_id!);
    expect(output).toMatchObject({ purpose: 'batch_output', status: 'processed', object: 'file' });
    const lines = await readLines(sim, batch.output_file_id);
    expect(lines.map((l) => l.custom_id)).toEqual(Array.from({ length: n }, (_, i) => `req-${i}`));
    let inputTokens = 0;
    let outputTokens = 0;
    for (const [i, line] of lines.entries()) {
      const realtime = await sim.client.chat.completions.create(chatBody(i));
      expect(line.error).toBeNull();
      expect(line.response.status_code).toBe(200);
      expect(line.response.body.object).toBe('chat.completion');
      expect(line.response.body.choices).toEqual(realtime.choices);
      expect(line.response.body.usage).toEqual(realtime.usage);
      inputTokens += realtime.usage!.prompt_tokens;
      outputTokens += realtime.usage!.completion_tokens;
    }
    expect(batch.usage).toMatchObject({ input_tokens: inputTokens, output_tokens: outputTokens });

    const s = await stats(sim);
    expect(s.chatCompletions).toBe(n); // only the realtime comparison calls
    expect(s.batches).toMatchObject({
      batches: 1,
      items: n,
      succeeded: n,
      failed: 0,
      promptTokens: inputTokens,
      completionTokens: outputTokens,
    });
    expect(s.batches.realtimeCostUsd).toBeGreaterThan(0);
    expect(s.batches.billedCostUsd).toBeCloseTo(s.batches.realtimeCostUsd * BATCH_DISCOUNT, 12);
  });

  it('runs an embeddings batch with the same vectors as /v1/embeddings', async () => {
    const sim = await startSim();
    const body = {
      model: 'text-embedding-3-small',
      input: 'hello batch',
      encoding_format: 'float' as const,
    };
    const created = await startBatch(
      sim,
      jsonl([{ custom_id: 'e1', method: 'POST', url: '/v1/embeddings', body }]),
      '/v1/embeddings',
    );
    const batch = await waitForBatch(sim, created.id);
    expect(batch.request_counts).toEqual({ total: 1, completed: 1, failed: 0 });
    const [line] = await readLines(sim, batch.output_file_id);
    const realtime = await sim.client.embeddings.create(body);
    expect(line!.response.body.data[0].embedding).toEqual(realtime.data[0]!.embedding);
  });

  it('fails validation with OpenAI-style errors for structurally bad lines', async () => {
    const sim = await startSim();
    const created = await startBatch(
      sim,
      [
        'not json',
        JSON.stringify(chatLine('a', chatBody(1))),
        JSON.stringify(chatLine('a', chatBody(2))),
      ].join('\n'),
    );
    const batch = await waitForBatch(sim, created.id);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 1],
      ['duplicate_custom_id', 3],
    ]);
    expect(batch.output_file_id).toBeNull();
  });

  it('writes injected item faults and invalid bodies to the error file', async () => {
    const sim = await startSim();
    await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ next: ['500', '429'], endpoints: ['batches'] }),
    });
    const lines = [
      chatLine('f1', chatBody(1)),
      chatLine('f2', chatBody(2)),
      chatLine('ok', chatBody(3)),
      chatLine('bad', { model: 'gpt-4o-mini', messages: 'not an array' }),
    ];
    const batch = await waitForBatch(sim, (await startBatch(sim, jsonl(lines))).id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 4, completed: 1, failed: 3 });
    const errors = await readLines(sim, batch.error_file_id);
    expect(
      errors.map((l) => [l.custom_id, l.response.status_code, l.response.body.error.type]),
    ).toEqual([
      ['f1', 500, 'server_error'],
      ['f2', 429, 'requests'],
      ['bad', 400, 'invalid_request_error'],
    ]);
    expect((await readLines(sim, batch.output_file_id)).map((l) => l.custom_id)).toEqual(['ok']);
    const s = await stats(sim);
    expect(s.faultsInjected.total).toBe(2);
    expect(s.batches).toMatchObject({ items: 4, succeeded: 1, failed: 3 });
  });

  it('cancels mid-run: cancelling, then cancelled, keeping the items already answered', async () => {
    const sim = await startSim({ SIM_BATCH_TURNAROUND_MS: '8000' });
    const n = 20;
    const created = await startBatch(
      sim,
      jsonl(Array.from({ length: n }, (_, i) => chatLine(`c${i}`, chatBody(i)))),
    );
    // Items finish evenly over the 6.4 s in_progress phase, about 0.3 s apart, so even a slow
    // CI machine cancels mid-run; cancel once the first is done.
    let running = await sim.client.batches.retrieve(created.id);
    while (running.status === 'validating' || running.request_counts!.completed === 0) {
      await new Promise((r) => setTimeout(r, 10));
      running = await sim.client.batches.retrieve(created.id);
    }
    const cancelling = await sim.client.batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));

    const cancelled = await waitForBatch(sim, created.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).toEqual(expect.any(Number));
    const { total, completed, failed } = cancelled.request_counts!;
    expect(total).toBe(n);
    expect(completed).toBeGreaterThanOrEqual(1);
    expect(completed + failed).toBeLessThan(n);
    const output = await readLines(sim, cancelled.output_file_id);
    expect(output.map((l) => l.custom_id)).toEqual(
      Array.from({ length: completed }, (_, i) => `c${i}`),
    );
    await expect(sim.client.batches.cancel(created.id)).rejects.toBeInstanceOf(
      OpenAI.ConflictError,
    );
  });

  it('cancels a batch that is still validating, with no output', async () => {
    const sim = await startSim({ SIM_BATCH_TURNAROUND_MS: '60000' });
    const created = await startBatch(sim, jsonl([chatLine('v1', chatBody(1))]));
    const cancelling = await sim.client.batches.cancel(created.id);
    expect(cancelling).toMatchObject({ status: 'cancelling', in_progress_at: null });
    expect((await sim.client.batches.retrieve(created.id)).request_counts).toEqual({
      total: 0,
      completed: 0,
      failed: 0,
    });
  });

  it('expires when the turnaround exceeds the completion window', async () => {
    const sim = await startSim({
      SIM_BATCH_TURNAROUND_MS: '2000',
      SIM_BATCH_COMPLETION_WINDOW_MS: '300',
    });
    const created = await startBatch(
      sim,
      jsonl(Array.from({ length: 3 }, (_, i) => chatLine(`x${i}`, chatBody(i)))),
    );
    const batch = await waitForBatch(sim, created.id);
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).toEqual(expect.any(Number));
    const errors = await readLines(sim, batch.error_file_id);
    expect(errors.map((l) => [l.custom_id, l.error?.code])).toEqual([
      ['x0', 'batch_expired'],
      ['x1', 'batch_expired'],
      ['x2', 'batch_expired'],
    ]);
  });

  it('lists batches newest first with limit and after', async () => {
    const sim = await startSim();
    const ids = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await startBatch(sim, jsonl([chatLine('l', chatBody(i))]))).id);
    const first = await sim.client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    const rest = await sim.client.batches.list({ limit: 2, after: ids[1] });
    expect(rest.data.map((b) => b.id)).toEqual([ids[0]]);
    await expect(sim.client.batches.retrieve('batch_nope')).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });
});

describe('/v1/files through the openai SDK', { timeout: 30_000 }, () => {
  it('uploads, retrieves, downloads and deletes', async () => {
    const sim = await startSim();
    const text = jsonl([chatLine('a', chatBody(1))]);
    const file = await upload(sim, text, 'mine.jsonl');
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'mine.jsonl',
      bytes: Buffer.byteLength(text),
      status: 'processed',
    });
    expect(await sim.client.files.retrieve(file.id)).toEqual(file);
    expect(await (await sim.client.files.content(file.id)).text()).toBe(text);
    expect(await sim.client.files.delete(file.id)).toEqual({
      id: file.id,
      object: 'file',
      deleted: true,
    });
    await expect(sim.client.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it.each([
    { name: 'too many bytes', text: 'x'.repeat(2_000), file: 'a.jsonl', param: 'file' },
    { name: 'too many lines', text: '{}\n{}\n{}\n{}\n', file: 'a.jsonl', param: 'file' },
    { name: 'not a .jsonl file', text: '{}\n', file: 'a.csv', param: 'file' },
  ])('rejects an upload with $name (400)', async ({ text, file, param }) => {
    const sim = await startSim({ SIM_FILE_MAX_BYTES: '1000', SIM_FILE_MAX_LINES: '3' });
    const error = await upload(sim, text, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
  });
});
