import { canonicalPrompt } from '@asahi/stages';
import { InputError } from '../../eval/cli-input';
import type { PairRow, PromptRow } from '../../eval/data-formats';

export type { PairRow, PromptRow };

/** Texts equal in canonical form (case, spacing, punctuation, filler) rightly share an answer. */
const groupOf = (text: string) => `c:${canonicalPrompt(text)}`;

/**
 * The replay workload of `npm run bench:savings`, built deterministically (seeded) from any
 * prompts file and labelled pairs file in the shared formats. Pure: no I/O.
 */

export type ItemKind =
  'repeat' | 'rephrase' | 'pair-a' | 'pair-b' | 'context' | 'steps' | 'enriched';

/** One request to send, in order, with what we know about it for scoring. */
export interface WorkloadItem {
  kind: ItemKind;
  /** Requests with the same `answerGroup` may rightly share an answer; others must not. */
  answerGroup: string;
  /** For pair-b: whether the pair is labelled a duplicate of its pair-a. */
  duplicate?: boolean;
  /** For pair-b: the answer group of its pair-a. */
  pairOf?: string;
  /** Other groups whose answer is also right (an enriched request that fell back un-enriched). */
  alsoRight?: string[];
  body: Record<string, unknown>;
}

export interface WorkloadOptions {
  requests: number;
  seed: number;
  /** Distinct prompts the repeat traffic is drawn from (Zipf over them). */
  distinctPrompts: number;
  zipfS: number;
  model: string;
  maxTokens: number;
  /** Fractions of the mix; the rest is repeat traffic. */
  share: { rephrase: number; pairs: number; context: number; steps: number; enriched: number };
  /** Users with feature-store entries the enriched requests are about (`u0`…). */
  users: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  requests: 1500,
  seed: 7,
  distinctPrompts: 300,
  zipfS: 1.0,
  model: 'gpt-4o',
  maxTokens: 200,
  share: { rephrase: 0.08, pairs: 0.3, context: 0.1, steps: 0.07, enriched: 0.05 },
  users: 20,
};

/** The prompt template the enriched requests use (`PUT /v1/templates/bench-support`). */
export const BENCH_TEMPLATE = {
  id: 'bench-support',
  template: 'You help {{user.name}}, a customer on the {{user.plan}} plan. Be brief.',
  features: ['user.name', 'user.plan'],
};

/** mulberry32: small, fast, good enough for reproducible sampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws ranks 0..n-1 with P(k) ∝ 1/(k+1)^s. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 1) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** How people retype the same question: case, spacing, punctuation, a filler word. */
export function rephraseTrivially(text: string, random: () => number): string {
  const variants = [
    (t: string) => t.toLowerCase(),
    (t: string) => `  ${t.replace(/ /g, '  ')} `,
    (t: string) => `Please, ${t}`,
    (t: string) => t.replace(/[?.!]+\s*$/, '') + '??',
    (t: string) => `${t} Thanks!`,
  ];
  const pick = variants[Math.floor(random() * variants.length)]!;
  return pick(text);
}

const shuffle = <T>(items: T[], random: () => number): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

const chat = (o: WorkloadOptions, messages: { role: string; content: string }[]) => ({
  model: o.model,
  messages,
  max_tokens: o.maxTokens,
});

/** How many requests of each kind; they always add up to `requests`. */
export interface WorkloadPlan {
  repeat: number;
  rephrase: number;
  /** Labelled pairs, each sent as two requests (a, then b). */
  pairs: number;
  context: number;
  steps: number;
  enriched: number;
}

/**
 * Each share of `requests`, rounded, in a fixed order, never more than what is left; pairs are
 * also limited by the pairs available. Whatever is left is repeat traffic, so the total is
 * exactly `requests` whatever the rounding or the size of the pairs file.
 */
export function planWorkload(
  requests: number,
  share: WorkloadOptions['share'],
  pairsAvailable: number,
): WorkloadPlan {
  let left = requests;
  const take = (fraction: number) => {
    const n = Math.min(Math.round(requests * fraction), left);
    left -= n;
    return n;
  };
  const rephrase = take(share.rephrase);
  const pairs = Math.min(
    Math.floor(Math.round(requests * share.pairs) / 2),
    pairsAvailable,
    Math.floor(left / 2),
  );
  left -= 2 * pairs;
  const context = take(share.context);
  const steps = take(share.steps);
  const enriched = take(share.enriched);
  return { repeat: left, rephrase, pairs, context, steps, enriched };
}

const MIN_PROMPT = 20;
const MAX_PROMPT = 4_000;

/** Texts that make sensible standalone requests; none at all is bad input. */
function usablePrompts(prompts: PromptRow[]): PromptRow[] {
  const usable = prompts.filter(
    (p) => p.prompt.length >= MIN_PROMPT && p.prompt.length <= MAX_PROMPT,
  );
  if (usable.length === 0)
    throw new InputError(
      `no prompt of ${MIN_PROMPT}–${MAX_PROMPT} characters among ${prompts.length} to build the workload from`,
    );
  return usable;
}

/** The parts of the workload, drawn in a fixed order from one seeded stream. */
interface Draw {
  options: WorkloadOptions;
  random: () => number;
  pool: PromptRow[];
  docs: PromptRow[];
  zipf: () => number;
}

function repeatItems(d: Draw, count: number): WorkloadItem[] {
  return Array.from({ length: count }, () => {
    const p = d.pool[d.zipf()]!;
    return {
      kind: 'repeat',
      answerGroup: groupOf(p.prompt),
      body: chat(d.options, [{ role: 'user', content: p.prompt }]),
    };
  });
}

function rephraseItems(d: Draw, count: number): WorkloadItem[] {
  return Array.from({ length: count }, () => {
    const p = d.pool[d.zipf()]!;
    const content = rephraseTrivially(p.prompt, d.random);
    return {
      kind: 'rephrase',
      answerGroup: groupOf(p.prompt),
      body: chat(d.options, [{ role: 'user', content }]),
    };
  });
}

function pairItems(d: Draw, pairs: PairRow[], count: number): [WorkloadItem, WorkloadItem][] {
  return shuffle(pairs, d.random)
    .slice(0, count)
    .map((pair) => [
      {
        kind: 'pair-a',
        answerGroup: groupOf(pair.a),
        body: chat(d.options, [{ role: 'user', content: pair.a }]),
      },
      {
        kind: 'pair-b',
        answerGroup: pair.duplicate ? groupOf(pair.a) : groupOf(pair.b),
        duplicate: pair.duplicate,
        pairOf: groupOf(pair.a),
        body: chat(d.options, [{ role: 'user', content: pair.b }]),
      },
    ]);
}

function contextItems(d: Draw, count: number): WorkloadItem[] {
  return Array.from({ length: count }, (_, i) => {
    const doc = d.docs[i % Math.max(1, d.docs.length)] ?? d.pool[0]!;
    const question = d.pool[Math.floor(d.random() * d.pool.length)]!;
    return {
      kind: 'context',
      answerGroup: `ctx:${doc.id}:${question.id}`,
      body: chat(d.options, [
        { role: 'system', content: 'You are a helpful assistant.   Answer   concisely.\n\n\n' },
        { role: 'user', content: `Here is a document:\n\n${doc.prompt}\n\nPlease read it.` },
        { role: 'assistant', content: 'I have read the document. What would you like to know?' },
        { role: 'user', content: `Again, the document:\n\n${doc.prompt}\n\n\n${question.prompt}` },
      ]),
    };
  });
}

function stepItems(d: Draw, count: number): WorkloadItem[] {
  const stepDocs = d.docs.slice(0, Math.max(1, Math.ceil(count / 4)));
  return Array.from({ length: count }, (_, i) => {
    const doc = stepDocs[i % stepDocs.length] ?? d.pool[0]!;
    const question = d.pool[Math.floor(d.random() * d.pool.length)]!.prompt.slice(0, 200);
    return {
      kind: 'steps',
      answerGroup: `steps:${doc.id}:${question}`,
      body: {
        model: d.options.model,
        messages: [{ role: 'user', content: question }],
        max_tokens: d.options.maxTokens,
        steps: {
          input: doc.prompt,
          steps: [
            { id: 'summary', template: 'Summarize this document in five sentences:\n\n{{input}}' },
            {
              id: 'answer',
              template: `Using this summary:\n{{steps.summary}}\n\nAnswer: ${question}`,
              dependsOn: ['summary'],
            },
          ],
        },
      },
    };
  });
}

function enrichedItems(d: Draw, count: number): WorkloadItem[] {
  return Array.from({ length: count }, () => {
    const p = d.pool[d.zipf()]!;
    const user = `u${Math.floor(d.random() * d.options.users)}`;
    return {
      kind: 'enriched',
      answerGroup: `e:${user}:${p.id}`,
      // Past its time budget enrichment falls back to the plain prompt, whose answer is right.
      alsoRight: [groupOf(p.prompt)],
      body: {
        ...chat(d.options, [{ role: 'user', content: p.prompt }]),
        enrichment: { templateId: BENCH_TEMPLATE.id, entities: { user } },
      },
    };
  });
}

/**
 * The mix: Zipf repeats of real prompts (exact hits), trivially retyped repeats (canonical hits),
 * labelled pairs sent a-then-b (duplicates are paraphrases to catch; non-duplicates are near-misses
 * that must not be served), long multi-turn requests with a re-pasted document (token
 * optimization), document steps shared by several questions (intermediate results) and requests
 * enriched from the feature store. Exactly `options.requests` items (see `planWorkload`).
 */
export function buildWorkload(
  prompts: PromptRow[],
  pairs: PairRow[],
  options: WorkloadOptions = DEFAULT_WORKLOAD,
): WorkloadItem[] {
  const random = rng(options.seed);
  const usable = usablePrompts(prompts);
  const pool = shuffle(usable, random).slice(0, options.distinctPrompts);
  const docs = usable.filter((p) => p.prompt.length >= 600).slice(0, 40);
  const d: Draw = {
    options,
    random,
    pool,
    docs,
    zipf: zipfSampler(pool.length, options.zipfS, random),
  };
  const plan = planWorkload(options.requests, options.share, pairs.length);
  // The draw order is part of the seed's meaning: keep it.
  const items = [...repeatItems(d, plan.repeat), ...rephraseItems(d, plan.rephrase)];
  const pairsToSend = pairItems(d, pairs, plan.pairs);
  items.push(
    ...contextItems(d, plan.context),
    ...stepItems(d, plan.steps),
    ...enrichedItems(d, plan.enriched),
  );
  // Interleave: shuffle the singles, then place each pair's b some way after its a.
  const out: WorkloadItem[] = shuffle(items, random);
  for (const [a, b] of pairsToSend) {
    const at = Math.floor(random() * (out.length + 1));
    out.splice(at, 0, a);
    const later = Math.min(out.length, at + 1 + Math.floor(random() * 50));
    out.splice(later, 0, b);
  }
  return out;
}
