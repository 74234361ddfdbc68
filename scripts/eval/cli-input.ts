import { readFileSync } from 'node:fs';

/**
 * Bad command-line input: a flag out of range or a data file in the wrong shape. CLIs print its
 * one-line message and exit 2 (usage error), never a stack trace.
 */
export class InputError extends Error {
  override name = 'InputError';
}

const INTEGER = /^\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function integer(flag: string, raw: string, min: number, what: string): number {
  const value = Number(raw);
  if (!INTEGER.test(raw.trim()) || !Number.isSafeInteger(value) || value < min)
    throw new InputError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return value;
}

/** 1, 2, 3…: counts and sizes. */
export const positiveInt = (flag: string, raw: string): number =>
  integer(flag, raw, 1, 'a positive integer');

/** 0, 1, 2…: seeds and latencies, where 0 means something. */
export const nonNegativeInt = (flag: string, raw: string): number =>
  integer(flag, raw, 0, 'a non-negative integer');

function decimal(flag: string, raw: string, ok: (x: number) => boolean, what: string): number {
  const value = Number(raw);
  if (!DECIMAL.test(raw.trim()) || !Number.isFinite(value) || !ok(value))
    throw new InputError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return value;
}

/** A rate in [0, 1): 0 is a meaningful target ("no false hits at all"), 1 admits everything. */
export const ratio = (flag: string, raw: string): number =>
  decimal(flag, raw, (x) => x >= 0 && x < 1, 'a ratio in [0, 1) such as 0.01');

/** A percentage in [0, 100]. */
export const percent = (flag: string, raw: string): number =>
  decimal(flag, raw, (x) => x >= 0 && x <= 100, 'a percentage between 0 and 100');

/** Applies a flag parser only when the flag was given. */
export const optional = <T>(
  flag: string,
  raw: string | undefined,
  parse: (flag: string, raw: string) => T,
): T | undefined => (raw === undefined ? undefined : parse(flag, raw));

/** One of a fixed set of names. */
export function oneOf<T extends string>(flag: string, raw: string, names: readonly T[]): T {
  if (!(names as readonly string[]).includes(raw))
    throw new InputError(
      `--${flag} must be one of ${names.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  return raw as T;
}

/** A repeatable `--flag KEY=VALUE` as an object; the value may itself contain `=`. */
export function keyValues(flag: string, pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) throw new InputError(`--${flag} must be KEY=VALUE, got ${JSON.stringify(kv)}`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
}

/** A file's text, or an InputError naming the flag that pointed at it. */
export function readTextFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`--${flag}: cannot read ${path} (${code})`);
  }
}

/** node:util parseArgs rejects unknown or valueless options with these codes. */
const isParseArgsError = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === 'string' &&
  (err as { code: string }).code.startsWith('ERR_PARSE_ARGS_');

/**
 * Runs the part of a CLI that reads its flags and input files. Bad input ends the process with
 * exit code 2 and one line on stderr; anything else is a bug and is rethrown as it is.
 */
export function readInputsOrExit<T>(tag: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof InputError) && !isParseArgsError(err)) throw err;
    console.error(`[${tag}] ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}`);
    process.exit(2);
  }
}
