import { describe, expect, it } from 'vitest';
import {
  auditEventSchema,
  fixtures,
  parseJsonWith,
  parseWith,
  QUEUE_POLICIES,
  QUEUES,
  requestMessageSchema,
  resultMessageSchema,
  TOPICS,
} from './index';

describe('golden fixtures', () => {
  it.each([
    ['request', requestMessageSchema, fixtures.request()],
    ['result', resultMessageSchema, fixtures.result()],
    ['audit', auditEventSchema, fixtures.audit()],
  ] as const)('%s fixture matches its schema', (_name, schema, fixture) => {
    const outcome = parseWith(schema, fixture);
    expect(outcome).toMatchObject({ ok: true });
  });
});

describe('cache control', () => {
  it('adds no mode of its own: a request that sends only a TTL leaves the mode to its tenant', () => {
    const parsed = requestMessageSchema.parse({
      ...(fixtures.request() as object),
      cache: { ttlSeconds: 60 },
    });
    expect(parsed.cache).toEqual({ ttlSeconds: 60 });
    const semanticOnly = requestMessageSchema.parse({
      ...(fixtures.request() as object),
      cache: { semantic: false },
    });
    expect(semanticOnly.cache).toEqual({ semantic: false });
  });
});

describe('parseJsonWith', () => {
  it.each([
    ['not JSON', '{nope', /value is not JSON/],
    ['null value', null, /empty message value/],
    [
      'missing tenant',
      JSON.stringify({ ...(fixtures.request() as object), tenantId: undefined }),
      /tenantId/,
    ],
    [
      'wrong version',
      JSON.stringify({ ...(fixtures.request() as object), schemaVersion: 2 }),
      /schemaVersion/,
    ],
    [
      'bad role',
      JSON.stringify({
        ...(fixtures.request() as object),
        body: { model: 'x', messages: [{ role: 'robot', content: 'hi' }] },
      }),
      /body\.messages\.0\.role/,
    ],
  ])('rejects %s with a precise reason', (_case, raw, reason) => {
    const outcome = parseJsonWith(requestMessageSchema, raw);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(reason);
  });

  it('accepts a Buffer holding a valid request', () => {
    const outcome = parseJsonWith(
      requestMessageSchema,
      Buffer.from(JSON.stringify(fixtures.request())),
    );
    expect(outcome.ok && outcome.value.tenantId).toBe('tenant_demo');
  });
});

describe('names and policies', () => {
  it('every queue has a policy and every topic is versioned', () => {
    for (const q of Object.values(QUEUES)) expect(QUEUE_POLICIES[q].attempts).toBeGreaterThan(0);
    for (const t of Object.values(TOPICS)) expect(t).toMatch(/\.v\d+$/);
  });
});
