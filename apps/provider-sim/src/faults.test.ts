import { describe, expect, it } from 'vitest';
import { FaultInjector, type FaultKind } from './faults';

const none = { rate: 0, kinds: [] as FaultKind[], models: null, endpoints: null };

describe('FaultInjector', () => {
  it('applies queued faults FIFO, then serves normally', () => {
    const f = new FaultInjector(none, 1);
    f.configure({ next: ['500', '503'] });
    f.configure({ next: ['timeout'] });
    const drawn = Array.from({ length: 4 }, () => f.draw('chat', ['gpt-4o-mini']));
    expect(drawn).toEqual(['500', '503', 'timeout', undefined]);
  });

  it('only consumes the queue for matching models and endpoints', () => {
    const f = new FaultInjector(none, 1);
    f.configure({ next: ['500'], models: ['gpt-4o'], endpoints: ['chat'] });
    expect(f.draw('chat', ['gpt-4o-mini'])).toBeUndefined();
    expect(f.draw('embeddings', ['gpt-4o'])).toBeUndefined();
    expect(f.draw('chat', ['gpt-4o'])).toBe('500');
    expect(f.settings().next).toEqual([]);
  });

  it('draws random faults reproducibly from the seed', () => {
    const sequence = (seed: number) => {
      const f = new FaultInjector({ ...none, rate: 0.3, kinds: ['500', '429', 'malformed'] }, seed);
      return Array.from({ length: 200 }, () => f.draw('chat', ['m']) ?? '-');
    };
    const a = sequence(42);
    expect(sequence(42)).toEqual(a);
    expect(sequence(43)).not.toEqual(a);
    const faulted = a.filter((x) => x !== '-').length;
    expect(faulted).toBeGreaterThan(30);
    expect(faulted).toBeLessThan(90);
    expect(new Set(a)).toEqual(new Set(['-', '500', '429', 'malformed']));
  });

  it('rate 1 faults every call; rate 0 none', () => {
    const always = new FaultInjector({ ...none, rate: 1, kinds: ['503'] }, 1);
    expect(Array.from({ length: 5 }, () => always.draw('embeddings', ['m']))).toEqual(
      Array(5).fill('503'),
    );
    const never = new FaultInjector({ ...none, rate: 0, kinds: ['503'] }, 1);
    expect(never.draw('chat', ['m'])).toBeUndefined();
  });

  it('reset returns to the startup settings and reseeds', () => {
    const f = new FaultInjector({ ...none, rate: 0.5, kinds: ['500'] }, 9);
    const first = Array.from({ length: 20 }, () => f.draw('chat', ['m']));
    f.configure({ rate: 0, next: ['429'], models: ['x'] });
    expect(f.reset()).toEqual({
      rate: 0.5,
      kinds: ['500'],
      next: [],
      models: null,
      endpoints: null,
    });
    expect(Array.from({ length: 20 }, () => f.draw('chat', ['m']))).toEqual(first);
  });

  it('settings are copies, not live state', () => {
    const f = new FaultInjector(none, 1);
    f.settings().next.push('500');
    expect(f.draw('chat', ['m'])).toBeUndefined();
  });
});
