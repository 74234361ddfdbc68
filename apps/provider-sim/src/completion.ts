import { pick, randInt, rngFromString, sha256Hex, type Rng } from './prng';
import { countTokens, truncateToTokens, type CountableMessage, type Encoding } from './tokens';

/** Words the simulated answers are made of (split once; a plain string keeps this compact). */
const VOCABULARY: readonly string[] = (
  'the a system request model token answer result value data cache queue tenant batch ' +
  'latency cost provider signal pattern summary context detail process stream record window ' +
  'budget policy metric report question reason is was can will should may does has keeps ' +
  'returns shows suggests improves reduces handles measures explains follows supports ' +
  'combines checks quickly carefully clearly often usually rarely always mostly simply ' +
  'mainly new old large small stable fast slow clear simple useful careful direct of in on ' +
  'for with from by about across under between through and or but so because while when if ' +
  'then also still only every each some many few most this that these those its their step ' +
  'plan option choice trade limit error retry fault deadline price user team service worker ' +
  'stage job message event topic store index'
).split(' ');

export interface CompletionInput {
  model: string;
  messages: readonly CountableMessage[];
  /** OpenAI's default is 1; undefined is treated the same. */
  temperature?: number | undefined;
  seed?: number | undefined;
  /** max_completion_tokens ?? max_tokens. */
  maxTokens?: number | undefined;
  stop?: readonly string[] | undefined;
  /** Which of `n` choices; each gets its own text. */
  choiceIndex?: number;
}

export interface CompletionOutput {
  content: string;
  finishReason: 'stop' | 'length';
  completionTokens: number;
}

/** 8 hex chars of sha256(text): what the simulator echoes so tests can match answer to prompt. */
export function promptDigest(text: string): string {
  return sha256Hex(text).slice(0, 8);
}

export function lastUserText(messages: readonly CountableMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (m && m.role === 'user') return m.text;
  }
  return '';
}

/**
 * The canonical request the text is derived from. max_tokens is deliberately left out: a capped
 * completion is then a prefix of the uncapped one, as with a real model at temperature 0.
 */
export function canonicalRequest(input: CompletionInput): string {
  return JSON.stringify({
    model: input.model,
    messages: input.messages.map((m) => [m.role, m.name ?? null, m.text]),
    temperature: input.temperature ?? 1,
    seed: input.seed ?? null,
    choice: input.choiceIndex ?? 0,
  });
}

/**
 * A deterministic answer: "Simulated reply <digest>." followed by sentences picked by a PRNG
 * seeded from the canonical request, cut at a stop sequence, then capped at maxTokens.
 */
export function generateCompletion(input: CompletionInput, encoding: Encoding): CompletionOutput {
  const rng = rngFromString(canonicalRequest(input));
  const full = `Simulated reply ${promptDigest(lastUserText(input.messages))}. ${sentences(rng, randInt(rng, 8, 64))}`;
  const text = cutAtStop(full, input.stop ?? []);
  const tokens = countTokens(text, encoding);
  if (input.maxTokens !== undefined && tokens > input.maxTokens) {
    const capped = truncateToTokens(text, input.maxTokens, encoding);
    return { content: capped, finishReason: 'length', completionTokens: input.maxTokens };
  }
  return { content: text, finishReason: 'stop', completionTokens: tokens };
}

function sentences(rng: Rng, wordCount: number): string {
  const out: string[] = [];
  let left = wordCount;
  while (left > 0) {
    const len = Math.min(left, randInt(rng, 4, 12));
    const words = Array.from({ length: len }, () => pick(rng, VOCABULARY));
    const first = words[0] ?? 'the';
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    out.push(`${words.join(' ')}.`);
    left -= len;
  }
  return out.join(' ');
}

function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const at = text.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
