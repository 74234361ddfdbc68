import { describe, expect, it } from 'vitest';
import { createTenantPolicyLoader } from './tenant-policy';

/** A settings source that counts its calls and can be switched between answers. */
function source(initial: Record<string, unknown> | null | Error) {
  let answer = initial;
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    calls,
    set(next: Record<string, unknown> | null | Error) {
      answer = next;
    },
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release: () => release?.(),
    read: async (tenantId: string) => {
      calls.push(tenantId);
      if (gate) await gate;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const deadlines = (seconds: number) => ({ policy: { deadlines: { asyncSeconds: seconds } } });

describe('createTenantPolicyLoader', () => {
  it('caches per tenant for the TTL, then reloads', async () => {
    let t = 0;
    const src = source(deadlines(600));
    const load = createTenantPolicyLoader(src.read, { ttlMs: 30_000, now: () => t });
    expect((await load('a')).deadlines?.asyncSeconds).toBe(600);
    src.set(deadlines(900));
    t = 29_999;
    expect((await load('a')).deadlines?.asyncSeconds).toBe(600);
    await load('b');
    expect(src.calls).toEqual(['a', 'b']);
    t = 30_000;
    expect((await load('a')).deadlines?.asyncSeconds).toBe(900);
    expect(src.calls).toEqual(['a', 'b', 'a']);
  });

  it('concurrent misses for one tenant share one query', async () => {
    const src = source(deadlines(600));
    const load = createTenantPolicyLoader(src.read);
    src.hold();
    const pending = Promise.all([load('a'), load('a'), load('a')]);
    src.release();
    const policies = await pending;
    expect(policies.map((p) => p.deadlines?.asyncSeconds)).toEqual([600, 600, 600]);
    expect(src.calls).toEqual(['a']);
  });

  it('on a failed load uses the last known policy (or none) and retries after errorTtlMs', async () => {
    let t = 0;
    const errors: string[] = [];
    const src = source(new Error('pg down'));
    const load = createTenantPolicyLoader(src.read, {
      ttlMs: 1_000,
      errorTtlMs: 100,
      now: () => t,
      onError: (tenantId) => errors.push(tenantId),
    });
    expect(await load('a')).toEqual({ cache: {}, routing: {} });
    src.set(deadlines(600));
    t = 50;
    expect((await load('a')).deadlines).toBeUndefined();
    t = 100;
    expect((await load('a')).deadlines?.asyncSeconds).toBe(600);
    src.set(new Error('pg down again'));
    t = 1_100;
    expect((await load('a')).deadlines?.asyncSeconds).toBe(600);
    expect(errors).toEqual(['a', 'a']);
    expect(src.calls).toHaveLength(3);
  });

  it('evicts the least recently used tenant beyond maxEntries', async () => {
    const src = source(deadlines(600));
    const load = createTenantPolicyLoader(src.read, { maxEntries: 2 });
    await load('a');
    await load('b');
    await load('a');
    await load('c');
    await load('a');
    expect(src.calls).toEqual(['a', 'b', 'c']);
    await load('b');
    expect(src.calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('reports an invalid stored policy with the tenant id', async () => {
    const invalid: string[] = [];
    const src = source({ policy: { fairShareWeight: 0 } });
    const load = createTenantPolicyLoader(src.read, {
      onInvalid: (tenantId, issues) => invalid.push(`${tenantId}: ${issues}`),
    });
    expect(await load('a')).toEqual({ cache: {}, routing: {} });
    expect(invalid[0]).toMatch(/^a: fairShareWeight/);
  });
});
