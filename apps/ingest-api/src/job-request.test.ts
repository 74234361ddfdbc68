import { describe, expect, it } from 'vitest';
import { parseWith, requestMessageSchema } from '@asahi/contracts';
import {
  buildRequestMessage,
  canonicalJson,
  MAX_DEADLINE_S,
  parseIdempotencyKey,
  parseJobBody,
  parseTraceparent,
  parseWait,
  requestIdFor,
  ulid,
} from './job-request';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('parseWait', () => {
  const cases: {
    name: string;
    header?: string | string[];
    query?: unknown;
    max?: number;
    want: number | null | 'invalid';
  }[] = [
    { name: 'nothing asked', want: null },
    { name: 'Prefer wait', header: 'wait=5', want: 5 },
    { name: 'Prefer with respond-async and spaces', header: 'respond-async, wait = 10', want: 10 },
    { name: 'Prefer is case-insensitive and allows params', header: 'Wait=7;foo=bar', want: 7 },
    { name: 'Prefer quoted value', header: 'wait="3"', want: 3 },
    { name: 'Prefer repeated headers', header: ['return=minimal', 'wait=4'], want: 4 },
    { name: 'Prefer respond-async alone', header: 'respond-async', want: null },
    { name: 'Prefer malformed value is ignored', header: 'wait=soon', want: null },
    { name: 'Prefer negative value is ignored', header: 'wait=-3', want: null },
    { name: 'Prefer zero means no wait', header: 'wait=0', want: null },
    { name: 'Prefer capped at max', header: 'wait=600', max: 60, want: 60 },
    { name: 'fractional seconds', header: 'wait=1.5', want: 1.5 },
    { name: 'query', query: '8', want: 8 },
    { name: 'query wins over Prefer', header: 'wait=2', query: '9', want: 9 },
    { name: 'query capped at max', query: '3600', max: 30, want: 30 },
    { name: 'query zero means no wait', query: '0', want: null },
    { name: 'query malformed is a 400', query: 'abc', want: 'invalid' },
    { name: 'query negative is a 400', query: '-1', want: 'invalid' },
    { name: 'query given twice is a 400', query: ['1', '2'], want: 'invalid' },
    { name: 'query empty is a 400', query: '', want: 'invalid' },
  ];
  it.each(cases)('$name', ({ header, query, max, want }) => {
    const outcome = parseWait(header, query, max ?? 60);
    if (want === 'invalid') {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.issues[0]?.path).toBe('wait');
    } else {
      expect(outcome).toEqual({ ok: true, value: want });
    }
  });
});

describe('requestIdFor', () => {
  it('is stable per tenant and idempotency key', () => {
    const a = requestIdFor('tenant_a', 'order-42', 1);
    expect(requestIdFor('tenant_a', 'order-42', 999_999)).toBe(a);
    expect(a).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
  it('differs across tenants and keys, and tenant/key boundaries cannot be shifted', () => {
    const ids = new Set([
      requestIdFor('tenant_a', 'order-42', 0),
      requestIdFor('tenant_b', 'order-42', 0),
      requestIdFor('tenant_a', 'order-43', 0),
      requestIdFor('tenant_ao', 'rder-42', 0),
    ]);
    expect(ids.size).toBe(4);
  });
  it('without a key is a ULID: random, time-ordered, valid as a contracts id', () => {
    const first = requestIdFor('t', undefined, 1_000);
    const second = requestIdFor('t', undefined, 2_000);
    expect(first).not.toBe(requestIdFor('t', undefined, 1_000));
    expect(first < second).toBe(true);
    expect(first).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
  it('encodes the ULID time and randomness exactly', () => {
    expect(ulid(0, new Uint8Array(10))).toBe('0'.repeat(26));
    expect(ulid(1_469_918_176_385, new Uint8Array(10).fill(255))).toBe(
      '01ARYZ6S41' + 'Z'.repeat(16),
    );
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    { header: undefined, ok: true },
    { header: 'order-42', ok: true },
    { header: 'a b', ok: true },
    { header: '', ok: false },
    { header: ' leading-space', ok: false },
    { header: 'x'.repeat(256), ok: false },
    { header: 'tab\there', ok: false },
    { header: ['a', 'b'], ok: false },
  ])('$header → ok=$ok', ({ header, ok }) => {
    expect(parseIdempotencyKey(header).ok).toBe(ok);
  });
});

describe('parseJobBody', () => {
  const cases: { name: string; body: unknown; path: string; message?: RegExp }[] = [
    { name: 'not an object', body: 'hello', path: '(root)' },
    { name: 'missing model', body: { messages: chat.messages }, path: 'model' },
    { name: 'empty messages', body: { model: 'm', messages: [] }, path: 'messages' },
    {
      name: 'bad role',
      body: { ...chat, messages: [{ role: 'robot', content: 'x' }] },
      path: 'messages.0.role',
    },
    {
      name: 'content not a string',
      body: { ...chat, messages: [{ role: 'user', content: 5 }] },
      path: 'messages.0.content',
    },
    { name: 'temperature too high', body: { ...chat, temperature: 3 }, path: 'temperature' },
    { name: 'max_tokens not an int', body: { ...chat, max_tokens: 1.5 }, path: 'max_tokens' },
    { name: 'streaming', body: { ...chat, stream: true }, path: 'stream' },
    { name: 'several choices', body: { ...chat, n: 2 }, path: 'n' },
    {
      name: 'unknown OpenAI field',
      body: { ...chat, tools: [] },
      path: '(root)',
      message: /tools/,
    },
    {
      name: 'callback not a URL',
      body: { ...chat, callback: { url: 'nope' } },
      path: 'callback.url',
    },
    {
      name: 'cache mode unknown',
      body: { ...chat, cache: { mode: 'sometimes' } },
      path: 'cache.mode',
    },
    { name: 'metadata not strings', body: { ...chat, metadata: { a: 1 } }, path: 'metadata.a' },
    {
      name: 'deadline_seconds zero',
      body: { ...chat, deadline_seconds: 0 },
      path: 'deadline_seconds',
    },
    {
      name: 'deadline_seconds too long',
      body: { ...chat, deadline_seconds: MAX_DEADLINE_S + 1 },
      path: 'deadline_seconds',
    },
    {
      name: 'routing mode unknown',
      body: { ...chat, routing: { mode: 'cheapest' } },
      path: 'routing.mode',
    },
    { name: 'optimization unknown', body: { ...chat, optimization: 'max' }, path: 'optimization' },
    {
      name: 'steps with a cycle',
      body: {
        ...chat,
        steps: {
          input: 'doc',
          steps: [
            { id: 'a', template: '{{steps.b}}', dependsOn: ['b'] },
            { id: 'b', template: '{{steps.a}}', dependsOn: ['a'] },
          ],
        },
      },
      path: 'steps',
    },
    {
      name: 'steps depending on an unknown step',
      body: {
        ...chat,
        steps: { input: 'doc', steps: [{ id: 'a', template: '{{input}}', dependsOn: ['zz'] }] },
      },
      path: 'steps',
    },
    {
      name: 'enrichment without a template id',
      body: { ...chat, enrichment: { entities: { user: 'u1' } } },
      path: 'enrichment.templateId',
    },
    {
      name: 'enrichment together with steps',
      body: {
        ...chat,
        enrichment: { templateId: 'support', entities: { user: 'u1' } },
        steps: { input: 'doc', steps: [{ id: 's', template: 'Summarize {{input}}' }] },
      },
      path: 'enrichment',
      message: /cannot be combined with steps/,
    },
    {
      name: 'enrichment of an entity type the feature store does not hold',
      body: { ...chat, enrichment: { templateId: 'support', entities: { team: 't1' } } },
      path: 'enrichment.entities.team',
      message: /unknown entity type "team": one of user, organization/,
    },
    {
      name: 'an enrichment entity named __proto__ (dropped by the schema, so read raw)',
      body: JSON.parse(
        `{"model":"m","messages":[{"role":"user","content":"hi"}],"enrichment":{"templateId":"t","entities":{"__proto__":"x"}}}`,
      ),
      path: 'enrichment.entities.__proto__',
    },
    {
      name: 'an enrichment variable with a reserved name',
      body: { ...chat, enrichment: { templateId: 'support', variables: { constructor: 'x' } } },
      path: 'enrichment.variables.constructor',
      message: /"constructor" is reserved/,
    },
    {
      name: 'deadline_at not ISO',
      body: { ...chat, deadline_at: 'tomorrow' },
      path: 'deadline_at',
    },
  ];
  it.each(cases)('$name → $path', ({ body, path, message }) => {
    const outcome = parseJobBody(body);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.issues.map((i) => i.path)).toContain(path);
    if (message) expect(outcome.reason).toMatch(message);
    expect(outcome.reason).toContain(`${path}: `);
  });

  it('accepts a full OpenAI body with Asahi fields and SDK defaults', () => {
    const outcome = parseJobBody({
      ...chat,
      temperature: 0,
      max_tokens: 64,
      stream: false,
      n: 1,
      callback: { url: 'https://example.com/hook' },
      cache: { mode: 'read-only', ttlSeconds: 60 },
      metadata: { source: 'test' },
      deadline_seconds: 30,
    });
    expect(outcome.ok).toBe(true);
  });
});

describe('buildRequestMessage', () => {
  it('carries the cost-stage fields onto the message, off the chat body', () => {
    const routing = { mode: 'autopilot' as const, qualityFloor: 0.9 };
    const optimization = 'aggressive' as const;
    const enrichment = { templateId: 'support', entities: { user: 'u1' }, variables: {} };
    const steps = {
      input: 'doc',
      steps: [{ id: 's', template: 'Summarize {{input}}', dependsOn: [] }],
    };
    // enrichment and steps cannot go together (see parseJobBody), so each is carried on its own.
    for (const extras of [
      { routing, optimization, enrichment },
      { routing, optimization, steps },
    ]) {
      const parsed = parseJobBody({ ...chat, ...extras });
      if (!parsed.ok) throw new Error(parsed.reason);
      const message = buildRequestMessage({
        requestId: 'req_2',
        tenantId: 'tenant_a',
        mode: 'async',
        acceptedAt: NOW,
        deadlineAt: new Date(NOW.getTime() + 60_000),
        body: parsed.value,
      });
      expect(message).toMatchObject(extras);
      expect(message.body).toEqual(chat);
      expect(requestMessageSchema.parse(message)).toEqual(message);
    }
  });

  it('produces a valid RequestMessage with the Asahi fields split off the chat body', () => {
    const parsed = parseJobBody({
      ...chat,
      temperature: 0,
      stream: false,
      callback: { url: 'https://example.com/hook' },
      cache: { mode: 'read-only' },
      metadata: { source: 'test' },
      deadline_seconds: 30,
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    const message = buildRequestMessage({
      requestId: 'req_1',
      tenantId: 'tenant_a',
      mode: 'sync',
      acceptedAt: NOW,
      deadlineAt: new Date(NOW.getTime() + 30_000),
      body: parsed.value,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(message).toEqual({
      schemaVersion: 1,
      requestId: 'req_1',
      tenantId: 'tenant_a',
      mode: 'sync',
      acceptedAt: '2026-11-22T10:00:00.000Z',
      deadlineAt: '2026-11-22T10:00:30.000Z',
      body: { ...chat, temperature: 0 },
      callback: { url: 'https://example.com/hook' },
      cache: { mode: 'read-only' },
      metadata: { source: 'test' },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(parseWith(requestMessageSchema, message).ok).toBe(true);
  });
});

describe('priority', () => {
  it.each(['interactive', 'standard', 'background'] as const)(
    '%s is accepted and carried onto the message',
    (priority) => {
      const parsed = parseJobBody({ ...chat, priority });
      if (!parsed.ok) throw new Error(parsed.reason);
      const message = buildRequestMessage({
        requestId: 'req_p',
        tenantId: 'tenant_a',
        mode: 'async',
        acceptedAt: NOW,
        deadlineAt: new Date(NOW.getTime() + 60_000),
        body: parsed.value,
      });
      expect(message.priority).toBe(priority);
      expect(message.body).toEqual(chat);
      expect(requestMessageSchema.parse(message)).toEqual(message);
    },
  );

  it('absent → not set on the message (the pipeline derives it from the mode)', () => {
    const parsed = parseJobBody(chat);
    if (!parsed.ok) throw new Error(parsed.reason);
    const message = buildRequestMessage({
      requestId: 'req_p',
      tenantId: 'tenant_a',
      mode: 'sync',
      acceptedAt: NOW,
      deadlineAt: new Date(NOW.getTime() + 60_000),
      body: parsed.value,
    });
    expect('priority' in message).toBe(false);
  });

  it.each([['urgent'], [''], [1], [null]])('%j is rejected with the path priority', (priority) => {
    const outcome = parseJobBody({ ...chat, priority });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.issues.map((i) => i.path)).toEqual(['priority']);
  });
});

describe('small helpers', () => {
  it('parseTraceparent keeps only well-formed values', () => {
    expect(
      parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
    ).toBeDefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });
  it('canonicalJson ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], c: undefined })).toBe(
      canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});
