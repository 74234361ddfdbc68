import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

export type Encoding = 'o200k_base' | 'cl100k_base';

const RANKS = { o200k_base: o200kBase, cl100k_base: cl100kBase } as const;
const encoders = new Map<Encoding, Tiktoken>();

/** Building an encoder parses ~200k ranks (hundreds of ms), so each is built once per process. */
export function getEncoder(encoding: Encoding): Tiktoken {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    encoder = new Tiktoken(RANKS[encoding]);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

/**
 * Special-token text (`<|endoftext|>`) is encoded as ordinary text, like the API does for user
 * content, instead of throwing as js-tiktoken does by default.
 */
export function encode(text: string, encoding: Encoding): number[] {
  return getEncoder(encoding).encode(text, [], []);
}

export function countTokens(text: string, encoding: Encoding): number {
  return text.length === 0 ? 0 : encode(text, encoding).length;
}

export function decodeTokens(tokens: number[], encoding: Encoding): string {
  return getEncoder(encoding).decode(tokens);
}

/** The first `maxTokens` tokens of `text`, decoded back; used to cap completions at max_tokens. */
export function truncateToTokens(text: string, maxTokens: number, encoding: Encoding): string {
  const tokens = encode(text, encoding);
  return tokens.length <= maxTokens ? text : decodeTokens(tokens.slice(0, maxTokens), encoding);
}

export interface CountableMessage {
  role: string;
  /** Plain text of the message (text parts joined). */
  text: string;
  name?: string | undefined;
  /** Non-text parts (images, audio) the simulator bills at a flat rate. */
  extraTokens?: number;
}

/** OpenAI's chat overhead for the gpt-3.5-turbo-0613 / gpt-4o families (see the cookbook). */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/**
 * Prompt tokens the way OpenAI bills chat: per message 3 + role + content (+ name + 1), plus 3
 * for the assistant reply priming. "Say this is a test" as one user message is 12 on gpt-4o.
 */
export function countChatPromptTokens(
  messages: readonly CountableMessage[],
  encoding: Encoding,
): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    total +=
      TOKENS_PER_MESSAGE +
      countTokens(m.role, encoding) +
      countTokens(m.text, encoding) +
      (m.extraTokens ?? 0);
    if (m.name) total += TOKENS_PER_NAME + countTokens(m.name, encoding);
  }
  return total;
}
