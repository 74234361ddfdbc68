import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a webhook delivery. The delivery id is stable across retries. */
export const WEBHOOK_HEADERS = {
  signature: 'asahi-signature',
  deliveryId: 'asahi-delivery-id',
  event: 'asahi-event',
} as const;

/**
 * `asahi-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The
 * timestamp is signed too, so a captured delivery cannot be replayed outside the tolerance.
 */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type WebhookVerification =
  { ok: true } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** What a receiver runs: constant-time compare, and reject timestamps outside the tolerance. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): WebhookVerification {
  const parts = Object.fromEntries(
    (header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string' || !/^[0-9a-f]{64}$/.test(parts.v1))
    return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'))
    ? { ok: true }
    : { ok: false, reason: 'mismatch' };
}
