import { invalidRequest, invalidType, missingParameter } from './openai-error';
import type { CountableMessage } from './tokens';

const ROLES = ['system', 'user', 'assistant', 'developer', 'tool', 'function'] as const;
/** Flat price for a non-text part (image, audio, file), like a low-detail image. */
const NON_TEXT_PART_TOKENS = 85;
const INVALID_INPUT =
  "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

export interface ParsedChatRequest {
  model: string;
  messages: CountableMessage[];
  temperature: number | undefined;
  seed: number | undefined;
  maxTokens: number | undefined;
  maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  n: number;
  stop: string[] | undefined;
  stream: boolean;
  includeUsage: boolean;
}

export type EmbeddingInput = { kind: 'text'; text: string } | { kind: 'tokens'; tokens: number[] };

export interface ParsedEmbeddingsRequest {
  model: string;
  inputs: EmbeddingInput[];
  encodingFormat: 'float' | 'base64';
  dimensions: number | undefined;
}

type Body = Record<string, unknown>;

/** OpenAI treats an explicit null like an absent optional parameter. */
const given = (body: Body, key: string) => body[key] !== undefined && body[key] !== null;

function asBody(raw: unknown): Body {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  return raw as Body;
}

function modelOf(body: Body): string {
  if (!given(body, 'model')) throw invalidRequest('you must provide a model parameter');
  if (typeof body.model !== 'string') throw invalidType('model', 'a string', body.model);
  return body.model;
}

interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

function optionalNumber(body: Body, key: string, rule: NumberRule): number | undefined {
  if (!given(body, key)) return undefined;
  const value = body[key];
  const kind = rule.integer ? 'integer' : 'decimal';
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidType(key, `${rule.integer ? 'an' : 'a'} ${kind}`, value);
  if (rule.integer && !Number.isInteger(value)) throw invalidType(key, 'an integer', value);
  if (rule.min !== undefined && value < rule.min) {
    throw invalidRequest(
      `Invalid '${key}': ${kind} below minimum value. Expected a value >= ${rule.min}, but got ${value} instead.`,
      key,
      `${kind}_below_min_value`,
    );
  }
  if (rule.max !== undefined && value > rule.max) {
    throw invalidRequest(
      `Invalid '${key}': ${kind} above maximum value. Expected a value <= ${rule.max}, but got ${value} instead.`,
      key,
      `${kind}_above_max_value`,
    );
  }
  return value;
}

function optionalBoolean(body: Body, key: string): boolean | undefined {
  if (!given(body, key)) return undefined;
  if (typeof body[key] !== 'boolean') throw invalidType(key, 'a boolean', body[key]);
  return body[key];
}

export function parseChatRequest(raw: unknown): ParsedChatRequest {
  const body = asBody(raw);
  const model = modelOf(body);
  if (!given(body, 'messages')) throw missingParameter('messages');
  if (!Array.isArray(body.messages)) throw invalidType('messages', 'an array', body.messages);
  if (body.messages.length === 0) {
    throw invalidRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  const messages = body.messages.map((m, i) => parseMessage(m, i));
  optionalNumber(body, 'top_p', { min: 0, max: 1 });
  optionalNumber(body, 'presence_penalty', { min: -2, max: 2 });
  optionalNumber(body, 'frequency_penalty', { min: -2, max: 2 });
  optionalBoolean(body, 'logprobs');
  const maxCompletion = optionalNumber(body, 'max_completion_tokens', { min: 1, integer: true });
  const maxTokens = optionalNumber(body, 'max_tokens', { min: 1, integer: true });
  const streamOptions = given(body, 'stream_options') ? body.stream_options : undefined;
  if (
    streamOptions !== undefined &&
    (typeof streamOptions !== 'object' || Array.isArray(streamOptions))
  ) {
    throw invalidType('stream_options', 'an object', streamOptions);
  }
  return {
    model,
    messages,
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }),
    seed: optionalNumber(body, 'seed', { integer: true }),
    maxTokens: maxCompletion ?? maxTokens,
    maxTokensParam: maxCompletion !== undefined ? 'max_completion_tokens' : 'max_tokens',
    n: optionalNumber(body, 'n', { min: 1, max: 128, integer: true }) ?? 1,
    stop: parseStop(body),
    stream: optionalBoolean(body, 'stream') ?? false,
    includeUsage:
      (streamOptions as { include_usage?: unknown } | undefined)?.include_usage === true,
  };
}

function parseMessage(raw: unknown, i: number): CountableMessage {
  const path = `messages[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalidType(path, 'an object', raw);
  const m = raw as Body;
  if (!given(m, 'role')) throw missingParameter(`${path}.role`);
  if (typeof m.role !== 'string' || !(ROLES as readonly string[]).includes(m.role)) {
    throw invalidRequest(
      `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      `${path}.role`,
      'invalid_value',
    );
  }
  if (given(m, 'name') && typeof m.name !== 'string')
    throw invalidType(`${path}.name`, 'a string', m.name);
  const { text, extraTokens } = parseContent(m, path);
  const toolCalls = given(m, 'tool_calls') ? JSON.stringify(m.tool_calls) : '';
  return { role: m.role, text: text + toolCalls, name: m.name as string | undefined, extraTokens };
}

function parseContent(m: Body, path: string): { text: string; extraTokens: number } {
  const content = m.content;
  if (typeof content === 'string') return { text: content, extraTokens: 0 };
  if (content === undefined || content === null) {
    if (m.role === 'assistant') return { text: '', extraTokens: 0 };
    throw invalidRequest(
      `Invalid value for '${path}.content': expected a string, got null.`,
      `${path}.content`,
    );
  }
  if (!Array.isArray(content))
    throw invalidType(`${path}.content`, 'one of a string or array of objects', content);
  let text = '';
  let extraTokens = 0;
  content.forEach((part: unknown, j) => {
    const p = part as Body | null;
    if (typeof p !== 'object' || p === null || typeof p.type !== 'string') {
      throw invalidType(`${path}.content[${j}]`, 'an object', part);
    }
    if (p.type === 'text' || p.type === 'input_text') {
      if (typeof p.text !== 'string')
        throw invalidType(`${path}.content[${j}].text`, 'a string', p.text);
      text += p.text;
    } else {
      extraTokens += NON_TEXT_PART_TOKENS;
    }
  });
  return { text, extraTokens };
}

function parseStop(body: Body): string[] | undefined {
  if (!given(body, 'stop')) return undefined;
  const stop = body.stop;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
    if (stop.length > 4) {
      throw invalidRequest(
        `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${stop.length} instead.`,
        'stop',
        'array_above_max_length',
      );
    }
    return stop as string[];
  }
  throw invalidType('stop', 'one of a string or array of strings', stop);
}

export function parseEmbeddingsRequest(raw: unknown): ParsedEmbeddingsRequest {
  const body = asBody(raw);
  const model = modelOf(body);
  if (!given(body, 'input')) throw missingParameter('input');
  const format = given(body, 'encoding_format') ? body.encoding_format : 'float';
  if (format !== 'float' && format !== 'base64') {
    throw invalidRequest(
      `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`,
      'encoding_format',
      'invalid_value',
    );
  }
  return {
    model,
    inputs: parseInputs(body.input),
    encodingFormat: format,
    dimensions: optionalNumber(body, 'dimensions', { min: 1, integer: true }),
  };
}

const isTokenArray = (v: unknown): v is number[] =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0);

/** string | string[] | number[] | number[][], each non-empty, at most 2048 inputs. */
function parseInputs(input: unknown): EmbeddingInput[] {
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidRequest(INVALID_INPUT);
    return [{ kind: 'text', text: input }];
  }
  if (!Array.isArray(input) || input.length === 0 || input.length > 2048)
    throw invalidRequest(INVALID_INPUT);
  if (isTokenArray(input)) return [{ kind: 'tokens', tokens: input }];
  return input.map((item): EmbeddingInput => {
    if (typeof item === 'string' && item.length > 0) return { kind: 'text', text: item };
    if (isTokenArray(item)) return { kind: 'tokens', tokens: item };
    throw invalidRequest(INVALID_INPUT);
  });
}
