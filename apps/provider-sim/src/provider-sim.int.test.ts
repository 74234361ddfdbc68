import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildSimulator } from './build-app';
import { promptDigest } from './completion';
import { loadConfig } from './config';
import { cosine } from './embedding';
import type { SimStatsSnapshot } from './stats';
import { countTokens } from './tokens';

interface Sim {
  app: FastifyInstance;
  url: string;
}

const started: Sim[] = [];

async function startSim(env: Record<string, string> = {}): Promise<Sim> {
  const app = buildSimulator(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  const sim = { app, url: `http://127.0.0.1:${address.port}` };
  started.push(sim);
  return sim;
}

const client = (
  sim: Sim,
  maxRetries = 0,
  extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {},
) => new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries, ...extra });

async function admin(sim: Sim, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const stats = (sim: Sim) => admin(sim, 'GET', '/sim/stats') as Promise<SimStatsSnapshot>;
const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Say this is a test' }],
};

let sim: Sim;

beforeAll(async () => {
  sim = await startSim();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.app.close()));
});

beforeEach(async () => {
  await admin(sim, 'POST', '/sim/reset');
});

describe('chat completions through the openai SDK', () => {
  it('parses, with real usage, OpenAI headers and a digest of the prompt', async () => {
    const { data, response, request_id } = await client(sim)
      .chat.completions.create(ask)
      .withResponse();
    expect(data).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      system_fingerprint: expect.stringMatching(/^fp_[0-9a-f]{10}$/),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
    });
    const content = data.choices[0]?.message.content ?? '';
    expect(content).toContain(promptDigest('Say this is a test'));
    expect(data.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: countTokens(content, 'o200k_base'),
    });
    expect(data.usage?.total_tokens).toBe(12 + (data.usage?.completion_tokens ?? 0));
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(request_id).toMatch(/^req_/);
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
  });

  it('is deterministic and honours max_tokens with finish_reason length', async () => {
    const openai = client(sim);
    const a = await openai.chat.completions.create({ ...ask, seed: 1 });
    const b = await openai.chat.completions.create({ ...ask, seed: 1 });
    expect(b.choices[0]?.message.content).toBe(a.choices[0]?.message.content);
    const capped = await openai.chat.completions.create({ ...ask, seed: 1, max_tokens: 3 });
    expect(capped.choices[0]?.finish_reason).toBe('length');
    expect(capped.usage?.completion_tokens).toBe(3);
    expect(
      a.choices[0]?.message.content?.startsWith(capped.choices[0]?.message.content ?? '?'),
    ).toBe(true);
  });

  it('streams the same text as SSE chunks, with usage when asked', async () => {
    const openai = client(sim);
    const whole = await openai.chat.completions.create(ask);
    const stream = await openai.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: whole.usage?.completion_tokens,
    });
  });

  it('maps an unknown model to NotFoundError (404 model_not_found) like OpenAI', async () => {
    const err = await client(sim)
      .chat.completions.create({ ...ask, model: 'gpt-9' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({
      status: 404,
      code: 'model_not_found',
      type: 'invalid_request_error',
    });
  });

  it('maps an invalid body to BadRequestError with the offending param', async () => {
    const err = await client(sim)
      .chat.completions.create({ ...ask, temperature: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({
      status: 400,
      param: 'temperature',
      code: 'decimal_above_max_value',
    });
  });
});

describe('embeddings through the openai SDK', () => {
  it('decodes the SDK-default base64 into vectors of the model size, semantically ordered', async () => {
    const res = await client(sim).embeddings.create({
      model: 'text-embedding-3-small',
      input: [
        'The cat sat on the mat',
        'A cat was sitting on the mat',
        'Quarterly revenue grew in European markets',
      ],
    });
    const [cat, similar, unrelated] = res.data.map((d) => d.embedding);
    expect(cat).toHaveLength(1536);
    expect(res.usage.prompt_tokens).toBe(
      [
        'The cat sat on the mat',
        'A cat was sitting on the mat',
        'Quarterly revenue grew in European markets',
      ].reduce((s, t) => s + countTokens(t, 'cl100k_base'), 0),
    );
    expect(cosine(cat ?? [], similar ?? [])).toBeGreaterThan(
      cosine(cat ?? [], unrelated ?? []) + 0.3,
    );
  });

  it('returns the same vector as float and as base64, and honours dimensions', async () => {
    const openai = client(sim);
    const asFloat = await openai.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'hello world',
      encoding_format: 'float',
    });
    const asDefault = await openai.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'hello world',
    });
    expect(asFloat.data[0]?.embedding).toHaveLength(3072);
    expect(asDefault.data[0]?.embedding).toEqual(asFloat.data[0]?.embedding);
    const short = await openai.embeddings.create({
      model: 'text-embedding-3-large',
      input: [[15339, 1917]],
      dimensions: 256,
    });
    expect(short.data[0]?.embedding).toHaveLength(256);
  });
});

describe('faults', () => {
  it('next: [500, 500] is retried to success by the SDK, and stats see 3 calls', async () => {
    await admin(sim, 'POST', '/sim/faults', { next: ['500', '500'] });
    const res = await client(sim, 2).chat.completions.create(ask);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    const s = await stats(sim);
    expect(s).toMatchObject({
      chatCompletions: 3,
      succeeded: { chatCompletions: 1 },
      faultsInjected: { '500': 2, total: 2 },
    });
    expect(s.byModel['gpt-4o-mini']).toMatchObject({ requests: 3, succeeded: 1, promptTokens: 12 });
  });

  it('a 429 fault surfaces as RateLimitError with retry-after', async () => {
    await admin(sim, 'POST', '/sim/faults', { next: ['429'] });
    const err = await client(sim)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(err).toMatchObject({ code: 'rate_limit_exceeded' });
  });

  it('a 503 fault surfaces as InternalServerError', async () => {
    await admin(sim, 'POST', '/sim/faults', { next: ['503'] });
    const err = await client(sim)
      .embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 503 });
  });

  it('a malformed body makes the SDK throw', async () => {
    await admin(sim, 'POST', '/sim/faults', { next: ['malformed'] });
    await expect(client(sim).chat.completions.create(ask)).rejects.toThrow();
    expect((await stats(sim)).faultsInjected.malformed).toBe(1);
  });

  it('faults can target one endpoint only', async () => {
    await admin(sim, 'POST', '/sim/faults', { next: ['500'], endpoints: ['chat'] });
    await client(sim).embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await expect(client(sim).chat.completions.create(ask)).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
  });

  it('GET/DELETE /sim/faults show and reset the settings', async () => {
    await admin(sim, 'POST', '/sim/faults', { rate: 0.5, kinds: ['503'], next: ['500'] });
    expect(await admin(sim, 'GET', '/sim/faults')).toMatchObject({
      rate: 0.5,
      kinds: ['503'],
      next: ['500'],
    });
    expect(await admin(sim, 'DELETE', '/sim/faults')).toMatchObject({ rate: 0, next: [] });
    const bad = await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"next":["boom"]}',
    });
    expect(bad.status).toBe(400);
  });

  it('a timeout fault holds the request, then drops the connection', async () => {
    const slow = await startSim({ SIM_TIMEOUT_HOLD_MS: '300' });
    await admin(slow, 'POST', '/sim/faults', { next: ['timeout'] });
    const started = Date.now();
    await expect(client(slow).chat.completions.create(ask)).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('rate limits, latency, auth', () => {
  it('RPM exhaustion answers 429 with retry-after and x-ratelimit headers', async () => {
    const limited = await startSim({ SIM_RPM: '1' });
    const { response } = await client(limited).chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const err = await client(limited)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[\d.]+s|\d+m[\d.]+s)$/);
    expect((await stats(limited)).rateLimited).toBe(1);
  });

  it('SIM_LATENCY_MS delays responses', async () => {
    const slow = await startSim({ SIM_LATENCY_MS: '300' });
    const started = Date.now();
    await client(slow).chat.completions.create(ask);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('SIM_REQUIRE_AUTH answers 401 in OpenAI shape without a bearer key', async () => {
    const locked = await startSim({ SIM_REQUIRE_AUTH: 'true' });
    const res = await fetch(`${locked.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ask),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        message: expect.stringContaining("didn't provide an API key"),
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    await expect(client(locked).chat.completions.create(ask)).resolves.toBeDefined();
  });
});

describe('models and sim endpoints', () => {
  it('lists and retrieves models', async () => {
    const openai = client(sim);
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'text-embedding-3-small']));
    expect(await openai.models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', object: 'model' });
    await expect(openai.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('exposes prices and Prometheus metrics', async () => {
    const prices = (await admin(sim, 'GET', '/sim/prices')) as {
      data: Array<{ id: string; inputPer1M: number }>;
    };
    expect(prices.data.find((p) => p.id === 'gpt-4o-mini')?.inputPer1M).toBe(0.15);
    await client(sim).chat.completions.create(ask);
    const metrics = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metrics).toMatch(
      /asahi_sim_requests_total\{endpoint="\/v1\/chat\/completions",model="gpt-4o-mini",status="200"/,
    );
  });
});
