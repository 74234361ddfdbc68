import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { MODEL_CATALOG, type ChatMessage, type ModelInfo } from '@asahi/contracts';
import { findModelEntry } from '../routing/model-lookup';

export type TokenEncoding = ModelInfo['encoding'];

/** Models outside the catalog are counted like the current OpenAI families. */
const FALLBACK_ENCODING: TokenEncoding = 'o200k_base';
const RANKS = { o200k_base: o200kBase, cl100k_base: cl100kBase } as const;
const encoders = new Map<TokenEncoding, Tiktoken>();

/** OpenAI's chat overhead (gpt-3.5-turbo-0613 and later, gpt-4o): see the OpenAI cookbook. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/** The catalog's encoding for a model id, snapshot ids (`gpt-3.5-turbo-0125`) included. */
export function encodingForModel(model: string): TokenEncoding {
  return findModelEntry(MODEL_CATALOG, model)?.encoding ?? FALLBACK_ENCODING;
}

/** Building an encoder parses ~200k ranks (hundreds of ms), so each is built once, on first use. */
function encoderFor(encoding: TokenEncoding): Tiktoken {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    encoder = new Tiktoken(RANKS[encoding]);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

/** Special-token text (`<|endoftext|>`) counts as ordinary text, as the API treats user content. */
function countText(text: string, encoding: TokenEncoding): number {
  return text.length === 0 ? 0 : encoderFor(encoding).encode(text, [], []).length;
}

type CountableMessage = Pick<ChatMessage, 'role' | 'content' | 'name'>;

/** Counts text and chat prompts for one model, remembering each distinct string it has counted. */
export interface TokenCounter {
  readonly encoding: TokenEncoding;
  text(text: string): number;
  /** Prompt tokens as OpenAI bills a chat request: 3 per message + role + content (+ 1 + name), + 3. */
  messages(messages: readonly CountableMessage[]): number;
}

/**
 * A counter for one request: the optimizer recounts the prompt after every strategy, and most
 * messages are unchanged between counts, so each distinct text is encoded once. Keep it per
 * request; the memo is never trimmed.
 */
export function createTokenCounter(model: string): TokenCounter {
  const encoding = encodingForModel(model);
  const memo = new Map<string, number>();
  const text = (value: string): number => {
    let n = memo.get(value);
    if (n === undefined) {
      n = countText(value, encoding);
      memo.set(value, n);
    }
    return n;
  };
  const messages = (list: readonly CountableMessage[]): number => {
    let total = REPLY_PRIMING_TOKENS;
    for (const m of list) {
      total += TOKENS_PER_MESSAGE + text(m.role) + text(m.content);
      if (m.name) total += TOKENS_PER_NAME + text(m.name);
    }
    return total;
  };
  return { encoding, text, messages };
}

/**
 * Tokens of a text, or prompt tokens of a chat message list (with OpenAI's per-message overhead),
 * with the tokenizer `model` is billed with (o200k_base for unknown models).
 */
export function countTokens(input: string | readonly CountableMessage[], model: string): number {
  if (typeof input === 'string') return countText(input, encodingForModel(model));
  return createTokenCounter(model).messages(input);
}

/**
 * Counters for one request across models: the prompt is counted once per encoding, since the
 * registry mixes tokenizers (cl100k_base for gpt-3.5-turbo, o200k_base for the rest) and the
 * same text can differ by half between them. `seed` is reused for its own encoding.
 */
export function createTokenCounters(seed?: TokenCounter): {
  forModel(model: string): TokenCounter;
} {
  const counters = new Map<TokenEncoding, TokenCounter>();
  if (seed) counters.set(seed.encoding, seed);
  return {
    forModel(model) {
      const encoding = encodingForModel(model);
      let counter = counters.get(encoding);
      if (!counter) {
        counter = createTokenCounter(model);
        counters.set(encoding, counter);
      }
      return counter;
    },
  };
}
