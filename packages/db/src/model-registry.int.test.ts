import { BATCH_DISCOUNT, MODEL_CATALOG, TASK_TYPES, type ModelProfile } from '@asahi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import { createModelRegistryRepository } from './model-registry.repository';
import { createTestDatabase, type TestDatabase } from './test-database';

let t: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  t = await createTestDatabase();
  prisma = t.db.prisma;
});
afterAll(async () => {
  await t?.drop();
});

describe('model registry seed (migration *_seed_model_registry)', () => {
  it('holds exactly the models of MODEL_CATALOG, at the catalog’s realtime prices', async () => {
    const models = await createModelRegistryRepository(prisma).listModels();
    expect(models.map((m) => m.id)).toEqual(MODEL_CATALOG.map((m) => m.id).sort());
    for (const info of MODEL_CATALOG) {
      expect(models.find((m) => m.id === info.id)).toMatchObject({
        provider: info.provider,
        kind: info.kind,
        inputPer1M: info.inputPer1M,
        outputPer1M: info.outputPer1M,
        contextWindow: info.contextWindow,
        enabled: true,
      });
    }
  });

  it('prices the Batch API at BATCH_DISCOUNT of realtime', async () => {
    for (const m of await createModelRegistryRepository(prisma).listModels()) {
      expect([m.id, m.batchInputPer1M, m.batchOutputPer1M]).toEqual([
        m.id,
        m.inputPer1M * BATCH_DISCOUNT,
        m.outputPer1M * BATCH_DISCOUNT,
      ]);
    }
  });

  it('scores every task type of every chat model in (0, 1], and gives each a latency', async () => {
    const chat = (await createModelRegistryRepository(prisma).listModels()).filter(
      (m) => m.kind === 'chat',
    );
    expect(chat.length).toBeGreaterThanOrEqual(6);
    for (const m of chat) {
      expect(Object.keys(m.quality).sort()).toEqual([...TASK_TYPES].sort());
      for (const task of TASK_TYPES) {
        expect(m.quality[task], `${m.id} ${task}`).toBeGreaterThan(0);
        expect(m.quality[task], `${m.id} ${task}`).toBeLessThanOrEqual(1);
      }
      expect(m.typicalLatencyMs).toBeGreaterThan(0);
    }
  });

  it('marks the models that reject sampling parameters: exactly the reasoning models', async () => {
    const chat = (await createModelRegistryRepository(prisma).listModels()).filter(
      (m) => m.kind === 'chat',
    );
    for (const m of chat) {
      expect([m.id, m.capabilities.includes('sampling')]).toEqual([
        m.id,
        !m.capabilities.includes('reasoning'),
      ]);
    }
  });
});

describe('createModelRegistryRepository', () => {
  const profile = (over: Partial<ModelProfile> = {}): ModelProfile => ({
    id: 'acme-small',
    provider: 'acme',
    kind: 'chat',
    inputPer1M: 0.3,
    outputPer1M: 1.2,
    batchInputPer1M: 0.15,
    batchOutputPer1M: 0.6,
    contextWindow: 32_000,
    capabilities: ['json', 'sampling'],
    quality: {
      summarization: 0.8,
      extraction: 0.7,
      classification: 0.9,
      translation: 0.6,
      qa: 0.75,
      code: 0.5,
      reasoning: 0.4,
      chat: 0.85,
    },
    typicalLatencyMs: 300,
    enabled: true,
    ...over,
  });

  it('upserts a model (insert, then replace every field) and lists it as plain data', async () => {
    const repo = createModelRegistryRepository(prisma);
    expect(await repo.upsertModel(profile())).toEqual(profile());
    const changed = profile({
      provider: 'acme-eu',
      inputPer1M: 0.25,
      outputPer1M: 1,
      batchInputPer1M: 0.125,
      batchOutputPer1M: 0.5,
      contextWindow: 64_000,
      capabilities: ['json'],
      quality: { ...profile().quality, code: 0.65 },
      typicalLatencyMs: 280,
      enabled: false,
    });
    expect(await repo.upsertModel(changed)).toEqual(changed);
    const listed = (await repo.listModels()).filter((m) => m.id === 'acme-small');
    expect(listed).toEqual([changed]);
    expect(typeof listed[0]?.inputPer1M).toBe('number');
  });

  it('reads a missing or malformed quality score as 0 and clamps scores into [0, 1]', async () => {
    await prisma.modelRegistry.create({
      data: {
        id: 'acme-odd',
        provider: 'acme',
        kind: 'chat',
        inputPer1M: 1,
        outputPer1M: 1,
        batchInputPer1M: 0.5,
        batchOutputPer1M: 0.5,
        contextWindow: 1000,
        quality: { qa: 1.7, code: 'high', chat: -0.2, summarization: 0.5 },
        typicalLatencyMs: 100,
      },
    });
    const odd = (await createModelRegistryRepository(prisma).listModels()).find(
      (m) => m.id === 'acme-odd',
    );
    expect(odd?.quality).toEqual({
      summarization: 0.5,
      extraction: 0,
      classification: 0,
      translation: 0,
      qa: 1,
      code: 0,
      reasoning: 0,
      chat: 0,
    });
  });
});
