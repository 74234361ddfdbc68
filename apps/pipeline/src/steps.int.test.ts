import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Step, StepJobReturn, StepsRequest } from '@asahi/contracts';
import { promptDigest } from '@asahi/provider-sim';
import { costOf } from '@asahi/stages';
import { setupStepsFixture, SIM_RETRY_AFTER_MS, type StepsFixture } from './steps.fixture';
import { EXTRACT, SUMMARIZE, TRANSLATE } from './steps.fixture';
import { assembleJobId, stepJobId } from './steps-flow';

/**
 * Tier-3 step flows end to end inside the pipeline: prepare → BullMQ flow on `asahi-steps` →
 * assemble → one result on Kafka. Real Redis and Kafka; the provider is the simulator, whose
 * call counter shows which steps were computed and which came from the step cache.
 */
let f: StepsFixture;

beforeAll(async () => {
  f = await setupStepsFixture();
});

afterAll(async () => {
  await f?.close();
});

const KEYWORDS: Step = {
  id: 'keywords',
  template: 'List five keywords of: {{steps.translate}}',
  dependsOn: ['translate'],
};
const doc = (label: string) =>
  `${label} (${f.ns}). Kyoto was the capital of Japan for more than a thousand years.`;
const steps = (input: string, last: Step = EXTRACT): StepsRequest => ({
  input,
  steps: [SUMMARIZE, TRANSLATE, last],
});
const calls = async () => (await f.simStats()).chatCompletions;

/** The records the output step's job handed to assemble (every step's record). */
async function recordsOf(requestId: string, outputStep: string) {
  const job = await f.stepsQueue.getJob(stepJobId(requestId, outputStep));
  return (job?.returnvalue as StepJobReturn).records;
}

describe('declared steps run as a flow and share their intermediate results', () => {
  it('a 3-step DAG runs each step on its dependency’s output and answers with the last', async () => {
    const before = await calls();
    const request = f.makeRequest({ steps: steps(doc('three steps')) });
    const result = await f.run(request);

    expect(result).toMatchObject({
      requestId: request.requestId,
      status: 'succeeded',
      cacheTier: 'none',
      attempts: 3,
      model: 'gpt-4o-mini',
      savings: { intermediate: 0 },
    });
    expect(await calls()).toBe(before + 3);
    const r = await recordsOf(request.requestId, 'extract');
    // The simulator's answer names the digest of the prompt it was given: each step saw the
    // rendered output of the one before.
    expect(r.summarize!.output.content).toContain(promptDigest(`Summarize: ${doc('three steps')}`));
    expect(r.translate!.output.content).toContain(
      promptDigest(`Translate into French: ${r.summarize!.output.content}`),
    );
    const final = `Extract the named entities from: ${r.translate!.output.content}`;
    expect(result.output?.content).toContain(promptDigest(final));
    expect(result.output).toEqual(r.extract!.output);

    const all = Object.values(r);
    expect(result.usage.promptTokens).toBe(all.reduce((n, s) => n + s.usage.promptTokens, 0));
    expect(result.costUsd).toBeCloseTo(
      all.reduce((n, s) => n + costOf('gpt-4o-mini', s.usage), 0),
      12,
    );
    expect(result.baselineCostUsd).toBeCloseTo(result.costUsd, 12);
    expect(await f.stepsQueue.getJobState(assembleJobId(request.requestId))).toBe('completed');
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('the same document with a different last step reuses the first two steps from cache', async () => {
    const input = doc('shared prefix');
    const first = await f.run(f.makeRequest({ steps: steps(input, EXTRACT) }));
    const firstRecords = await recordsOf(first.requestId, 'extract');
    const before = await calls();

    const second = f.makeRequest({ steps: steps(input, KEYWORDS) });
    const result = await f.run(second);
    expect(await calls()).toBe(before + 1); // only "keywords" reached the provider
    const r = await recordsOf(second.requestId, 'keywords');
    expect([r.summarize!.cached, r.translate!.cached, r.keywords!.cached]).toEqual([
      true,
      true,
      false,
    ]);
    expect(r.translate!.output).toEqual(firstRecords.translate!.output);
    const reused = firstRecords.summarize!.costUsd + firstRecords.translate!.costUsd;
    expect(result).toMatchObject({ status: 'succeeded', cacheTier: 'none', attempts: 1 });
    expect(result.costUsd).toBeCloseTo(r.keywords!.costUsd, 12);
    expect(result.savings?.intermediate).toBeCloseTo(reused, 12);
    expect(result.baselineCostUsd).toBeCloseTo(reused + r.keywords!.costUsd, 12);

    // All three again: every step from cache → tier "intermediate", nothing paid.
    const third = await f.run(f.makeRequest({ steps: steps(input, KEYWORDS) }));
    expect(await calls()).toBe(before + 1);
    expect(third).toMatchObject({ status: 'succeeded', cacheTier: 'intermediate', costUsd: 0 });
    expect(third.output).toEqual(result.output);
    expect(third.savings?.intermediate).toBeCloseTo(result.baselineCostUsd, 12);
  });

  it('tenant B does not reuse tenant A’s steps', async () => {
    const input = doc('tenants');
    await f.run(f.makeRequest({ steps: steps(input) }));
    const before = await calls();
    const forB = await f.run(f.makeRequest({ tenantId: 'tenant_b', steps: steps(input) }));
    expect(await calls()).toBe(before + 3);
    expect(forB).toMatchObject({ tenantId: 'tenant_b', status: 'succeeded', cacheTier: 'none' });
    expect(forB.savings?.intermediate).toBe(0);
  });

  it('concurrent requests sharing a step compute it once (the others wait and reuse it)', async () => {
    const input = doc('concurrent');
    const before = await calls();
    const last = (n: number): Step => ({ ...KEYWORDS, template: `${KEYWORDS.template} #${n}` });
    const requests = [1, 2, 3].map((n) => f.makeRequest({ steps: steps(input, last(n)) }));
    const results = await Promise.all(requests.map((r) => f.run(r)));
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(await calls()).toBe(before + 2 + 3); // summarize + translate once, three last steps
  });
});

describe('failures end the request with one terminal result', () => {
  it('a step whose provider calls keep failing ends failed with step_failed and its id', async () => {
    const before = await f.simStats();
    await f.injectFaults(['500', '500', '500', '500', '500']);
    const request = f.makeRequest({ steps: steps(doc('fault')) });
    const result = await f.run(request);

    expect(result).toMatchObject({
      status: 'failed',
      provider: 'none',
      attempts: 5,
      error: { code: 'step_failed', retryable: false },
    });
    expect(result.error?.message).toMatch(/^Step "summarize" failed: /);
    const after = await f.simStats();
    expect(after.chatCompletions).toBe(before.chatCompletions + 5);
    expect(after.faultsInjected['500']).toBe(before.faultsInjected['500'] + 5);
    // The failure propagated up the flow: later steps and assemble never ran.
    expect(await f.stepsQueue.getJobState(stepJobId(request.requestId, 'extract'))).toBe('failed');
    expect(await f.stepsQueue.getJobState(assembleJobId(request.requestId))).toBe('failed');
    await new Promise((r) => setTimeout(r, 500));
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('a deadline that passes while a step waits to retry ends the request expired', async () => {
    // A 429 asks for SIM_RETRY_AFTER_MS; the deadline falls before that retry.
    await f.injectFaults(['429']);
    const request = f.makeRequest({
      steps: steps(doc('deadline')),
      deadlineAt: new Date(Date.now() + SIM_RETRY_AFTER_MS / 2).toISOString(),
    });
    const result = await f.run(request);
    expect(result).toMatchObject({
      status: 'expired',
      error: { code: 'deadline_exceeded', retryable: false },
    });
    // It expired in the step flow (not in prepare): the first step ran and was retried once.
    const job = await f.stepsQueue.getJob(stepJobId(request.requestId, 'summarize'));
    expect(job?.attemptsMade).toBe(2);
    expect(await job?.getState()).toBe('failed');
  });

  it('an invalid DAG ends failed with invalid_request in prepare, without provider calls', async () => {
    const before = await calls();
    const request = f.makeRequest({
      steps: { input: 'x', steps: [{ ...SUMMARIZE, dependsOn: ['translate'] }, TRANSLATE] },
    });
    const result = await f.run(request);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'invalid_request' } });
    expect(result.error?.message).toMatch(/cycle/);
    expect(await calls()).toBe(before);
    expect(await f.stepsQueue.getJob(assembleJobId(request.requestId))).toBeUndefined();
  });
});

describe('common multi-step prompts are decomposed (optimization opted in)', () => {
  it('"summarize … then translate" runs as two steps; another language reuses the summary', async () => {
    const text = doc('decompose').repeat(5);
    const ask = (language: string) =>
      f.makeRequest({
        optimization: 'safe',
        content: `Summarize the following document and then translate the summary into ${language}:\n\n${text}`,
      });
    const before = await calls();
    const french = ask('French');
    const result = await f.run(french);
    expect(result).toMatchObject({ status: 'succeeded', cacheTier: 'none' });
    expect(await calls()).toBe(before + 2);
    const r = await recordsOf(french.requestId, 'translate');
    expect(r.summarize!.output.content).toContain(
      promptDigest(`Summarize the following document.\n\n${text}`),
    );

    const german = await f.run(ask('German'));
    expect(await calls()).toBe(before + 3); // the summary came from the step cache
    expect(german.savings?.intermediate).toBeCloseTo(r.summarize!.costUsd, 12);
  });
});
