import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const body = '{"id":"whk_1"}';
  const header = signWebhook('s3cret', body, 1_800_000_000);
  it.each([
    ['the right secret and body', 's3cret', body, header, 1_800_000_010, { ok: true }],
    ['another secret', 'other', body, header, 1_800_000_010, { ok: false, reason: 'mismatch' }],
    [
      'a changed body',
      's3cret',
      body + ' ',
      header,
      1_800_000_010,
      { ok: false, reason: 'mismatch' },
    ],
    ['an old timestamp', 's3cret', body, header, 1_800_000_400, { ok: false, reason: 'stale' }],
    ['no header', 's3cret', body, undefined, 1_800_000_010, { ok: false, reason: 'malformed' }],
    [
      'a tampered timestamp',
      's3cret',
      body,
      header.replace('t=1800000000', 't=1800000005'),
      1_800_000_010,
      { ok: false, reason: 'mismatch' },
    ],
  ])('verifies %s', (_case, secret, b, h, now, expected) => {
    expect(verifyWebhook(secret, b, h, now)).toEqual(expected);
  });
});
