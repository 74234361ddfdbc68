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

  it('follows the tenant: a request narrows its policy, never widens it', () => {
    expect(semanticEligibility(request(), { cache: { semantic: false } }).reason).toBe(
      'semantic-off',
    );
    expect(semanticEligibility(request(), { cache: { mode: 'off' } }).reason).toBe('cache-off');
    const asksForMore = request({ cache: { mode: 'read-write', semantic: true } });
    expect(semanticEligibility(asksForMore, { cache: { semantic: false } }).reason).toBe(
      'semantic-off',
    );
    expect(semanticEligibility(asksForMore, { cache: { mode: 'off' } }).reason).toBe('cache-off');
    expect(semanticEligibility(request({ cache: { semantic: false } }), {}).reason).toBe(
      'semantic-off',
    );
  });

  it.each<[string, Patch]>([
    [
      'a prompt about its letters',
      { body: { messages: [{ role: 'user', content: 'How many letters in Mississippi?' }] } },
    ],
    [
      'a system prompt about punctuation',
      { body: { messages: [{ role: 'system', content: 'Fix the punctuation.' }, user] } },
    ],
  ])('refuses %s (surface form)', (_case, patch) => {
    expect(semanticEligibility(request(patch)).reason).toBe('surface-form');
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
    ['another temperature', { body: { temperature: 0.5, messages: [system, user] } }],
    [
      'other earlier turns',
      {
        body: { messages: [system, { ...user, content: 'Capital of Chile?' }, assistant, user] },
        cache: { cacheable: true },
      },
    ],
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

  it('keeps earlier turns in the scope: "translate it" after cats is not after dogs', () => {
    const turns = (topic: string) =>
      request({
        body: {
          messages: [
            { role: 'user', content: `Write a haiku about ${topic}` },
            { role: 'assistant', content: 'A haiku.' },
            { role: 'user', content: 'Translate it into French' },
          ],
        },
        cache: { cacheable: true },
      });
    const cats = semanticEligibility(turns('cats'));
    expect(cats).toMatchObject({ eligible: true, text: 'Translate it into French' });
    expect(semanticEligibility(turns('dogs')).scope).not.toBe(cats.scope);
  });

  it('puts the caller’s extras (the effective routing) in the scope', () => {
    const plain = semanticEligibility(request(), {});
    expect(semanticEligibility(request(), {}, { routing: { mode: 'autopilot' } }).scope).not.toBe(
      plain.scope,
    );
    expect(semanticEligibility(request(), {}, null).scope).toBe(plain.scope);
  });
});
