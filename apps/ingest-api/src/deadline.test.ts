import { describe, expect, it } from 'vitest';
import type { RequestMode, TenantPolicy } from '@asahi/contracts';
import {
  deadlineDefaultsFor,
  parseCompletionWindow,
  resolveDeadline,
  type DeadlineDefaults,
} from './deadline';
import type { JobBody } from './job-request';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const PLATFORM: DeadlineDefaults = { syncS: 60, asyncS: 6 * 3600, bulkS: 86_400 };
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

describe('deadline precedence: request, then tenant policy, then platform', () => {
  const cases: {
    name: string;
    body: Partial<JobBody>;
    policy?: Pick<TenantPolicy, 'deadlines'> | null;
    mode: RequestMode;
    want: string;
  }[] = [
    { name: 'sync, no policy → platform', body: {}, mode: 'sync', want: at(60) },
    { name: 'async, no policy → platform', body: {}, mode: 'async', want: at(21_600) },
    { name: 'bulk, no policy → platform', body: {}, mode: 'bulk', want: at(86_400) },
    { name: 'null policy → platform', body: {}, policy: null, mode: 'async', want: at(21_600) },
    {
      name: 'policy without deadlines → platform',
      body: {},
      policy: {},
      mode: 'sync',
      want: at(60),
    },
    {
      name: 'tenant sync default',
      body: {},
      policy: { deadlines: { syncSeconds: 20 } },
      mode: 'sync',
      want: at(20),
    },
    {
      name: 'tenant async default',
      body: {},
      policy: { deadlines: { asyncSeconds: 600 } },
      mode: 'async',
      want: at(600),
    },
    {
      name: 'tenant bulk default',
      body: {},
      policy: { deadlines: { bulkSeconds: 3_600 } },
      mode: 'bulk',
      want: at(3_600),
    },
    {
      name: 'a tenant default of another mode does not apply',
      body: {},
      policy: { deadlines: { syncSeconds: 20, bulkSeconds: 3_600 } },
      mode: 'async',
      want: at(21_600),
    },
    {
      name: 'deadline_seconds wins over the tenant default',
      body: { deadline_seconds: 90 },
      policy: { deadlines: { asyncSeconds: 600 } },
      mode: 'async',
      want: at(90),
    },
    {
      name: 'deadline_at wins over the tenant default',
      body: { deadline_at: '2026-11-22T13:00:00+02:00' },
      policy: { deadlines: { syncSeconds: 20 } },
      mode: 'sync',
      want: '2026-11-22T11:00:00.000Z',
    },
    {
      name: 'deadline_seconds wins over the platform default',
      body: { deadline_seconds: 90 },
      mode: 'sync',
      want: at(90),
    },
  ];
  it.each(cases)('$name', ({ body, policy, mode, want }) => {
    const outcome = resolveDeadline(body, mode, NOW, deadlineDefaultsFor(policy, PLATFORM));
    expect(outcome.ok && outcome.value.toISOString()).toBe(want);
  });
});

describe('resolveDeadline rejects', () => {
  const cases: { name: string; body: Partial<JobBody>; message: RegExp }[] = [
    {
      name: 'deadline_at in the past',
      body: { deadline_at: '2026-11-22T11:00:00+02:00' },
      message: /future/,
    },
    { name: 'deadline_at now', body: { deadline_at: NOW.toISOString() }, message: /future/ },
    {
      name: 'deadline_at beyond 7 days',
      body: { deadline_at: '2026-12-22T10:00:00Z' },
      message: /at most/,
    },
    {
      name: 'both given',
      body: { deadline_at: '2026-11-22T11:30:00Z', deadline_seconds: 5 },
      message: /not both/,
    },
  ];
  it.each(cases)('$name', ({ body, message }) => {
    const outcome = resolveDeadline(body, 'async', NOW, PLATFORM);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.issues[0]?.path).toBe('deadline_at');
      expect(outcome.issues[0]?.message).toMatch(message);
    }
  });
});

describe('parseCompletionWindow', () => {
  const cases: { query: unknown; want: number | 'invalid' }[] = [
    { query: undefined, want: 7_200 },
    { query: '24h', want: 86_400 },
    { query: '1h', want: 3_600 },
    { query: '90m', want: 5_400 },
    { query: '3600s', want: 3_600 },
    { query: '7d', want: 604_800 },
    { query: '60s', want: 60 },
    { query: '59s', want: 'invalid' },
    { query: '8d', want: 'invalid' },
    { query: '169h', want: 'invalid' },
    { query: '24', want: 'invalid' },
    { query: '24 h', want: 'invalid' },
    { query: '1.5h', want: 'invalid' },
    { query: '-1h', want: 'invalid' },
    { query: '', want: 'invalid' },
    { query: ['1h', '2h'], want: 'invalid' },
  ];
  it.each(cases)('$query → $want', ({ query, want }) => {
    const outcome = parseCompletionWindow(query, 7_200);
    if (want === 'invalid') {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.issues[0]?.path).toBe('completion_window');
    } else {
      expect(outcome).toEqual({ ok: true, value: want });
    }
  });
});
