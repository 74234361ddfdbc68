import { describe, expect, it } from 'vitest';
import { parseProviderLimits } from './dispatch-settings';

describe('parseProviderLimits', () => {
  const limits = parseProviderLimits('{"*":{"rpm":500,"tpm":200000},"gpt-4o":{"rpm":100}}');

  it.each([
    ['gpt-4o', { rpm: 100, tpm: Infinity }],
    ['gpt-4o-mini', { rpm: 500, tpm: 200_000 }],
  ])('%s → %j', (model, expected) => {
    expect(limits(model)).toEqual(expected);
  });

  it('is unlimited when empty or without a default', () => {
    expect(parseProviderLimits('')('any')).toEqual({ rpm: Infinity, tpm: Infinity });
    expect(parseProviderLimits('{"a":{"rpm":1}}')('b')).toEqual({ rpm: Infinity, tpm: Infinity });
  });

  it.each([
    ['[]', /JSON object/],
    ['{"a":{"rpm":0}}', /PROVIDER_LIMITS.a.rpm/],
    ['{"a":{"tpm":"many"}}', /PROVIDER_LIMITS.a.tpm/],
    ['{not json', /JSON|Unexpected|Expected/],
  ])('rejects %s', (json, message) => {
    expect(() => parseProviderLimits(json)).toThrow(message);
  });
});
