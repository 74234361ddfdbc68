import { describe, expect, it } from 'vitest';
import { generateCompletion, promptDigest, type CompletionInput } from './completion';
import { countTokens } from './tokens';

const base: CompletionInput = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', text: 'You are terse.' },
    { role: 'user', text: 'What is the capital of France?' },
  ],
};

describe('generateCompletion', () => {
  it('is a pure function of the request', () => {
    expect(generateCompletion(base, 'o200k_base')).toEqual(
      generateCompletion({ ...base }, 'o200k_base'),
    );
  });

  it.each([
    ['model', { model: 'gpt-4o' }],
    ['messages', { messages: [{ role: 'user', text: 'What is the capital of Spain?' }] }],
    ['temperature', { temperature: 0 }],
    ['seed', { seed: 7 }],
  ])('changes when %s changes', (_field, patch) => {
    expect(generateCompletion({ ...base, ...patch }, 'o200k_base').content).not.toBe(
      generateCompletion(base, 'o200k_base').content,
    );
  });

  it('echoes a digest of the last user message so answers can be matched to prompts', () => {
    const out = generateCompletion(base, 'o200k_base');
    expect(out.content).toContain(promptDigest('What is the capital of France?'));
    expect(promptDigest('What is the capital of France?')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reports real completion tokens and finish_reason stop when uncapped', () => {
    const out = generateCompletion(base, 'o200k_base');
    expect(out.finishReason).toBe('stop');
    expect(out.completionTokens).toBe(countTokens(out.content, 'o200k_base'));
  });

  it('caps at maxTokens with finish_reason length, as a prefix of the uncapped text', () => {
    const full = generateCompletion(base, 'o200k_base');
    const capped = generateCompletion({ ...base, maxTokens: 5 }, 'o200k_base');
    expect(capped.finishReason).toBe('length');
    expect(capped.completionTokens).toBe(5);
    expect(full.content.startsWith(capped.content)).toBe(true);
    const roomy = generateCompletion({ ...base, maxTokens: full.completionTokens }, 'o200k_base');
    expect(roomy).toEqual(full);
  });

  it('cuts at a stop sequence', () => {
    const out = generateCompletion({ ...base, stop: ['.'] }, 'o200k_base');
    expect(out.content).toBe('Simulated reply ' + promptDigest('What is the capital of France?'));
    expect(out.finishReason).toBe('stop');
  });

  it('gives each of n choices its own text', () => {
    const a = generateCompletion({ ...base, choiceIndex: 0 }, 'o200k_base');
    const b = generateCompletion({ ...base, choiceIndex: 1 }, 'o200k_base');
    expect(a.content).not.toBe(b.content);
  });
});
