import { describe, expect, it } from 'vitest';
import { freePort, isPortFree } from './ports';

describe('freePort', () => {
  it('hands out distinct, bindable ports below the ephemeral range', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
    }
    expect(await isPortFree(ports[0]!)).toBe(true);
  });
});
