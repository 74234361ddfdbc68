import { createServer } from 'node:http';
import { verifyWebhook, WEBHOOK_HEADERS } from '@asahi/contracts';
import { freePort } from '@asahi/testing';

interface Row {
  kind: string;
  status: number;
  jobStatus: string;
  cacheTier: string;
  costUsd: number;
  baselineCostUsd: number;
  model: string;
  ms: number;
}

/**
 * A small workload that shows the path end to end: a sync request, an async request whose
 * webhook a local receiver verifies, the same prompt three times (the repeats hit the cache), a
 * paraphrase (semantic cache) and an AUTOPILOT request (routed to a cheaper model).
 */
export async function runDemoWorkload(
  apiUrl: string,
  apiKey: string,
  webhookSecret: string,
  log: (line: string) => void,
) {
  const port = await freePort();
  let webhook: { ok: boolean; id: string } | undefined;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const ok = verifyWebhook(
        webhookSecret,
        body,
        req.headers[WEBHOOK_HEADERS.signature] as string,
        Math.floor(Date.now() / 1000),
      ).ok;
      webhook = { ok, id: (JSON.parse(body) as { data: { requestId: string } }).data.requestId };
      res.writeHead(ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  const post = async (
    kind: string,
    body: unknown,
    wait: boolean,
  ): Promise<Row & { id: string }> => {
    const started = Date.now();
    const res = await fetch(`${apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        ...(wait ? { prefer: 'wait=30' } : {}),
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as {
      id: string;
      status: string;
      result?: { cacheTier: string; costUsd: number; baselineCostUsd: number; model: string };
    };
    return {
      kind,
      id: json.id,
      status: res.status,
      jobStatus: json.status,
      cacheTier: json.result?.cacheTier ?? '-',
      costUsd: json.result?.costUsd ?? 0,
      baselineCostUsd: json.result?.baselineCostUsd ?? 0,
      model: json.result?.model ?? '-',
      ms: Date.now() - started,
    };
  };
  const chat = (content: string) => ({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content }],
    max_tokens: 64,
  });
  try {
    const rows: Row[] = [];
    rows.push(await post('sync', chat('In one sentence, what does a message queue do?'), true));
    const asyncRow = await post(
      'async+webhook',
      { ...chat('Name three uses of Kafka.'), callback: { url: `http://127.0.0.1:${port}/hook` } },
      false,
    );
    rows.push(asyncRow);
    for (let i = 1; i <= 3; i++)
      rows.push(await post(`repeat #${i}`, chat('What is the capital of Japan?'), true));
    rows.push(await post('question', chat('How do I make my houseplants grow faster?'), true));
    rows.push(await post('paraphrase', chat('How can I make my houseplants grow faster?'), true));
    const review = 'Classify this review as positive or negative: "Arrived broken."';
    rows.push(
      await post(
        'autopilot',
        { ...chat(review), model: 'gpt-4o', routing: { mode: 'autopilot' } },
        true,
      ),
    );
    const deadline = Date.now() + 30_000;
    while (!webhook && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    log('demo workload:');
    log(
      '  kind            http  status      cache      model          cost (USD)    baseline      ms',
    );
    for (const r of rows)
      log(
        `  ${r.kind.padEnd(15)} ${String(r.status).padEnd(5)} ${r.jobStatus.padEnd(11)} ${r.cacheTier.padEnd(10)} ${r.model.padEnd(14)} ${r.costUsd.toFixed(8).padEnd(13)} ${r.baselineCostUsd.toFixed(8).padEnd(13)} ${r.ms}`,
      );
    log(
      webhook
        ? `  webhook for ${webhook.id}: signature ${webhook.ok ? 'verified' : 'INVALID'}`
        : '  webhook: not received within 30 s',
    );
  } finally {
    receiver.close();
  }
}
