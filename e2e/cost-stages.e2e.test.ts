/**
 * End to end through the cost stages: apps as OS processes, real Kafka/Redis/Postgres, the
 * simulator as the provider. Routing, the exact/semantic caches, enrichment from the feature
 * store, token optimization and intermediate step results, each seen from the client's side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createDb, createTestDatabase, listUsage, upsertTenant } from '@asahi/db';
import type { Db, TestDatabase } from '@asahi/db';
import { readInfraEndpoints, startStack, type Stack } from '@asahi/testing';
import { apiClient, chatBody, waitFor, type ApiClient } from './support';

let stack: Stack;
let database: TestDatabase;
let db: Db;
let pilot: ApiClient; // AUTOPILOT routing, baseline gpt-4o
let plain: ApiClient; // explicit models, defaults
let other: ApiClient; // a second tenant, for isolation

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('infra is not up: run `npm run infra -- up` (npm test does it)');
  database = await createTestDatabase(infra.databaseUrl);
  db = createDb(database.url);
  const policy = { routing: { mode: 'autopilot', qualityFloor: 0.8, defaultModel: 'gpt-4o' } };
  await upsertTenant(db.prisma, { id: 'pilot', name: 'Pilot', settings: { policy } });
  await upsertTenant(db.prisma, { id: 'plain', name: 'Plain' });
  await upsertTenant(db.prisma, { id: 'other', name: 'Other' });
  const roles = ['submitter', 'reader', 'enrichment'];
  const keyOf = async (t: string) => (await createApiKey(db.prisma, t, 'e2e', roles)).key;
  stack = await startStack({
    namespace: `cost${Date.now().toString(36)}`,
    infra: { ...infra, databaseUrl: database.url },
    // Generous budgets: this checks behaviour, not speed, on a loaded 2-core CI machine (the
    // fallbacks on timeout are covered by the stage tests and the feature-store tests).
    env: {
      pipeline: { SEMANTIC_BUDGET_MS: '3000', ENRICHMENT_BUDGET_MS: '3000', BATCH_API: 'false' },
    },
  });
  const url = stack.ingestUrls[0]!;
  pilot = apiClient(url, await keyOf('pilot'));
  plain = apiClient(url, await keyOf('plain'));
  other = apiClient(url, await keyOf('other'));
});

afterAll(async () => {
  await stack?.stop();
  await db?.close();
  await database?.drop();
});

/** Every terminal result each client received: what its tenant's usage rows must add up to. */
const received = new Map<ApiClient, Record<string, any>[]>();

/** Submits and waits for the terminal result (sync API). */
async function run(api: ApiClient, body: unknown) {
  const res = await api.post('/v1/jobs?wait=60', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const result = { ...res.body.result, status: res.body.status } as Record<string, any>;
  received.set(api, [...(received.get(api) ?? []), result]);
  return result;
}

describe('routing', () => {
  it('AUTOPILOT sends a classification to a cheaper model and records why and what it saved', async () => {
    const result = await run(
      pilot,
      chatBody('Classify this review as positive or negative: "Arrived broken, no refund."', {
        model: 'gpt-4o',
      }),
    );
    expect(result.routing).toMatchObject({ mode: 'autopilot', taskType: 'classification' });
    expect(result.model).not.toBe('gpt-4o');
    expect(result.routing.reason).toMatch(/autopilot/i);
    expect(result.savings.routing).toBeGreaterThan(0);
    expect(result.baselineCostUsd).toBeGreaterThan(result.costUsd);
  });

  it('rejects an explicitly named unknown model with a 400 at submission', async () => {
    const res = await plain.post('/v1/jobs', chatBody('Hi', { model: 'gpt-9-ultra' }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('unknown_model');
  });
});

describe('caching', () => {
  it('serves a paraphrase from the semantic tier, but never to another tenant', async () => {
    const first = await run(plain, chatBody('How do I make my houseplants grow faster?'));
    expect(first.cacheTier).toBe('none');
    const paraphrase = chatBody('How can I make my houseplants grow faster?');
    const second = await run(plain, paraphrase);
    expect(second.cacheTier).toBe('semantic');
    expect(second.output.content).toBe(first.output.content);
    expect(second.costUsd).toBe(0);
    expect(second.savings.cache).toBeGreaterThan(0);
    expect((await run(other, paraphrase)).cacheTier).toBe('none');
  });

  it('serves a retyped question from the canonical tier and rejects a role-swapped near-miss', async () => {
    const first = await run(plain, chatBody('Cheapest flights from Boston to Denver in May?'));
    const retyped = await run(plain, chatBody('  cheapest FLIGHTS from boston to denver in may  '));
    expect(retyped.cacheTier).toBe('canonical');
    expect(retyped.output.content).toBe(first.output.content);
    const swapped = await run(plain, chatBody('Cheapest flights from Denver to Boston in May?'));
    expect(swapped.cacheTier).toBe('none');
  });
});

describe('enrichment and token optimization', () => {
  it('injects feature-store values, so users with different features never share answers', async () => {
    expect(
      (
        await plain.raw('/v1/templates/support', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            template: 'The customer is on the {{user.plan}} plan.',
            features: ['user.plan'],
          }),
        })
      ).status,
    ).toBe(200);
    for (const [id, plan] of [
      ['u1', 'gold'],
      ['u2', 'free'],
    ])
      expect(
        (
          await plain.raw(`/v1/features/user/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ values: { plan } }),
          })
        ).status,
      ).toBe(200);
    const ask = (user: string) =>
      chatBody('How do I upgrade my account?', {
        enrichment: { templateId: 'support', entities: { user } },
      });
    expect((await run(plain, ask('u1'))).cacheTier).toBe('none');
    expect((await run(plain, ask('u2'))).cacheTier).toBe('none'); // different features: no reuse
    expect((await run(plain, ask('u1'))).cacheTier).toBe('exact');
  });

  it('records fewer prompt tokens after normalising a messy paste', async () => {
    const messy = `Summarize:\n\n\n\n${'The   quarterly  report   shows   growth.    \n\n\n\n'.repeat(20)}`;
    const result = await run(plain, chatBody(messy, { max_tokens: 64 }));
    expect(result.tokens.optimized).toBeLessThan(result.tokens.original);
    expect(result.savings.tokens).toBeGreaterThan(0);
  });
});

describe('intermediate results', () => {
  it('reuses a shared document step across questions', async () => {
    const steps = (question: string) => ({
      input: 'Asahi runs LLM requests for many tenants. It caches, batches and routes them.',
      steps: [
        { id: 'summary', template: 'Summarize:\n{{input}}' },
        { id: 'answer', template: `{{steps.summary}}\n\nQ: ${question}`, dependsOn: ['summary'] },
      ],
    });
    const first = await run(plain, chatBody('q1', { steps: steps('What does it do?') }));
    expect(first.status).toBe('succeeded');
    const second = await run(plain, chatBody('q2', { steps: steps('Who is it for?') }));
    expect(second.status).toBe('succeeded');
    expect(second.savings.intermediate).toBeGreaterThan(0);
    expect(second.costUsd).toBeLessThan(second.baselineCostUsd);
  });
});

describe('cost accounting', () => {
  type Rows = Awaited<ReturnType<typeof listUsage>>;
  const sum = <T>(items: T[], f: (x: T) => number) => items.reduce((a, x) => a + f(x), 0);
  const from = () => new Date(Date.now() - 3_600_000);
  const to = () => new Date(Date.now() + 3_600_000);

  /** Analytics folds results asynchronously: waits until all of the tenant's results are in. */
  async function usageOf(tenant: string, api: ApiClient): Promise<Rows> {
    const expected = received.get(api)?.length ?? 0;
    return waitFor(
      `${tenant} usage of ${expected} requests`,
      async () => {
        const rows = await listUsage(db.prisma, tenant, from(), to());
        return sum(rows, (r) => r.requests) >= expected ? rows : undefined;
      },
      30_000,
    );
  }

  it('aggregates cost, baseline and savings per stage into the hourly usage of each tenant', async () => {
    const pilotRows = await usageOf('pilot', pilot);
    expect(sum(pilotRows, (r) => r.savedRoutingUsd)).toBeGreaterThan(0);
    expect(sum(pilotRows, (r) => r.baselineCostUsd)).toBeGreaterThan(
      sum(pilotRows, (r) => r.costUsd),
    );
    const plainRows = await usageOf('plain', plain);
    expect(sum(plainRows, (r) => r.savedCacheUsd)).toBeGreaterThan(0);
    expect(sum(plainRows, (r) => r.savedTokensUsd)).toBeGreaterThan(0);
    expect(sum(plainRows, (r) => r.cacheHits)).toBeGreaterThan(0);
    expect(sum(plainRows, (r) => r.originalPromptTokens)).toBeGreaterThan(
      sum(plainRows, (r) => r.promptTokens),
    );
  });

  it("keeps each tenant's usage to its own requests: no other tenant's counts or cost", async () => {
    const tenants = { pilot, plain, other };
    // Every tenant sent something costly, so a figure counted under the wrong tenant shows.
    for (const api of Object.values(tenants))
      expect(sum(received.get(api) ?? [], (r) => r.baselineCostUsd)).toBeGreaterThan(0);
    for (const [tenant, api] of Object.entries(tenants)) {
      const own = received.get(api) ?? [];
      await usageOf(tenant, api);
      // Read again after every tenant's results are in, so a late misplaced count is seen too.
      const rows = await listUsage(db.prisma, tenant, from(), to());
      const savedBy = (stage: string) => sum(own, (r) => r.savings?.[stage] ?? 0);
      expect({ tenant, requests: sum(rows, (r) => r.requests) }).toEqual({
        tenant,
        requests: own.length,
      });
      expect(sum(rows, (r) => r.succeeded)).toBe(
        own.filter((r) => r.status === 'succeeded').length,
      );
      expect(sum(rows, (r) => r.cacheHits)).toBe(own.filter((r) => r.cacheTier !== 'none').length);
      expect(sum(rows, (r) => r.costUsd)).toBeCloseTo(
        sum(own, (r) => r.costUsd),
        8,
      );
      expect(sum(rows, (r) => r.baselineCostUsd)).toBeCloseTo(
        sum(own, (r) => r.baselineCostUsd),
        8,
      );
      expect(sum(rows, (r) => r.savedCacheUsd)).toBeCloseTo(savedBy('cache'), 8);
      expect(sum(rows, (r) => r.savedRoutingUsd)).toBeCloseTo(savedBy('routing'), 8);
      expect(sum(rows, (r) => r.savedTokensUsd)).toBeCloseTo(savedBy('tokens'), 8);
      expect(sum(rows, (r) => r.savedIntermediateUsd)).toBeCloseTo(savedBy('intermediate'), 8);
      const models = new Set(own.map((r) => r.model));
      for (const row of rows.filter((r) => r.requests > 0)) expect(models).toContain(row.model);
    }
    expect(await listUsage(db.prisma, 'nobody', from(), to())).toEqual([]);
  });
});
