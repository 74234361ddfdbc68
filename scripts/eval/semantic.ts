/**
 * Semantic-cache evaluation: `npm run eval:semantic -- --pairs FILE [options]`.
 *
 * Reads JSONL of {"a","b","duplicate"}; `a` plays the cached prompt and `b` the new query.
 * Prints the configured policy's precision, recall and false-hit rate (overall and on a seeded
 * tune/holdout split), a plain cosine threshold tuned to the same false-hit rate (the
 * GPTCache-style baseline), canonical-form hits, why the policy refused, and a threshold sweep.
 *
 * Options: --embedder local|sim|lexical (local), --policy default|lenient|strict (default =
 * medium wrong-answer cost, lenient = low, strict = high), --cost low|medium|high (overrides),
 * --task <TaskType> (qa), --seed <text>, --target-fhr <ratio in [0, 1)> (0.01), --no-cache.
 * Bad flags, an empty pairs file or a malformed line exit 2 with one line naming the problem.
 */
import { parseArgs } from 'node:util';
import { taskTypeSchema, wrongAnswerCostSchema, type WrongAnswerCost } from '@asahi/contracts';
import {
  canonicalPrompt,
  DEFAULT_SEMANTIC_POLICY,
  decideSemanticHit,
  type SemanticDecision,
  type SemanticPolicy,
} from '@asahi/stages';
import { InputError, oneOf, optional, ratio, readInputsOrExit, readTextFile } from './cli-input';
import { parsePairRows } from './data-formats';
import { EMBEDDER_NAMES, embedDistinct, openEmbedder } from './semantic/embedders';
import {
  cosine,
  rates,
  rocAuc,
  splitOf,
  thresholdForFalseHitRate,
  type LabelledPair,
} from './semantic/metrics';
import { printReport, type Report } from './semantic/report';

const POLICY_COST: Record<string, WrongAnswerCost> = {
  default: 'medium',
  lenient: 'low',
  strict: 'high',
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      embedder: { type: 'string', default: 'local' },
      policy: { type: 'string', default: 'default' },
      cost: { type: 'string' },
      task: { type: 'string', default: 'qa' },
      seed: { type: 'string', default: 'asahi-semantic-eval' },
      'target-fhr': { type: 'string', default: '0.01' },
      'no-cache': { type: 'boolean', default: false },
    },
  });
  if (!values.pairs)
    throw new InputError('usage: eval:semantic -- --pairs FILE [--embedder local|sim|lexical]');
  const policyName = oneOf('policy', values.policy, Object.keys(POLICY_COST));
  return {
    pairsFile: values.pairs,
    embedder: oneOf('embedder', values.embedder, EMBEDDER_NAMES),
    policyName,
    cost:
      optional('cost', values.cost, (f, raw) => oneOf(f, raw, wrongAnswerCostSchema.options)) ??
      POLICY_COST[policyName]!,
    task: oneOf('task', values.task, taskTypeSchema.options),
    seed: values.seed,
    targetFhr: ratio('target-fhr', values['target-fhr']),
    cacheDir: values['no-cache'] ? null : '.asahi/eval-cache',
  };
}

async function main(): Promise<void> {
  const { options, pairs } = readInputsOrExit('eval:semantic', () => {
    const options = parseOptions();
    return {
      options,
      pairs: parsePairRows(readTextFile('pairs', options.pairsFile), options.pairsFile),
    };
  });
  const started = Date.now();
  const { embedder, close } = await openEmbedder(options.embedder);
  let vectors: Map<string, Float32Array>;
  try {
    vectors = await embedDistinct(
      embedder,
      pairs.flatMap((p) => [p.a, p.b]),
      options.cacheDir,
    );
  } finally {
    await close();
  }
  const embedMs = Date.now() - started;
  const similarity = pairs.map((p) =>
    cosine(vectors.get(p.a) as Float32Array, vectors.get(p.b) as Float32Array),
  );
  const policy: Partial<SemanticPolicy> = { wrongAnswerCost: options.cost };
  const decide = (
    p: LabelledPair,
    i: number,
    override?: Partial<SemanticPolicy>,
  ): SemanticDecision =>
    decideSemanticHit({
      query: p.b,
      candidate: p.a,
      similarity: similarity[i] ?? 0,
      taskType: options.task,
      policy: { ...policy, ...override },
    });
  const decisions = pairs.map((p, i) => decide(p, i));
  const base = DEFAULT_SEMANTIC_POLICY.minSimilarity[options.task];
  const offset = DEFAULT_SEMANTIC_POLICY.costLevels[options.cost].similarityOffset;
  const report: Report = {
    options: { ...options, embedderName: embedder.name, distinctTexts: vectors.size, embedMs },
    pairs,
    similarity,
    decisions,
    split: pairs.map((p) => splitOf(p, options.seed)),
    canonicalEqual: pairs.map((p) => canonicalPrompt(p.a) === canonicalPrompt(p.b)),
    policyThreshold: base === null ? null : base + offset,
    auc: rocAuc(similarity, pairs),
    rates,
    thresholdForFalseHitRate,
    // The policy with its similarity floor moved to `t` (verification and per-word steps kept).
    policyAt: (t) =>
      pairs.map(
        (p, i) =>
          decide(p, i, {
            minSimilarity: { ...DEFAULT_SEMANTIC_POLICY.minSimilarity, [options.task]: t - offset },
          }).hit,
      ),
  };
  printReport(report);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
