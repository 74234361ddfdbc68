import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '@asahi/contracts';
import { fewShot, multiTurn, poolsOf, repeatedDocument } from './builders';
import { messUp } from './messy';
import { createRng } from './rng';
import { buildRedundantSet, checkPools } from './sets';

// Stand-ins for real prompts, in the three lengths the builders draw from.
const sentence = (i: number) => `Topic ${i} covers planning, budgets and the people involved.`;
const paragraph = (i: number, n: number) =>
  Array.from({ length: n }, (_, k) => sentence(i * 100 + k)).join(' ');
const PROMPTS = [
  ...Array.from(
    { length: 20 },
    (_, i) => `${paragraph(i, 6)}\n\n${paragraph(i + 50, 6)}\n\n${paragraph(i + 70, 4)}`,
  ),
  ...Array.from({ length: 40 }, (_, i) => `Question ${i}: how do I plan a budget?`),
  ...Array.from({ length: 60 }, (_, i) => paragraph(i + 200, 3)),
];
const pools = poolsOf(PROMPTS);
const BUILDERS = [multiTurn, repeatedDocument, fewShot];

describe('token set builders', () => {
  it.each(BUILDERS.map((b) => [b.name, b] as const))(
    '%s is deterministic for a seed',
    (_n, build) => {
      const a = Array.from({ length: 5 }, (_, i) => build(createRng(7), pools, `x-${i}`));
      const b = Array.from({ length: 5 }, (_, i) => build(createRng(7), pools, `x-${i}`));
      expect(a).toEqual(b);
      expect(build(createRng(8), pools, 'x')).not.toEqual(build(createRng(7), pools, 'x'));
    },
  );

  it.each(BUILDERS.map((b) => [b.name, b] as const))(
    '%s builds valid chat requests',
    (_n, build) => {
      const rng = createRng(1);
      for (let i = 0; i < 20; i++)
        expect(() => chatRequestSchema.parse(build(rng, pools, `x-${i}`).body)).not.toThrow();
    },
  );

  it.each([multiTurn, repeatedDocument].map((b) => [b.name, b] as const))(
    '%s repeats a long passage of the conversation',
    (_n, build) => {
      const rng = createRng(3);
      for (let i = 0; i < 20; i++) {
        const text = build(rng, pools, 'x')
          .body.messages.map((m) => m.content)
          .join('\n');
        const lines = text
          .split('\n')
          .map((l) => l.replace(/\s+/g, ' ').trim())
          .filter((l) => l.length >= 200);
        expect(new Set(lines).size).toBeLessThan(lines.length);
      }
    },
  );

  it('fewShot shows many examples', () => {
    const rng = createRng(5);
    for (let i = 0; i < 20; i++) {
      const text = fewShot(rng, pools, 'x')
        .body.messages.map((m) => m.content)
        .join('\n');
      expect((text.match(/^(?:Example \d+:|Q: )/gm) ?? []).length).toBeGreaterThanOrEqual(8);
    }
  });

  it('messUp changes only whitespace, and leaves code alone', () => {
    const text = 'One. Two words here.\n\nThree.\n```\ncode  line\n```';
    const messy = messUp(text, createRng(2));
    expect(messy.replace(/\s+/g, ' ').trim()).toBe(text.replace(/\s+/g, ' ').trim());
    expect(messy).toContain('```\ncode  line\n```');
  });
});

describe('the redundant-context set from raw prompts', () => {
  it('has perType lines of each type, the same for the same seed', () => {
    const set = buildRedundantSet(PROMPTS, { seed: 7, perType: 4 }, 'p.jsonl');
    expect(set.map((l) => l.id)).toEqual([
      ...['mt', 'rd', 'fs'].flatMap((p) => [1, 2, 3, 4].map((i) => `${p}-00${i}`)),
    ]);
    expect(buildRedundantSet(PROMPTS, { seed: 7, perType: 4 }, 'p.jsonl')).toEqual(set);
    expect(buildRedundantSet(PROMPTS, { seed: 8, perType: 4 }, 'p.jsonl')).not.toEqual(set);
  });

  const long = PROMPTS[0]!;
  const short = 'How do I plan a budget?';
  const example = paragraph(300, 5); // 80–700 characters, but too long for a question
  it.each([
    ['enough of each kind', [long, short, short + '!', example], null],
    ['no long document', [short, short + '!', example], /one prompt of 800–6,000 characters/],
    ['one short question', [long, short, example], /two prompts of 15–199 characters/],
    ['no few-shot example', [long, short, short + '!'], /one prompt of 80–700 characters/],
    ['nothing usable', ['', 'hi'], /p\.jsonl: too few prompts .*800.*15–199.*80–700/],
  ])('checkPools: %s', (_name, prompts, error) => {
    const call = () => checkPools(poolsOf(prompts), 'p.jsonl');
    if (error === null) expect(call).not.toThrow();
    else expect(call).toThrow(error);
  });
});
