import { describe, expect, it } from 'vitest';
import { fixtures, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import { semanticEligibility, type SemanticEligibilityReason } from './eligibility';

const base = requestMessageSchema.parse(fixtures.request());
const system = { role: 'system' as const, content: 'You are terse.' };
const user = { role: 'user' as const, content: 'What is the capital of Peru?' };
const assistant = { role: 'assistant' as const, content: 'Lima.' };

type Patch = {
  body?: Partial<RequestMessage['body']>;
  cache?: RequestMessage['cache'];
  steps?: RequestMessage['steps'];
};
const request = (patch: Patch = {}) => ({
  body: { ...base.body, messages: [user], ...patch.body },
  cache: patch.cache,
  steps: patch.steps,
});

describe('semanticEligibility', () => {
  it.each<[string, Patch, boolean, SemanticEligibilityReason]>([
    ['one user message', {}, true, 'eligible'],
    ['system prompt + one user message', { body: { messages: [system, user] } }, true, 'eligible'],
    ['temperature 0', { body: { temperature: 0 } }, true, 'eligible'],
    ['a conversation', { body: { messages: [user, assistant, user] } }, false, 'multi-turn'],
    [
      'a conversation declared cacheable',
      {
        body: { messages: [user, assistant, user] },
        cache: { mode: 'read-write', cacheable: true },
      },
      true,
      'eligible',
    ],
    [
      'an assistant prefill after the user',
      { body: { messages: [user, assistant] } },
      false,
      'multi-turn',
    ],
    ['sampling (temperature > 0)', { body: { temperature: 0.7 } }, false, 'sampling'],
    ['sampling with a seed', { body: { temperature: 0.7, seed: 1 } }, false, 'sampling'],
    ['nucleus sampling (top_p < 1)', { body: { top_p: 0.5 } }, false, 'sampling'],
    [
      'sampling declared cacheable',
      { body: { temperature: 0.7 }, cache: { mode: 'read-write', cacheable: true } },
      true,
      'eligible',
    ],
    [
      'semantic turned off',
      { cache: { mode: 'read-write', semantic: false } },
      false,
      'semantic-off',
    ],
    ['cache off', { cache: { mode: 'off' } }, false, 'cache-off'],
    [
      'a declared multi-step request',
      { steps: { input: 'x', steps: [{ id: 'a', template: '{{input}}', dependsOn: [] }] } },
      false,
      'steps',
    ],
    [
      'a blank prompt',
      { body: { messages: [{ role: 'user', content: '  ' }] } },
      false,
      'empty-prompt',
    ],
  ])('%s → eligible %s (%s)', (_case, patch, eligible, reason) => {
    const verdict = semanticEligibility(request(patch));
    expect(verdict).toMatchObject({ eligible, reason });
    if (eligible) expect(verdict.text.trim()).not.toBe('');
    else expect(verdict).toMatchObject({ text: '', scope: '' });
  });

  it.each([
    ['read-write', true, true],
    ['read-only', true, false],
    ['write-only', false, true],
  ] as const)('cache mode %s → read %s, write %s', (mode, read, write) => {
    expect(semanticEligibility(request({ cache: { mode } }))).toMatchObject({
      eligible: true,
      read,
      write,
    });
  });

  it('follows the tenant: semantic off or cache off by default', () => {
    expect(semanticEligibility(request(), { cache: { semantic: false } }).reason).toBe(
      'semantic-off',
    );
    expect(semanticEligibility(request(), { cache: { mode: 'off' } }).reason).toBe('cache-off');
    expect(
      semanticEligibility(request({ cache: { mode: 'read-write', semantic: true } }), {
        cache: { semantic: false },
      }).eligible,
    ).toBe(true);
  });

  it('embeds the last user message only', () => {
    const verdict = semanticEligibility(request({ body: { messages: [system, user] } }));
    expect(verdict.text).toBe(user.content);
  });

  it.each<[string, Patch]>([
    [
      'another system prompt',
      { body: { messages: [{ ...system, content: 'You are verbose.' }, user] } },
    ],
    ['no system prompt', { body: { messages: [user] } }],
    ['another model', { body: { model: 'gpt-4o', messages: [system, user] } }],
    ['a token cap', { body: { max_tokens: 5, messages: [system, user] } }],
  ])('puts %s in another scope', (_case, patch) => {
    const reference = semanticEligibility(request({ body: { messages: [system, user] } })).scope;
    expect(semanticEligibility(request(patch)).scope).not.toBe(reference);
  });

  it('keeps the scope when only the user words change', () => {
    const a = semanticEligibility(request({ body: { messages: [system, user] } }));
    const b = semanticEligibility(
      request({ body: { messages: [system, { role: 'user', content: 'Capital of Peru?' }] } }),
    );
    expect(a.scope).toBe(b.scope);
    expect(a.scope).toMatch(/^[0-9a-f]{64}$/);
  });
});
