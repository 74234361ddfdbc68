/**
 * The POST /v1/jobs body the load scripts send: the `body` of the golden fixture
 * packages/contracts/src/fixtures/request.v1.json (OpenAI chat: model, messages, max_tokens),
 * with a user message unique per request so the response cache cannot hide the work, except for
 * the `repeatRatio` share drawn from a small fixed pool. k6/lib/common.js builds the same shape.
 */
export const REPEAT_POOL = 20;

export interface ChatBodyInput {
  model: string;
  /** Distinguishes runs, so a second run is not all cache hits. */
  runId: string;
  /** Per-request sequence number within the run. */
  seq: number;
  repeatRatio: number;
  /** Injected for tests; Math.random in the script. */
  random: () => number;
}

export function chatBody(input: ChatBodyInput): { json: string; repeated: boolean } {
  const repeated = input.repeatRatio > 0 && input.random() < input.repeatRatio;
  const content = repeated
    ? `What is the capital of Japan? (repeated prompt #${Math.floor(input.random() * REPEAT_POOL)})`
    : `What is the capital of Japan? (run ${input.runId}, request ${input.seq})`;
  const body = {
    model: input.model,
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      { role: 'user', content },
    ],
    temperature: 0,
    max_tokens: 64,
    metadata: { source: 'autocannon', repeated: String(repeated) },
  };
  return { json: JSON.stringify(body), repeated };
}
