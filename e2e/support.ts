import { createServer, type Server } from 'node:http';
import {
  verifyWebhook,
  WEBHOOK_HEADERS,
  type WebhookEvent,
  type WebhookVerification,
} from '@asahi/contracts';
import { freePort } from '@asahi/testing';

export interface ReceivedWebhook {
  deliveryId: string | undefined;
  verification: WebhookVerification;
  event: WebhookEvent;
}

/** A local webhook receiver that verifies every signature the way a tenant's server would. */
export async function startWebhookReceiver(secret: string) {
  const received: ReceivedWebhook[] = [];
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verification = verifyWebhook(
        secret,
        body,
        req.headers[WEBHOOK_HEADERS.signature] as string | undefined,
        Math.floor(Date.now() / 1000),
      );
      let event: WebhookEvent;
      try {
        event = JSON.parse(body) as WebhookEvent;
      } catch {
        res.writeHead(400).end(); // not a webhook (a stray probe): answer, never crash the test
        return;
      }
      received.push({
        deliveryId: req.headers[WEBHOOK_HEADERS.deliveryId] as string | undefined,
        verification,
        event,
      });
      res.writeHead(verification.ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export { waitFor } from '@asahi/testing';

export interface ApiClient {
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  raw(path: string, init: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
}

export function apiClient(baseUrl: string, apiKey: string): ApiClient {
  const raw = async (path: string, init: RequestInit) => {
    const res = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiKey}`, ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // leave as text
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    raw,
    post: (path, body, headers = {}) =>
      raw(path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
      }),
    get: (path, headers = {}) => raw(path, { method: 'GET', headers }),
  };
}

/** A chat body the simulator answers deterministically. */
export function chatBody(prompt: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt }],
    max_tokens: 32,
    ...extra,
  };
}
