import { describe, expect, it } from 'vitest';
import { chatRequestSchema, requestMessageSchema } from '@asahi/contracts';
import { chatBody } from './chat-body';
import { LatencySamples } from './load-summary';
import { LIMITS, localOrigin, parseLoadOptions } from './load-options';

describe('localOrigin', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:8080/some/path?x=1', 'http://localhost:8080'],
    ['http://LOCALHOST:9', 'http://localhost:9'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['https://127.0.0.1', 'https://127.0.0.1'],
  ])('accepts loopback %s', (raw, origin) => {
    expect(localOrigin(raw)).toBe(origin);
  });

  it.each([
    'http://example.com',
    'http://127.0.0.2:8080',
    'http://0.0.0.0:8080',
    'http://10.0.0.1:8080',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
    'http://[::ffff:127.0.0.1]:8080',
    'ftp://127.0.0.1',
    'http://user:pw@127.0.0.1:8080',
    'not a url',
  ])('refuses %s', (raw) => {
    expect(() => localOrigin(raw)).toThrow();
  });
});

describe('parseLoadOptions', () => {
  it('applies defaults and takes the key from the env', () => {
    const opts = parseLoadOptions([], { ASAHI_API_KEY: 'k' });
    expect(opts).toMatchObject({
      origin: 'http://127.0.0.1:8080',
      key: 'k',
      rate: 50,
      durationS: 10,
      connections: 10,
    });
  });

  it('requires a key', () => {
    expect(() => parseLoadOptions([], {})).toThrow(/API key/);
  });

  it.each([
    ['--duration', String(LIMITS.maxDurationS + 1)],
    ['--duration', '0'],
    ['--duration', '1.5'],
    ['--rate', '0'],
    ['--rate', 'fast'],
    ['--connections', '0'],
    ['--repeat-ratio', '1.5'],
    ['--url', 'http://example.com'],
  ])('rejects %s %s', (flag, value) => {
    expect(() => parseLoadOptions(['--key', 'k', flag, value], {})).toThrow();
  });

  it('rejects unknown flags', () => {
    expect(() => parseLoadOptions(['--key', 'k', '--host', 'x'], {})).toThrow();
  });
});

// What POST /v1/jobs accepts for the fields the scripts send (the chat body plus metadata).
const sentBodySchema = chatRequestSchema
  .extend({ metadata: requestMessageSchema.shape.metadata })
  .strict();

describe('chatBody', () => {
  it('is a body POST /v1/jobs accepts, unique per request', () => {
    const a = chatBody({
      model: 'gpt-4o-mini',
      runId: 'r1',
      seq: 1,
      repeatRatio: 0,
      random: () => 0,
    });
    const b = chatBody({
      model: 'gpt-4o-mini',
      runId: 'r1',
      seq: 2,
      repeatRatio: 0,
      random: () => 0,
    });
    expect(sentBodySchema.safeParse(JSON.parse(a.json)).success).toBe(true);
    expect(a.json).not.toBe(b.json);
  });

  it('draws repeated prompts from a fixed pool when below the ratio', () => {
    const a = chatBody({ model: 'm', runId: 'r1', seq: 1, repeatRatio: 0.5, random: () => 0.1 });
    const b = chatBody({ model: 'm', runId: 'r2', seq: 9, repeatRatio: 0.5, random: () => 0.1 });
    expect(a.repeated).toBe(true);
    expect(a.json).toBe(b.json);
  });
});

describe('LatencySamples', () => {
  it('computes nearest-rank percentiles', () => {
    const s = new LatencySamples(1);
    for (let i = 100; i >= 1; i--) s.add(i);
    expect(s.percentiles([50, 95, 99])).toMatchObject({
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
    expect(new LatencySamples().percentiles([50])).toBeNull();
  });
});
