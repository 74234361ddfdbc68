import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '@asahi/provider-sim';
import { AppError } from '@asahi/errors';
import { createOpenAiEmbedder } from './openai-embedder';

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  ({ app, url } = await startSimulator());
});

afterAll(async () => {
  await app.close();
});

beforeEach(async () => {
  await fetch(`${url}/sim/reset`, { method: 'POST' });
});

const client = () => new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));

async function embeddingCalls(): Promise<number> {
  const stats = (await (await fetch(`${url}/sim/stats`)).json()) as { embeddings: number };
  return stats.embeddings;
}

const texts = [
  'How do I learn to cook rice?',
  'How can I learn to cook rice?',
  'What is the capital of Peru?',
  'Best hiking trails near Denver',
  'Explain quantum entanglement simply',
];

describe('createOpenAiEmbedder against the simulator', () => {
  it('returns one unit vector per text, in order, of the model size', async () => {
    const embedder = createOpenAiEmbedder({ client: client(), model: 'text-embedding-3-small' });
    const vectors = await embedder.embed(texts);
    expect(embedder.dimensions).toBe(1536);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(1536);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    const [single] = await embedder.embed([texts[3] as string]);
    expect(dot(single as Float32Array, vectors[3] as Float32Array)).toBeCloseTo(1, 5);
  });

  it('places a rewording closer than an unrelated text', async () => {
    const embedder = createOpenAiEmbedder({ client: client(), model: 'text-embedding-3-small' });
    const [a, b, c] = (await embedder.embed(texts.slice(0, 3))) as Float32Array[];
    expect(dot(a as Float32Array, b as Float32Array)).toBeGreaterThan(
      dot(a as Float32Array, c as Float32Array),
    );
  });

  it('splits large inputs into batches of batchSize requests', async () => {
    const embedder = createOpenAiEmbedder({
      client: client(),
      model: 'text-embedding-3-small',
      batchSize: 2,
    });
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(5);
    expect(await embeddingCalls()).toBe(3);
    const whole = await createOpenAiEmbedder({
      client: client(),
      model: 'text-embedding-3-small',
    }).embed(texts);
    vectors.forEach((v, i) => expect(dot(v, whole[i] as Float32Array)).toBeCloseTo(1, 5));
  });

  it('asks for shortened vectors with dimensions and renormalises them', async () => {
    const embedder = createOpenAiEmbedder({
      client: client(),
      model: 'text-embedding-3-large',
      dimensions: 256,
    });
    const [v] = await embedder.embed(['short vectors']);
    expect(embedder.dimensions).toBe(256);
    expect(v).toHaveLength(256);
    expect(norm(v as Float32Array)).toBeCloseTo(1, 5);
  });

  it('makes no request for an empty list', async () => {
    const embedder = createOpenAiEmbedder({ client: client(), model: 'text-embedding-3-small' });
    expect(await embedder.embed([])).toEqual([]);
    expect(await embeddingCalls()).toBe(0);
  });

  it.each([
    { fault: '500', code: 'provider_error', retryable: true },
    { fault: '429', code: 'provider_rate_limited', retryable: true },
  ])('maps a $fault fault to $code', async ({ fault, code, retryable }) => {
    await fetch(`${url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ next: [fault], endpoints: ['embeddings'] }),
    });
    const embedder = createOpenAiEmbedder({ client: client(), model: 'text-embedding-3-small' });
    const error = await embedder.embed(['x']).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code, retryable });
  });

  it('maps an unknown model (404) to a non-retryable invalid_request', async () => {
    const embedder = createOpenAiEmbedder({
      client: client(),
      model: 'no-such-embedder',
      dimensions: 8,
    });
    const error = await embedder.embed(['x']).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'invalid_request', retryable: false });
  });

  it('refuses a model of unknown size without dimensions', () => {
    expect(() => createOpenAiEmbedder({ client: client(), model: 'mystery' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
