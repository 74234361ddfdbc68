// Shared by the k6 scripts: env parsing, auth headers and the chat body.
// The body follows the `body` field of packages/contracts/src/fixtures/request.v1.json
// (OpenAI chat-completions: model, messages, max_tokens), sent top-level to POST /v1/jobs.

export const BASE_URL = (__ENV.ASAHI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const MODEL = __ENV.MODEL || 'gpt-4o-mini';
export const MAX_TOKENS = int('MAX_TOKENS', 64);
/** Fraction (0..1) of requests that reuse one of REPEAT_POOL fixed prompts, so the cache can hit. */
export const REPEAT_RATIO = ratio('REPEAT_RATIO', 0);
export const REPEAT_POOL = int('REPEAT_POOL', 20);

export function int(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function ratio(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n >= 0 && n <= 1)) throw new Error(`${name} must be between 0 and 1, got "${raw}"`);
  return n;
}

/** Fails the run at setup (not 10 000 times as 401s) when the key is missing. */
export function requireKey() {
  const key = __ENV.ASAHI_API_KEY;
  if (!key) throw new Error('set ASAHI_API_KEY (a tenant API key) with -e ASAHI_API_KEY=...');
  return key;
}

export function headers(key, extra) {
  return Object.assign(
    { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    extra || {},
  );
}

/**
 * A unique user message per iteration (run id + VU + iteration) so the response cache cannot hide
 * the work, except for the REPEAT_RATIO share drawn from a small fixed pool, which repeats across
 * iterations and runs on purpose.
 */
export function chatBody(runId, source) {
  const repeated = REPEAT_RATIO > 0 && Math.random() < REPEAT_RATIO;
  const content = repeated
    ? `What is the capital of Japan? (repeated prompt #${Math.floor(Math.random() * REPEAT_POOL)})`
    : `What is the capital of Japan? (run ${runId}, vu ${__VU}, iter ${__ITER})`;
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      { role: 'user', content },
    ],
    temperature: 0,
    max_tokens: MAX_TOKENS,
    metadata: { source, repeated: String(repeated) },
  });
}

export function parseJson(res) {
  try {
    return res.json();
  } catch (_) {
    return null;
  }
}
