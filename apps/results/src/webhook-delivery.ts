import { signWebhook, WEBHOOK_HEADERS, type WebhookEvent, type WebhookJob } from '@asahi/contracts';
import { AppError } from '@asahi/errors';

export interface WebhookHttp {
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number }>;
}

export interface DeliveryPorts {
  http: WebhookHttp;
  secret: string;
  now: () => number;
  timeoutMs: number;
}

/** The webhook body: a stable event id (= delivery id), the type, and the result. */
export function webhookEventOf(job: WebhookJob): WebhookEvent {
  return {
    id: job.deliveryId,
    type: 'job.completed',
    createdAt: job.result.completedAt,
    data: job.result,
  };
}

/**
 * One delivery attempt. 2xx is delivered; 4xx other than 408/429 means the receiver refuses the
 * event (not retryable); anything else is retried with backoff by the queue.
 */
export async function deliverWebhook(
  job: WebhookJob,
  ports: DeliveryPorts,
): Promise<{ status: number }> {
  const body = JSON.stringify(webhookEventOf(job));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Asahi-Webhooks/1',
    [WEBHOOK_HEADERS.signature]: signWebhook(ports.secret, body, Math.floor(ports.now() / 1000)),
    [WEBHOOK_HEADERS.deliveryId]: job.deliveryId,
    [WEBHOOK_HEADERS.event]: 'job.completed',
  };
  let status: number;
  try {
    ({ status } = await ports.http.post(job.url, body, headers, ports.timeoutMs));
  } catch (err) {
    throw new AppError('unavailable', `Webhook receiver unreachable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (status >= 200 && status < 300) return { status };
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new AppError(
    retryable ? 'unavailable' : 'invalid_request',
    `Webhook receiver answered ${status}`,
    { retryable, details: { status } },
  );
}

/** The real HTTP port: fetch with a timeout. */
export const fetchWebhookHttp: WebhookHttp = {
  async post(url, body, headers, timeoutMs) {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  },
};
