import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import { MIGRATIONS_DIR } from './migrate';
import { createTestDatabase, type TestDatabase } from './test-database';
import { diffSchemas } from './tools/schema-engine-wasm';

/** Tables, columns (type, nullability, default), indexes, constraints and sequences of `public`. */
async function catalogSnapshot(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ line: string }>(`
      SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
             || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'
      UNION ALL
      SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
      UNION ALL
      SELECT 'sequence ' || sequencename || ' ' || data_type::text FROM pg_sequences WHERE schemaname = 'public'
      ORDER BY 1`);
    return rows.map((r) => r.line);
  } finally {
    await client.end();
  }
}

/**
 * Catalog lines the migrations add by hand because Prisma schema cannot express them (see
 * packages/db/README.md): the engine's diff of schema.prisma never has them, the migrations must.
 */
const HAND_WRITTEN = [
  `index CREATE UNIQUE INDEX dispatch_batch_members_live_request_key ON public.dispatch_batch_members USING btree (request_id) WHERE (state = 'in_batch'::text)`,
];

let migrated: TestDatabase;
let fromSchema: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  [migrated, fromSchema] = await Promise.all([
    createTestDatabase(),
    createTestDatabase({ migrate: false }),
  ]);
  prisma = migrated.db.prisma;
});
afterAll(async () => {
  await Promise.all([migrated?.drop(), fromSchema?.drop()]);
});

describe('schema and migrated database agree', () => {
  it('migrations build exactly the database Prisma’s engine derives from schema.prisma (no drift)', async () => {
    const sql = await diffSchemas(
      fromSchema.url,
      undefined,
      join(MIGRATIONS_DIR, '..', 'schema.prisma'),
    );
    const client = new pg.Client({ connectionString: fromSchema.url });
    await client.connect();
    await client.query(sql).finally(() => client.end());
    const [expected, actual] = await Promise.all([
      catalogSnapshot(fromSchema.url),
      catalogSnapshot(migrated.url),
    ]);
    expect(actual.length).toBeGreaterThan(50);
    expect(actual.filter((line) => !HAND_WRITTEN.includes(line))).toEqual(expected);
    expect(actual).toEqual(expect.arrayContaining(HAND_WRITTEN));
    // Should the engine ever produce one of them, it belongs in schema.prisma instead.
    for (const line of HAND_WRITTEN) expect(expected).not.toContain(line);
  }, 30_000);

  it('writes and reads every model, every field, through Prisma Client', async () => {
    const at = (s: string) => new Date(`2026-11-22T${s}Z`);
    const tenant = {
      id: 'tenant-a',
      name: 'Tenant A',
      settings: { plan: 'pro', limits: { rpm: 60 } },
      createdAt: at('10:00:00.001'),
      updatedAt: at('10:00:00.002'),
    };
    expect(await prisma.tenant.create({ data: tenant })).toEqual(tenant);

    const apiKey = {
      id: 'key-1',
      tenantId: tenant.id,
      name: 'ci',
      prefix: 'abc123',
      secretHash: 'f'.repeat(64),
      roles: ['admin'],
      createdAt: at('10:00:01.000'),
      lastUsedAt: at('10:00:02.000'),
      revokedAt: at('10:00:03.000'),
    };
    expect(await prisma.apiKey.create({ data: apiKey })).toEqual(apiKey);
    const defaulted = await prisma.apiKey.create({
      data: { tenantId: tenant.id, name: 'd', prefix: 'p2', secretHash: 'e'.repeat(64) },
    });
    expect(defaulted).toMatchObject({
      roles: ['submitter', 'reader'],
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(defaulted.id).toMatch(/^c[a-z0-9]{20,}$/); // cuid

    const job = {
      id: 'req-1',
      tenantId: tenant.id,
      mode: 'async',
      status: 'succeeded',
      model: 'gpt-4o-mini',
      request: { body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } },
      callbackUrl: 'https://example.test/cb',
      deadlineAt: at('10:05:00.000'),
      createdAt: at('10:00:04.000'),
      updatedAt: at('10:00:05.000'),
      startedAt: at('10:00:04.500'),
      completedAt: at('10:00:05.000'),
      attempts: 2,
      resultId: 'req-1',
    };
    expect(await prisma.job.create({ data: job })).toEqual(job);

    const result = {
      id: 'req-1',
      jobId: 'req-1',
      tenantId: tenant.id,
      status: 'succeeded',
      model: 'gpt-4o-mini',
      provider: 'openai',
      output: { id: 'out', model: 'gpt-4o-mini', content: 'hello', finishReason: 'stop' },
      promptTokens: 12,
      completionTokens: 3,
      totalTokens: 15,
      costUsd: '0.0000123456',
      baselineCostUsd: '1234567890.0123456789',
      cacheTier: 'exact',
      timings: { 'prepare.wait': 1.5 },
      error: { code: 'x', message: 'y', retryable: false },
      attempts: 2,
      completedAt: at('10:00:05.000'),
      createdAt: at('10:00:05.001'),
      routing: {
        mode: 'autopilot',
        taskType: 'qa',
        requestedModel: 'gpt-4o',
        model: 'gpt-4o-mini',
        reason: 'autopilot: cheapest above the floor',
      },
      tokens: { original: 20, optimized: 12, strategies: ['whitespace'] },
      savings: { cache: 0, intermediate: 0, routing: 0.001, tokens: -0.5, batch: 0 },
      dispatch: { execution: 'batch-api', batchId: 'bat_1', releasedFromBatch: 'late' },
    };
    const storedResult = await prisma.result.create({ data: result });
    expect({
      ...storedResult,
      costUsd: storedResult.costUsd.toFixed(10),
      baselineCostUsd: storedResult.baselineCostUsd.toFixed(10),
    }).toEqual(result);
    expect(
      await prisma.job.findUnique({ where: { id: 'req-1' }, include: { result: true } }),
    ).toMatchObject({ result: { id: 'req-1' } });
    // The cost-stage columns are optional: a result without them reads back as null.
    await prisma.job.create({ data: { ...job, id: 'req-2', resultId: 'req-2' } });
    expect(
      await prisma.result.create({
        data: {
          ...result,
          id: 'req-2',
          jobId: 'req-2',
          routing: undefined,
          tokens: undefined,
          dispatch: undefined,
        },
        select: { routing: true, tokens: true, savings: true, dispatch: true },
      }),
    ).toEqual({ routing: null, tokens: null, savings: result.savings, dispatch: null });

    const batch = {
      id: 'bat_1',
      provider: 'openai',
      model: 'gpt-4o-mini',
      endpoint: 'chat',
      status: 'submitted',
      providerBatchId: 'batch_abc',
      inputFileId: 'file_abc',
      providerStatus: 'in_progress',
      memberCount: 2,
      createdAt: at('10:00:09.000'),
      submittedAt: at('10:00:10.000'),
      expectedDoneAt: at('11:00:00.000'),
      finishedAt: at('11:00:01.000'),
      attempts: 3,
      lastError: 'upload failed',
    };
    expect(await prisma.dispatchBatch.create({ data: batch })).toEqual(batch);
    expect(
      await prisma.dispatchBatch.create({
        data: {
          id: 'bat_2',
          provider: 'openai',
          model: 'gpt-4o',
          endpoint: 'chat',
          status: 'created',
          memberCount: 0,
          expectedDoneAt: at('11:00:00.000'),
        },
      }),
    ).toMatchObject({ attempts: 0, providerBatchId: null, createdAt: expect.any(Date) });
    const member = {
      batchId: 'bat_1',
      requestId: 'req-1',
      tenantId: tenant.id,
      customId: 'c-1',
      deadlineAt: at('12:00:00.000'),
      state: 'in_batch',
      payload: { requestId: 'req-1', nested: { a: [1] } },
      updatedAt: at('10:00:09.500'),
    };
    expect(await prisma.dispatchBatchMember.create({ data: member })).toEqual(member);
    expect(
      await prisma.dispatchBatch.findUnique({ where: { id: 'bat_1' }, include: { members: true } }),
    ).toEqual({ ...batch, members: [member] });
    const memberKey = { batchId: 'bat_1', customId: 'c-1' };
    expect(
      await prisma.dispatchBatchMember.findUnique({ where: { batchId_customId: memberKey } }),
    ).toEqual(member);

    const audit = {
      id: 'evt-1',
      tenantId: tenant.id,
      requestId: 'req-1',
      type: 'request.accepted',
      at: at('10:00:04.000'),
      data: { a: [1, 'two', null] },
      seq: 9_007_199_254_740_993n,
      prevHash: 'p',
      hash: 'h',
    };
    expect(await prisma.auditEvent.create({ data: audit })).toEqual(audit);
    const autoSeq = await prisma.auditEvent.create({
      data: {
        id: 'evt-2',
        tenantId: tenant.id,
        requestId: 'req-1',
        type: 'cache.miss',
        at: at('10:00:04.100'),
        data: {},
      },
    });
    expect(typeof autoSeq.seq).toBe('bigint');

    const delivery = {
      id: 'del-1',
      jobId: 'req-1',
      tenantId: tenant.id,
      url: 'https://example.test/cb',
      status: 'failed',
      attempts: 5,
      lastStatusCode: 503,
      lastError: 'unavailable',
      createdAt: at('10:00:06.000'),
      deliveredAt: at('10:00:07.000'),
    };
    expect(await prisma.webhookDelivery.create({ data: delivery })).toEqual(delivery);

    const usage = {
      tenantId: tenant.id,
      model: 'gpt-4o-mini',
      hour: at('10:00:00.000'),
      requests: 3,
      succeeded: 2,
      failed: 1,
      cacheHits: 1,
      providerCalls: 4,
      promptTokens: 5_000_000_000n,
      completionTokens: 7n,
      costUsd: '0.5000000001',
      baselineCostUsd: '2.0000000000',
      savedCacheUsd: '0.0000000001',
      savedIntermediateUsd: '0.2500000000',
      savedRoutingUsd: '-1.5000000000',
      savedTokensUsd: '9999999999.9999999999',
      savedBatchUsd: '0.0100000000',
      originalPromptTokens: 6_000_000_000n,
      updatedAt: at('10:30:00.000'),
    };
    const storedUsage = await prisma.usageHourly.create({ data: usage });
    const decimals = [
      'costUsd',
      'baselineCostUsd',
      'savedCacheUsd',
      'savedIntermediateUsd',
      'savedRoutingUsd',
      'savedTokensUsd',
      'savedBatchUsd',
    ] as const;
    expect({
      ...storedUsage,
      ...Object.fromEntries(decimals.map((k) => [k, storedUsage[k].toFixed(10)])),
    }).toEqual(usage);
    const defaultedUsage = await prisma.usageHourly.create({
      data: { tenantId: tenant.id, model: 'gpt-4o', hour: usage.hour },
    });
    expect(decimals.map((k) => defaultedUsage[k].toFixed(1))).toEqual(decimals.map(() => '0.0'));
    expect(defaultedUsage.originalPromptTokens).toBe(0n);
    const key = { tenantId: usage.tenantId, model: usage.model, hour: usage.hour };
    expect(
      await prisma.usageHourly.findUnique({ where: { tenantId_model_hour: key } }),
    ).not.toBeNull();

    const ingested = { key: 'analytics:req-1', at: at('10:00:08.000') };
    expect(await prisma.analyticsIngested.create({ data: ingested })).toEqual(ingested);
    expect((await prisma.analyticsIngested.create({ data: { key: 'k2' } })).at).toBeInstanceOf(
      Date,
    );

    const registryEntry = {
      id: 'test-model-x',
      provider: 'acme',
      kind: 'chat',
      inputPer1M: '0.123456',
      outputPer1M: '12345678.000001',
      batchInputPer1M: '0.061728',
      batchOutputPer1M: '0.000000',
      contextWindow: 1_047_576,
      capabilities: ['json', 'long-context'],
      quality: { qa: 0.9, code: 0.25 },
      typicalLatencyMs: 420,
      enabled: false,
      updatedAt: at('10:40:00.000'),
    };
    const prices = ['inputPer1M', 'outputPer1M', 'batchInputPer1M', 'batchOutputPer1M'] as const;
    const storedEntry = await prisma.modelRegistry.create({ data: registryEntry });
    expect({
      ...storedEntry,
      ...Object.fromEntries(prices.map((k) => [k, storedEntry[k].toFixed(6)])),
    }).toEqual(registryEntry);
    expect(
      await prisma.modelRegistry.create({
        data: {
          id: 'test-model-y',
          provider: 'acme',
          kind: 'embedding',
          inputPer1M: 1,
          outputPer1M: 0,
          batchInputPer1M: 0.5,
          batchOutputPer1M: 0,
          contextWindow: 8191,
          typicalLatencyMs: 100,
        },
      }),
    ).toMatchObject({ capabilities: [], quality: {}, enabled: true, updatedAt: expect.any(Date) });

    const feature = {
      tenantId: tenant.id,
      entityType: 'user',
      entityId: 'u-42',
      values: { plan: 'pro', seats: 12, tags: ['beta'], nested: { locale: 'ja-JP' } },
      updatedAt: at('10:41:00.000'),
    };
    expect(await prisma.feature.create({ data: feature })).toEqual(feature);
    expect(
      await prisma.feature.create({
        data: { tenantId: tenant.id, entityType: 'organization', entityId: 'u-42' },
      }),
    ).toMatchObject({ values: {}, updatedAt: expect.any(Date) });
    const featureKey = { tenantId: tenant.id, entityType: 'user', entityId: 'u-42' };
    expect(
      await prisma.feature.findUnique({ where: { tenantId_entityType_entityId: featureKey } }),
    ).toEqual(feature);

    const template = {
      tenantId: tenant.id,
      id: 'support-reply',
      template: 'You help {{user.name}} on the {{user.plan}} plan.\n{{input}}',
      features: ['user.name', 'user.plan'],
      updatedAt: at('10:42:00.000'),
    };
    expect(await prisma.promptTemplate.create({ data: template })).toEqual(template);
    // The same template id under another tenant is another row.
    expect(
      await prisma.promptTemplate.create({
        data: { tenantId: 'tenant-b', id: 'support-reply', template: 'x' },
      }),
    ).toMatchObject({ features: [], updatedAt: expect.any(Date) });
    expect(
      await prisma.promptTemplate.findUnique({
        where: { tenantId_id: { tenantId: tenant.id, id: 'support-reply' } },
      }),
    ).toEqual(template);
  });
});
