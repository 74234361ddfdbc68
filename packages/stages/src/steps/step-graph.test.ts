import { describe, expect, it } from 'vitest';
import type { Step, StepsRequest } from '@asahi/contracts';
import { planFlowTree, validateSteps, type StepGraph } from './step-graph';
import { renderStepPrompt } from './step-prompt';

const step = (id: string, dependsOn: string[] = [], template?: string): Step => ({
  id,
  dependsOn,
  template: template ?? [`Do ${id}:`, ...dependsOn.map((d) => `{{steps.${d}}}`)].join(' '),
});
const dag = (steps: Step[], output?: string): StepsRequest => ({
  input: 'doc',
  steps,
  ...(output ? { output } : {}),
});

describe('validateSteps rejects what cannot run', () => {
  it.each([
    ['no steps', dag([]), /1 to 16 steps, not 0/],
    ['17 steps', dag(Array.from({ length: 17 }, (_, i) => step(`s${i}`))), /not 17/],
    ['a duplicate id', dag([step('a'), step('a')]), /"a" is used twice/],
    ['an unknown dependency', dag([step('a', ['zzz'])]), /unknown step "zzz"/],
    ['a self-dependency', dag([step('a', ['a'])]), /depends on itself/],
    ['a two-step cycle', dag([step('a', ['b']), step('b', ['a'])]), /cycle/],
    ['a three-step cycle', dag([step('a', ['c']), step('b', ['a']), step('c', ['b'])]), /cycle/],
    [
      'a template reading a step it does not depend on',
      dag([step('a'), step('b', [], 'use {{steps.a}}')]),
      /"b" reads \{\{steps.a\}\} but does not depend on it/,
    ],
    ['an unknown output step', dag([step('a')], 'nope'), /output step "nope" does not exist/],
    [
      'a step that does not feed the output',
      dag([step('a'), step('b'), step('c', ['a'])]),
      /step "b" does not feed the output step "c"/,
    ],
  ])('%s', (_label, request, reason) => {
    const checked = validateSteps(request);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});

describe('validateSteps accepts DAGs and orders them dependencies first', () => {
  it.each([
    ['one step', [step('only')], undefined, ['only'], 'only'],
    [
      // Declared out of order; the last declared step is the default output.
      'summarize → translate → extract, output by default',
      [step('translate', ['summarize']), step('summarize'), step('extract', ['translate'])],
      undefined,
      ['summarize', 'translate', 'extract'],
      'extract',
    ],
    [
      'summarize → translate → extract, output named (not the last declared)',
      [step('extract', ['translate']), step('translate', ['summarize']), step('summarize')],
      'extract',
      ['summarize', 'translate', 'extract'],
      'extract',
    ],
    [
      'a diamond',
      [step('s'), step('a', ['s']), step('b', ['s']), step('c', ['a', 'b'])],
      undefined,
      ['s', 'a', 'b', 'c'],
      'c',
    ],
  ])('%s', (_label, steps, named, order, output) => {
    const checked = validateSteps(dag(steps, named));
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.graph.order).toEqual(order);
    expect(checked.graph.output).toBe(output);
  });
});

/**
 * The tree is a valid flow for the DAG: the root's one child is the output step, every step is
 * listed exactly once (it runs once), and every step runs below (before) every step that
 * depends on it.
 */
function assertTreeRespectsDag(graph: StepGraph, tree: Map<string | null, string[]>) {
  expect(tree.get(null)).toEqual([graph.output]);
  const listed = [...tree.values()].flat();
  expect([...listed].sort()).toEqual([...graph.order].sort()); // each step exactly once
  const parent = new Map<string, string | null>();
  for (const [p, kids] of tree) for (const k of kids) parent.set(k, p);
  const ancestors = (id: string) => {
    const out: string[] = [];
    for (let p = parent.get(id); p; p = parent.get(p)) {
      out.push(p);
      if (out.length > graph.order.length) throw new Error(`${id} is on a cycle, not the tree`);
    }
    return out;
  };
  for (const [id, s] of graph.steps)
    for (const dep of s.dependsOn) expect(ancestors(dep), `${dep} under ${id}`).toContain(id);
}

describe('assertTreeRespectsDag (the checker the layout tests rely on)', () => {
  const checked = validateSteps(dag([step('a'), step('b', ['a']), step('c', ['b'])]));
  if (!checked.ok) throw new Error(checked.reason);
  const tree = (entries: [string | null, string[]][]) => new Map(entries);
  it.each([
    [
      'a step listed twice',
      [
        [null, ['c']],
        ['c', ['b']],
        ['b', ['a']],
        ['a', ['b']],
      ],
    ],
    [
      'a step listed under two parents',
      [
        [null, ['c']],
        ['c', ['b', 'a']],
        ['b', ['a']],
      ],
    ],
    [
      'a missing step',
      [
        [null, ['c']],
        ['c', ['b']],
      ],
    ],
    [
      'a step above the step that reads it',
      [
        [null, ['c']],
        ['c', ['a']],
        ['a', ['b']],
      ],
    ],
    [
      'a root that is not the output step',
      [
        [null, ['b']],
        ['b', ['a']],
        ['a', ['c']],
      ],
    ],
    [
      'a cycle cut off from the root',
      [
        [null, ['c']],
        ['b', ['a']],
        ['a', ['b']],
      ],
    ],
  ] as [string, [string | null, string[]][]][])('rejects %s', (_l, entries) => {
    expect(() => assertTreeRespectsDag(checked.graph, tree(entries))).toThrow();
  });
  it('accepts the chain laid out below its consumers', () => {
    assertTreeRespectsDag(
      checked.graph,
      tree([
        [null, ['c']],
        ['c', ['b']],
        ['b', ['a']],
      ]),
    );
  });
});

describe('planFlowTree lays a DAG out as a tree of jobs', () => {
  const plan = (steps: Step[]) => {
    const checked = validateSteps(dag(steps));
    if (!checked.ok) throw new Error(checked.reason);
    const tree = planFlowTree(checked.graph);
    assertTreeRespectsDag(checked.graph, tree);
    return Object.fromEntries([...tree].map(([k, v]) => [String(k), v]));
  };

  it('a chain stays a chain', () => {
    expect(plan([step('a'), step('b', ['a']), step('c', ['b'])])).toEqual({
      null: ['c'],
      c: ['b'],
      b: ['a'],
    });
  });
  it('independent branches stay siblings (they run in parallel)', () => {
    expect(plan([step('a'), step('b'), step('c', ['a', 'b'])])).toEqual({
      null: ['c'],
      c: ['a', 'b'],
    });
  });
  it('a shared step runs once, before all of its consumers (a diamond becomes a chain)', () => {
    expect(plan([step('s'), step('a', ['s']), step('b', ['s']), step('c', ['a', 'b'])])).toEqual({
      null: ['c'],
      c: ['b'],
      b: ['a'],
      a: ['s'],
    });
  });
  it('holds for 500 pseudo-random 10-step DAGs', () => {
    // Step i depends on each earlier j with probability ½ (seeded LCG); the last reads them all.
    let seed = 7;
    const coin = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 1024) !== 0;
    for (let n = 0; n < 500; n++) {
      const steps = Array.from({ length: 10 }, (_, i) => {
        const earlier = Array.from({ length: i }, (_, j) => `s${j}`);
        return step(`s${i}`, i === 9 ? earlier : earlier.filter(coin));
      });
      plan(steps);
    }
  });
});

describe('renderStepPrompt', () => {
  it.each([
    ['{{input}}', 'the doc'],
    ['Summary: {{ steps.sum }} / {{input}}', 'Summary: S / the doc'],
    ['{{steps.sum}}{{steps.sum}}', 'SS'],
    ['{{unknown}} and {{ steps }} stay literal', '{{unknown}} and {{ steps }} stay literal'],
  ])('%s → %s', (template, expected) => {
    expect(renderStepPrompt(template, 'the doc', { sum: 'S' })).toBe(expected);
  });
  it('never expands placeholders inside substituted text', () => {
    expect(renderStepPrompt('A {{steps.x}} B', 'secret', { x: '{{input}}' })).toBe('A {{input}} B');
  });
});
