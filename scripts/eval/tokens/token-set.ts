import {
  chatRequestSchema,
  optimizationModeSchema,
  parseWith,
  taskTypeSchema,
  type ChatMessage,
  type ChatRequest,
  type OptimizationMode,
  type TaskType,
} from '@asahi/contracts';
import { InputError } from '../cli-input';
import { isObject, parseJsonl, toPromptRow } from '../data-formats';

/**
 * One line of a token-optimization set (JSONL). `mode` is used when `npm run eval:tokens` gets no
 * `--mode`; `taskType` is what the router would have detected; `type` groups lines in the report.
 */
export interface TokenSetLine {
  id: string;
  type?: string;
  body: ChatRequest;
  mode?: OptimizationMode;
  taskType?: TaskType;
}

export type Message = ChatMessage;

export const user = (content: string): Message => ({ role: 'user', content });
export const assistant = (content: string): Message => ({ role: 'assistant', content });
export const system = (content: string): Message => ({ role: 'system', content });

/**
 * What an `eval:tokens --prompts FILE` holds: token-set lines, or raw prompts in the shared
 * prompts format (`{"prompt", "id", ...}`), from which a set is built in process.
 */
export type TokenSetInput =
  { format: 'token-set'; lines: TokenSetLine[] } | { format: 'prompts'; prompts: string[] };

type Format = TokenSetInput['format'];

const FORMAT_NAMES: Record<Format, string> = {
  'token-set': 'a token-set line {"id","body",...}',
  prompts: 'a prompts row {"prompt",...}',
};

function formatOf(value: unknown, where: string): Format {
  if (isObject(value) && 'body' in value) return 'token-set';
  if (toPromptRow(value, 0)) return 'prompts';
  throw new InputError(
    `${where}: neither ${FORMAT_NAMES['token-set']} nor ${FORMAT_NAMES.prompts}`,
  );
}

function parseField<S extends Parameters<typeof parseWith>[0]>(
  schema: S,
  value: unknown,
  what: string,
  where: string,
): ReturnType<S['parse']> {
  const parsed = parseWith(schema, value);
  if (!parsed.ok) throw new InputError(`${where}: invalid ${what} (${parsed.reason})`);
  return parsed.value as ReturnType<S['parse']>;
}

function toTokenSetLine(raw: Record<string, unknown>, line: number, where: string): TokenSetLine {
  return {
    id: typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : `line-${line}`,
    type: typeof raw.type === 'string' ? raw.type : 'all',
    body: parseField(chatRequestSchema, raw.body, 'chat request in "body"', where),
    mode:
      raw.mode === undefined
        ? undefined
        : parseField(optimizationModeSchema, raw.mode, '"mode"', where),
    taskType:
      raw.taskType === undefined
        ? undefined
        : parseField(taskTypeSchema, raw.taskType, '"taskType"', where),
  };
}

/** Detects the format from the first line; every line must then be of that format. */
export function parseTokenSetInput(text: string, file: string): TokenSetInput {
  const rows = parseJsonl(text, file);
  if (rows.length === 0) throw new InputError(`${file}: no requests (the file has no JSON lines)`);
  const format = formatOf(rows[0]!.value, `${file}:${rows[0]!.line}`);
  for (const { line, value } of rows) {
    const found = formatOf(value, `${file}:${line}`);
    if (found !== format)
      throw new InputError(
        `${file}:${line}: ${FORMAT_NAMES[found]}, but line ${rows[0]!.line} was ${FORMAT_NAMES[format]}`,
      );
  }
  if (format === 'prompts')
    return { format, prompts: rows.map(({ value, line }) => toPromptRow(value, line)!.prompt) };
  return {
    format,
    lines: rows.map(({ value, line }) =>
      toTokenSetLine(value as Record<string, unknown>, line, `${file}:${line}`),
    ),
  };
}
