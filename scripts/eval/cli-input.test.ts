import { describe, expect, it } from 'vitest';
import {
  InputError,
  keyValues,
  nonNegativeInt,
  oneOf,
  optional,
  percent,
  positiveInt,
  ratio,
} from './cli-input';

type Parser = (flag: string, raw: string) => number;

describe('numeric flags', () => {
  it.each<[string, Parser, string, number]>([
    ['positiveInt', positiveInt, '1', 1],
    ['positiveInt', positiveInt, '1500', 1500],
    ['positiveInt', positiveInt, ' 42 ', 42],
    ['nonNegativeInt', nonNegativeInt, '0', 0],
    ['nonNegativeInt', nonNegativeInt, '300', 300],
    ['ratio', ratio, '0', 0],
    ['ratio', ratio, '0.01', 0.01],
    ['ratio', ratio, '.5', 0.5],
    ['ratio', ratio, '1e-3', 0.001],
    ['percent', percent, '0', 0],
    ['percent', percent, '30.5', 30.5],
    ['percent', percent, '100', 100],
  ])('%s accepts %j', (_name, parse, raw, expected) => {
    expect(parse('x', raw)).toBe(expected);
  });

  it.each<[string, Parser, string, RegExp]>([
    ['positiveInt', positiveInt, 'abc', /^--x must be a positive integer, got "abc"$/],
    ['positiveInt', positiveInt, '', /positive integer/],
    ['positiveInt', positiveInt, '0', /positive integer/],
    ['positiveInt', positiveInt, '-3', /positive integer/],
    ['positiveInt', positiveInt, '1.5', /positive integer/],
    ['positiveInt', positiveInt, '1e3', /positive integer/],
    ['positiveInt', positiveInt, '0x10', /positive integer/],
    ['positiveInt', positiveInt, '99999999999999999999', /positive integer/],
    ['nonNegativeInt', nonNegativeInt, '-1', /non-negative integer/],
    ['nonNegativeInt', nonNegativeInt, 'NaN', /non-negative integer/],
    ['ratio', ratio, 'abc', /^--x must be a ratio in \[0, 1\) such as 0.01, got "abc"$/],
    ['ratio', ratio, '1', /ratio/],
    ['ratio', ratio, '-0.1', /ratio/],
    ['ratio', ratio, '5%', /ratio/],
    ['ratio', ratio, 'Infinity', /ratio/],
    ['percent', percent, '101', /percentage/],
    ['percent', percent, '-1', /percentage/],
    ['percent', percent, '', /percentage/],
  ])('%s rejects %j with a message naming the flag', (_name, parse, raw, message) => {
    const call = () => parse('x', raw);
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});

describe('optional and oneOf', () => {
  it('parses a flag only when it was given', () => {
    expect(optional('n', undefined, positiveInt)).toBeUndefined();
    expect(optional('n', '3', positiveInt)).toBe(3);
    expect(() => optional('n', 'abc', positiveInt)).toThrow(/^--n must be/);
  });

  it.each([
    ['safe', true],
    ['aggressive', true],
    ['Safe', false],
    ['', false],
  ])('oneOf(%j) accepted: %s', (raw, ok) => {
    const call = () => oneOf('mode', raw, ['off', 'safe', 'aggressive'] as const);
    if (ok) expect(call()).toBe(raw);
    else expect(call).toThrow('--mode must be one of off, safe, aggressive');
  });
});

describe('keyValues', () => {
  it('reads KEY=VALUE pairs, keeping any = in the value', () => {
    expect(keyValues('env', ['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(keyValues('env', [])).toEqual({});
  });

  it.each(['A', '=1', ''])('rejects %j', (kv) => {
    expect(() => keyValues('env', ['A=1', kv])).toThrow(
      `--env must be KEY=VALUE, got ${JSON.stringify(kv)}`,
    );
  });
});
