/**
 * `npm run bench:savings -- --prompts FILE --pairs FILE [--requests N] [--concurrency C]
 *   [--seed S] [--model M] [--sim-latency-ms MS] [--pipeline-env K=V ...]` — replays a workload built from any prompts and labelled pairs files
 * (shared formats; see scripts/bench/savings/workload.ts) through the running platform started
 * here as processes (simulator as the provider), and prints cost against baseline and savings %,
 * hit rate per tier, wrong hits (where labels or prompt identity tell), token reduction %, and
 * added latency per prepare step. Two tenants: `autopilot` (AUTOPILOT routing, baseline model
 * --model) and `explicit` (runs --model as named; caching and token optimization only).
 * Flags and both files are checked before anything starts: bad input exits 2 with one line.
 */
import { parseArgs } from 'node:util';
import { createApiKey, createDb, createTestDatabase, upsertTenant } from '@asahi/db';
import { infraDown, infraUp } from '@asahi/local-infra';
import { startStack } from '@asahi/testing';
import {
  keyValues,
  nonNegativeInt,
  positiveInt,
  readInputsOrExit,
  readTextFile,
} from '../eval/cli-input';
import { parsePairRows, parsePromptRows } from '../eval/data-formats';
import { withConcurrency } from './stats';
import {
  diffCounts,
  scoreRun,
  semanticOutcomes,
  summaryLines,
  type Answered,
} from './savings/score';
import { BENCH_TEMPLATE, buildWorkload, DEFAULT_WORKLOAD } from './savings/workload';

/** Flags and input files, validated before anything starts: bad input exits 2 (see cli-input). */
const input = readInputsOrExit('bench:savings', () => {
  const { values } = parseArgs({
    options: {
      prompts: { type: 'string', default: '../shared/data/prompts.dev.jsonl' },
      pairs: { type: 'string', default: '../shared/data/paraphrase-pairs.dev.jsonl' },
      requests: { type: 'string', default: String(DEFAULT_WORKLOAD.requests) },
      // Moderate load: on 2 cores a saturated box starves the embedder thread (see docs/benchmarks.md).
      concurrency: { type: 'string', default: '4' },
      /** Simulated provider latency: a real LLM call takes hundreds of ms, which the caches save. */
      'sim-latency-ms': { type: 'string', default: '300' },
      seed: { type: 'string', default: String(DEFAULT_WORKLOAD.seed) },
      model: { type: 'string', default: DEFAULT_WORKLOAD.model },
      /** Extra pipeline environment, e.g. --pipeline-env SEMANTIC_BUDGET_MS=150 (repeatable). */
      'pipeline-env': { type: 'string', multiple: true, default: [] },
    },
  });
  const options = {
    ...DEFAULT_WORKLOAD,
    requests: positiveInt('requests', values.requests),
    seed: nonNegativeInt('seed', values.seed),
    model: values.model,
  };
  const concurrency = positiveInt('concurrency', values.concurrency);
  const simLatencyMs = nonNegativeInt('sim-latency-ms', values['sim-latency-ms']);
  const env = keyValues('pipeline-env', values['pipeline-env']);
  const prompts = parsePromptRows(readTextFile('prompts', values.prompts), values.prompts);
  const pairs = parsePairRows(readTextFile('pairs', values.pairs), values.pairs);
  const workload = buildWorkload(prompts, pairs, options);
  return { ...values, concurrency, simLatencyMs, env, model: options.model, workload };
});
const { workload } = input;
const log = (line: string) => console.log(`[bench] ${line}`);

const TENANTS = {
  autopilot: { routing: { mode: 'autopilot', qualityFloor: 0.8, defaultModel: input.model } },
  explicit: {},
} as const;

log(`workload: ${workload.length} requests per tenant from ${input.prompts} and ${input.pairs}`);

const infra = await infraUp({ log });
const database = await createTestDatabase(infra.databaseUrl);
const db = createDb(database.url);
const namespace = `sav${Date.now().toString(36)}`;
const stack = await startStack({
  namespace,
  infra: { ...infra, databaseUrl: database.url },
  logLevel: 'warn',
  simEnv: { SIM_LATENCY_MS: String(input.simLatencyMs) },
  env: { pipeline: input.env },
});
try {
  const keys: Record<string, string> = {};
  for (const [tenant, policy] of Object.entries(TENANTS)) {
    await upsertTenant(db.prisma, { id: tenant, name: tenant, settings: { policy } });
    const roles = ['submitter', 'reader', 'enrichment'];
    keys[tenant] = (await createApiKey(db.prisma, tenant, 'bench', roles)).key;
  }
  await seedFeatures(stack.ingestUrls[0]!, Object.values(keys));
  const api = stack.ingestUrls[0]!;
  const report: Record<string, unknown> = {};
  const summaries: string[] = [];
  for (const tenant of Object.keys(TENANTS)) {
    const lookupsBefore = await semanticLookups(stack.apps.pipeline!.url);
    const answers: Answered[] = [];
    const t0 = performance.now();
    const { errors } = await withConcurrency(input.concurrency, workload.length, async (i) => {
      const item = workload[i]!;
      const res = await fetch(`${api}/v1/jobs?wait=120`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys[tenant]}`, 'content-type': 'application/json' },
        body: JSON.stringify(item.body),
      });
      const view = (await res.json()) as {
        status: string;
        result?: Record<string, unknown> | null;
      };
      if (res.status >= 400 || !view.result)
        throw new Error(`HTTP ${res.status} ${JSON.stringify(view)}`);
      answers[i] = toAnswered(item, tenant, view.status, view.result);
    });
    const seconds = (performance.now() - t0) / 1000;
    const done = answers.filter(Boolean);
    const scored = scoreRun(done);
    const lookups = diffCounts(await semanticLookups(stack.apps.pipeline!.url), lookupsBefore);
    report[tenant] = { errors, seconds: Math.round(seconds), ...scored, semanticLookups: lookups };
    summaries.push(...summaryLines(tenant, scored));
    summaries.push(`  semantic tier outcomes (pipeline metrics): ${JSON.stringify(lookups)}`);
    log(`${tenant}: ${done.length} answered, ${errors} errors in ${Math.round(seconds)} s`);
  }
  console.log(JSON.stringify(report, null, 2));
  for (const line of summaries) console.log(line);
} finally {
  await stack.stop();
  await db.close();
  await database.drop();
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
}

/** `asahi_cache_lookups_total{tier="semantic"}` by outcome, scraped from the pipeline. */
async function semanticLookups(pipelineUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${pipelineUrl}/metrics`)).text();
  return semanticOutcomes(text);
}

/** The template and user features the enriched requests read, for every tenant, via the API. */
async function seedFeatures(api: string, tenantKeys: string[]) {
  const put = async (key: string, path: string, body: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  for (const key of tenantKeys) {
    const { id, ...template } = BENCH_TEMPLATE;
    await put(key, `/v1/templates/${id}`, template);
    for (let u = 0; u < DEFAULT_WORKLOAD.users; u++)
      await put(key, `/v1/features/user/u${u}`, {
        values: { name: `User ${u}`, plan: u % 3 === 0 ? 'gold' : 'free' },
      });
  }
}

function toAnswered(
  item: Answered['item'],
  tenant: string,
  status: string,
  r: Record<string, unknown>,
): Answered {
  const output = r.output as { content?: string } | null;
  return {
    item,
    tenant,
    status,
    cacheTier: String(r.cacheTier),
    content: output?.content ?? null,
    costUsd: Number(r.costUsd),
    baselineCostUsd: Number(r.baselineCostUsd),
    savings: (r.savings as Record<string, number> | null) ?? null,
    tokens: (r.tokens as Answered['tokens']) ?? null,
    routing: (r.routing as Answered['routing']) ?? null,
    timings: (r.timings as Record<string, number>) ?? {},
  };
}
