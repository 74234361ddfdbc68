import { describe, expect, it } from 'vitest';
import { tenantPolicyFromSettings } from './optimization';

const deadlines = (seconds: number) => ({ policy: { deadlines: { asyncSeconds: seconds } } });

describe('tenantPolicyFromSettings', () => {
  it('reads settings.policy; no settings or no policy is the empty policy', () => {
    expect(tenantPolicyFromSettings(deadlines(600)).deadlines).toEqual({ asyncSeconds: 600 });
    expect(tenantPolicyFromSettings(null)).toEqual({ cache: {}, routing: {} });
    expect(tenantPolicyFromSettings({ other: 1 })).toEqual({ cache: {}, routing: {} });
  });

  it('an invalid policy is reported and ignored', () => {
    const reported: string[] = [];
    const policy = tenantPolicyFromSettings({ policy: { deadlines: { syncSeconds: 0 } } }, (i) =>
      reported.push(i),
    );
    expect(policy.deadlines).toBeUndefined();
    expect(reported[0]).toMatch(/deadlines\.syncSeconds/);
  });
});
