import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '@asahi/contracts';
import { fewShot, multiTurn, poolsOf, repeatedDocument } from './builders';
import { messUp } from './messy';
import { createRng } from './rng';

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
