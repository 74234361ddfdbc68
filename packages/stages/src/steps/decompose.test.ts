import { describe, expect, it } from 'vitest';
import {
  fixtures,
  requestMessageSchema,
  type RequestMessage,
  type StepsRequest,
} from '@asahi/contracts';
import { decomposeRequest, MIN_CONDENSE_CHARS } from './decompose';
import { planSteps } from './plan-steps.stage';

const base = requestMessageSchema.parse(fixtures.request());
const NOW = Date.parse('2026-11-22T10:00:01.000Z');
const STEPS: StepsRequest = {
  input: 'A long document about Kyoto.',
  steps: [
    { id: 'summarize', template: 'Summarize: {{input}}', dependsOn: [] },
    { id: 'translate', template: 'Into French: {{steps.summarize}}', dependsOn: ['summarize'] },
  ],
};
const withSteps = (patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  steps: STEPS,
  ...patch,
});

const DOC = 'Kyoto was the capital of Japan for over a thousand years. '.repeat(80);
const asking = (content: string, patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  optimization: 'safe',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], temperature: 0 },
  ...patch,
});

describe('decomposeRequest (conservative: null unless clearly safe)', () => {
  it('splits "summarize … then translate the summary into French" into two chained steps', () => {
    const steps = decomposeRequest(
      asking(
        `Summarize the following document and then translate the summary into French:\n\n${DOC}`,
      ),
    );
    expect(steps).toEqual({
      input: `${DOC}`,
      steps: [
        {
          id: 'summarize',
          template: 'Summarize the following document.\n\n{{input}}',
          dependsOn: [],
        },
        {
          id: 'translate',
          template:
            'Translate the following text into French. Reply with the translation only.\n\n{{steps.summarize}}',
          dependsOn: ['summarize'],
        },
      ],
    });
  });

  it('condenses a long document once for questions, in aggressive mode only', () => {
    const content = `Read this document and answer: When was Kyoto the capital?\n\n${DOC}`;
    expect(decomposeRequest(asking(content))).toBeNull(); // safe mode
    const steps = decomposeRequest(asking(content, { optimization: 'aggressive' }));
    expect(steps?.input).toBe(DOC);
    expect(steps?.steps.map((s) => [s.id, s.dependsOn])).toEqual([
      ['notes', []],
      ['answer', ['notes']],
    ]);
    expect(steps?.steps[1]!.template).toMatch(/Question: When was Kyoto the capital\?$/);
    // The same document with another question shares the notes step exactly.
    const other = decomposeRequest(
      asking(`Document:\n${DOC}\n\nQuestion: Who ruled there?`, { optimization: 'aggressive' }),
    );
    expect(other?.steps[0]).toEqual(steps?.steps[0]);
  });

  const translate = `Summarize this text, then translate the summary to German: ${DOC}`;
  it.each([
    ['optimization off on the request', asking(translate, { optimization: 'off' })],
    [
      'a system prompt it would lose',
      asking(translate, {
        body: {
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'Be formal.' },
            { role: 'user', content: translate },
          ],
        },
      }),
    ],
    [
      'a sampled request',
      asking(translate, {
        body: {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: translate }],
          temperature: 0.8,
        },
      }),
    ],
    [
      'stop sequences',
      asking(translate, {
        body: {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: translate }],
          stop: 'END',
        },
      }),
    ],
    ['declared steps already', asking(translate, { steps: STEPS })],
    [
      'an ordinary question',
      asking('What is the capital of Japan?', { optimization: 'aggressive' }),
    ],
    [
      'a short document',
      asking('Read this document and answer: Why?\n\nShort text.', { optimization: 'aggressive' }),
    ],
    [
      'a question with a placeholder',
      asking(`Read this document and answer: {{input}}?\n\n${DOC}`, { optimization: 'aggressive' }),
    ],
  ])('returns null for %s', (_l, request) => {
    expect(decomposeRequest(request)).toBeNull();
  });

  // The mode is resolved as token optimization resolves it: request, then tenant, then the
  // platform default (safe).
  it.each([
    ['request unset, no tenant policy → platform default safe', undefined, undefined, true],
    ['request unset, tenant off', undefined, 'off', false],
    ['request unset, tenant safe', undefined, 'safe', true],
    ['request safe wins over tenant off', 'safe', 'off', true],
    ['request off wins over tenant aggressive', 'off', 'aggressive', false],
  ] as const)('%s', (_l, requested, tenant, decomposed) => {
    const request = asking(translate, { optimization: requested });
    const policy = tenant === undefined ? undefined : { optimization: tenant };
    expect(decomposeRequest(request, policy) !== null).toBe(decomposed);
  });
  it('only aggressive (however resolved) condenses a document for a question', () => {
    const question = asking(`Read this document and answer: Why?\n\n${DOC}`, {
      optimization: undefined,
    });
    expect(decomposeRequest(question, { optimization: 'safe' })).toBeNull();
    expect(decomposeRequest(question, { optimization: 'aggressive' })?.steps).toHaveLength(2);
  });

  it('recognises the translate form with "this text … to German"', () => {
    expect(decomposeRequest(asking(translate))?.steps[1]!.template).toMatch(/into German\./);
    expect(DOC.length).toBeGreaterThan(MIN_CONDENSE_CHARS);
  });
});

describe('planSteps', () => {
  it.each([
    ['a plain request', base, 'none'],
    ['declared steps', withSteps(), 'flow'],
    [
      'a decomposable prompt',
      asking(`Summarize this text, then translate the summary to German: ${DOC}`),
      'flow',
    ],
    [
      'a cyclic DAG',
      withSteps({ steps: { input: 'x', steps: [{ id: 'a', template: 'a', dependsOn: ['a'] }] } }),
      'invalid',
    ],
  ])('%s → %s', (_l, request, kind) => {
    expect(planSteps(request, NOW).kind).toBe(kind);
  });
  it('decomposes under the tenant policy when the request sets no mode', () => {
    const request = asking(`Summarize this text, then translate the summary to German: ${DOC}`, {
      optimization: undefined,
    });
    expect(planSteps(request, NOW, { optimization: 'off' }).kind).toBe('none');
    expect(planSteps(request, NOW, { optimization: 'safe' })).toMatchObject({
      kind: 'flow',
      decomposed: true,
    });
  });
  it('ends an invalid DAG as a failed result with invalid_request', () => {
    const plan = planSteps(
      withSteps({
        steps: { input: 'x', steps: [{ id: 'a', template: '{{steps.b}}', dependsOn: [] }] },
      }),
      NOW,
    );
    expect(plan).toMatchObject({
      kind: 'invalid',
      result: {
        status: 'failed',
        provider: 'none',
        error: { code: 'invalid_request', message: expect.stringMatching(/reads \{\{steps.b\}\}/) },
      },
    });
  });
});
