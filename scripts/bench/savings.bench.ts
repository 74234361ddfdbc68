/**
 * `npm run bench:savings -- --prompts FILE --pairs FILE [--requests N] [--concurrency C]
 *   [--seed S] [--model M]` — replays a workload built from any prompts and labelled pairs files
 * (shared formats; see scripts/bench/savings/workload.ts) through the running platform started
 * here as processes (simulator as the provider), and prints cost against baseline and savings %,
 * hit rate per tier, wrong hits (where labels or prompt identity tell), token reduction %, and
 * added latency per prepare step. Two tenants: `autopilot` (AUTOPILOT routing, baseline model
 * --model) and `explicit` (runs --model as named; caching and token optimization only).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApiKey, createDb, createTestDatabase, upsertTenant } from '@asahi/db';
import { infraDown, infraUp } from '@asahi/local-infra';
import { startStack } from '@asahi/testing';
import { withConcurrency } from './stats';
import { scoreRun, type Answered } from './savings/score';
import { buildWorkload, DEFAULT_WORKLOAD, type PairRow, type PromptRow } from './savings/workload';

const { values } = parseArgs({
  options: {
    prompts: { type: 'string', default: '../shared/data/prompts.dev.jsonl' },
    pairs: { type: 'string', default: '../shared/data/paraphrase-pairs.dev.jsonl' },
    requests: { type: 'string', default: String(DEFAULT_WORKLOAD.requests) },
    concurrency: { type: 'string', default: '6' },
    seed: { type: 'string', default: String(DEFAULT_WORKLOAD.seed) },
    model: { type: 'string', default: DEFAULT_WORKLOAD.model },
  },
});
const log = (line: string) => console.log(`[bench] ${line}`);
const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

const TENANTS = {
  autopilot: { routing: { mode: 'autopilot', qualityFloor: 0.8, defaultModel: values.model } },
  explicit: {},
} as const;

const workload = buildWorkload(
  readJsonl<PromptRow>(values.prompts!),
  readJsonl<PairRow>(values.pairs!),
  {
    ...DEFAULT_WORKLOAD,
    requests: Number(values.requests),
    seed: Number(values.seed),
    model: values.model!,
  },
);
log(`workload: ${workload.length} requests per tenant from ${values.prompts} and ${values.pairs}`);

const infra = await infraUp({ log });
const database = await createTestDatabase(infra.databaseUrl);
const db = createDb(database.url);
const namespace = `sav${Date.now().toString(36)}`;
const stack = await startStack({
  namespace,
  infra: { ...infra, databaseUrl: database.url },
  logLevel: 'warn',
});
try {
  const keys: Record<string, string> = {};
  for (const [tenant, policy] of Object.entries(TENANTS)) {
    await upsertTenant(db.prisma, { id: tenant, name: tenant, settings: { policy } });
    keys[tenant] = (await createApiKey(db.prisma, tenant, 'bench')).key;
  }
  const api = stack.ingestUrls[0]!;
  const report: Record<string, unknown> = {};
  for (const tenant of Object.keys(TENANTS)) {
    const answers: Answered[] = [];
    const t0 = performance.now();
    const { errors } = await withConcurrency(
      Number(values.concurrency),
      workload.length,
      async (i) => {
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
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const done = answers.filter(Boolean);
    report[tenant] = { errors, seconds: Math.round(seconds), ...scoreRun(done) };
    log(`${tenant}: ${done.length} answered, ${errors} errors in ${Math.round(seconds)} s`);
  }
  console.log(JSON.stringify(report, null, 2));
} finally {
  await stack.stop();
  await db.close();
  await database.drop();
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
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
