// Sync wait load: POST /v1/jobs with `Prefer: wait=30`, so each request is held open until the
// job completes (or the wait runs out). Measures the whole path: ingest, Kafka, pipeline stages,
// provider (the simulator unless OPENAI_BASE_URL points elsewhere), results, and the wake-up.
//
//   k6 run -e ASAHI_API_KEY=ak_... k6/sync-wait.js
//   k6 run -e ASAHI_API_KEY=ak_... -e RATE=20 -e REPEAT_RATIO=0.5 k6/sync-wait.js
//
// Env: ASAHI_URL (default http://127.0.0.1:8080), ASAHI_API_KEY (required), RATE (req/s, 10),
// DURATION (1m), WAIT_S (Prefer wait, 30), MAX_VUS (RATE x (WAIT_S + 5), at most 2000),
// P95_MS (threshold, 5000), MODEL, MAX_TOKENS, REPEAT_RATIO (0..1, 0), REPEAT_POOL (20).
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, chatBody, headers, int, parseJson, requireKey } from './lib/common.js';

const RATE = int('RATE', 10);
const WAIT_S = int('WAIT_S', 30);
// Each VU is busy for up to WAIT_S, so sustaining RATE can take RATE x WAIT_S VUs.
const MAX_VUS = int('MAX_VUS', Math.min(2000, RATE * (WAIT_S + 5)));
const P95_MS = int('P95_MS', 5000);

export const options = {
  scenarios: {
    sync: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(5, RATE * 2)),
      maxVUs: MAX_VUS,
      // Let requests in flight at the end finish instead of being cut (and counted as failures).
      gracefulStop: `${WAIT_S + 10}s`,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: [`p(95)<${P95_MS}`],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  return { key: requireKey(), runId: `${Date.now().toString(36)}` };
}

export default function (data) {
  const res = http.post(`${BASE_URL}/v1/jobs`, chatBody(data.runId, 'k6-sync'), {
    headers: headers(data.key, { Prefer: `wait=${WAIT_S}` }),
    // Longer than the wait: the server answers when it runs out, the client must not cut first.
    timeout: `${WAIT_S + 10}s`,
    tags: { name: 'POST /v1/jobs (wait)' },
  });
  const body = parseJson(res);
  check(res, {
    'status 200': (r) => r.status === 200,
    "job status is 'succeeded'": () => body !== null && body.status === 'succeeded',
  });
}
