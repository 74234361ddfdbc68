// Async submit load: POST /v1/jobs at a constant arrival rate, no wait. Measures the ingest path
// (auth, validation, Kafka produce) only; the pipeline works through the backlog afterwards.
//
//   k6 run -e ASAHI_API_KEY=ak_... k6/async-submit.js
//   k6 run -e ASAHI_API_KEY=ak_... -e RATE=200 -e DURATION=2m -e REPEAT_RATIO=0.3 k6/async-submit.js
//
// Env: ASAHI_URL (default http://127.0.0.1:8080), ASAHI_API_KEY (required), RATE (req/s, 50),
// DURATION (k6 duration, 1m), MAX_VUS (200), P95_MS (threshold, 250), MODEL, MAX_TOKENS,
// REPEAT_RATIO (0..1, 0), REPEAT_POOL (20).
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, chatBody, headers, int, parseJson, requireKey } from './lib/common.js';

const RATE = int('RATE', 50);
const MAX_VUS = int('MAX_VUS', 200);
const P95_MS = int('P95_MS', 250);

export const options = {
  scenarios: {
    submit: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      // Accepting a job is fast, so few VUs keep up; k6 adds more (up to MAX_VUS) if it slows.
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(5, Math.ceil(RATE / 10))),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: [`p(95)<${P95_MS}`],
    checks: ['rate>0.99'],
    // Iterations k6 could not start because every VU was busy: the target rate was not reached.
    dropped_iterations: ['count<1'],
  },
};

export function setup() {
  return { key: requireKey(), runId: `${Date.now().toString(36)}` };
}

export default function (data) {
  const res = http.post(`${BASE_URL}/v1/jobs`, chatBody(data.runId, 'k6-async'), {
    headers: headers(data.key),
    tags: { name: 'POST /v1/jobs (async)' },
  });
  const body = parseJson(res);
  check(res, {
    'accepted (2xx)': (r) => r.status >= 200 && r.status < 300,
    'has a request id': () => body !== null && typeof (body.id || body.requestId) === 'string',
  });
}
