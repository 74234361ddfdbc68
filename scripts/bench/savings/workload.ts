import { canonicalPrompt } from '@asahi/stages';

/** Texts equal in canonical form (case, spacing, punctuation, filler) rightly share an answer. */
const groupOf = (text: string) => `c:${canonicalPrompt(text)}`;

/**
 * The replay workload of `npm run bench:savings`, built deterministically (seeded) from any
 * prompts file and labelled pairs file in the shared formats. Pure: no I/O.
 */

export interface PromptRow {
  id: string;
  prompt: string;
  raw_occurrences?: number;
}

export interface PairRow {
  a: string;
  b: string;
  duplicate: boolean;
}

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

/**
 * The mix: Zipf repeats of real prompts (exact hits), trivially retyped repeats (canonical hits),
 * labelled pairs sent a-then-b (duplicates are paraphrases to catch; non-duplicates are near-misses
 * that must not be served), long multi-turn requests with a re-pasted document (token
 * optimization), and document steps shared by several questions (intermediate results).
 */
export function buildWorkload(
  prompts: PromptRow[],
  pairs: PairRow[],
  options: WorkloadOptions = DEFAULT_WORKLOAD,
): WorkloadItem[] {
  const random = rng(options.seed);
  const usable = prompts.filter((p) => p.prompt.length >= 20 && p.prompt.length <= 4_000);
  const pool = shuffle(usable, random).slice(0, options.distinctPrompts);
  const docs = usable.filter((p) => p.prompt.length >= 600).slice(0, 40);
  const zipf = zipfSampler(pool.length, options.zipfS, random);
  const n = options.requests;
  const count = (share: number) => Math.round(n * share);
  const pairCount = Math.floor(count(options.share.pairs) / 2);
  const items: WorkloadItem[] = [];

  for (
    let i = 0;
    i <
    n -
      count(options.share.rephrase) -
      pairCount * 2 -
      count(options.share.context) -
      count(options.share.steps);
    i++
  ) {
    const p = pool[zipf()]!;
    items.push({
      kind: 'repeat',
      answerGroup: groupOf(p.prompt),
      body: chat(options, [{ role: 'user', content: p.prompt }]),
    });
  }
  for (let i = 0; i < count(options.share.rephrase); i++) {
    const p = pool[zipf()]!;
    const content = rephraseTrivially(p.prompt, random);
    items.push({
      kind: 'rephrase',
      answerGroup: groupOf(p.prompt),
      body: chat(options, [{ role: 'user', content }]),
    });
  }
  const chosenPairs = shuffle(pairs, random).slice(0, pairCount);
  const pairItems: WorkloadItem[][] = chosenPairs.map((pair) => [
    {
      kind: 'pair-a',
      answerGroup: groupOf(pair.a),
      body: chat(options, [{ role: 'user', content: pair.a }]),
    },
    {
      kind: 'pair-b',
      answerGroup: pair.duplicate ? groupOf(pair.a) : groupOf(pair.b),
      duplicate: pair.duplicate,
      pairOf: groupOf(pair.a),
      body: chat(options, [{ role: 'user', content: pair.b }]),
    },
  ]);
  for (let i = 0; i < count(options.share.context); i++) {
    const doc = docs[i % Math.max(1, docs.length)] ?? pool[0]!;
    const question = pool[Math.floor(random() * pool.length)]!;
    items.push({
      kind: 'context',
      answerGroup: `ctx:${doc.id}:${question.id}`,
      body: chat(options, [
        { role: 'system', content: 'You are a helpful assistant.   Answer   concisely.\n\n\n' },
        { role: 'user', content: `Here is a document:\n\n${doc.prompt}\n\nPlease read it.` },
        { role: 'assistant', content: 'I have read the document. What would you like to know?' },
        { role: 'user', content: `Again, the document:\n\n${doc.prompt}\n\n\n${question.prompt}` },
      ]),
    });
  }
  const stepDocs = docs.slice(0, Math.max(1, Math.ceil(count(options.share.steps) / 4)));
  for (let i = 0; i < count(options.share.steps); i++) {
    const doc = stepDocs[i % stepDocs.length] ?? pool[0]!;
    const question = pool[Math.floor(random() * pool.length)]!.prompt.slice(0, 200);
    items.push({
      kind: 'steps',
      answerGroup: `steps:${doc.id}:${question}`,
      body: {
        model: options.model,
        messages: [{ role: 'user', content: question }],
        max_tokens: options.maxTokens,
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
    });
  }
  for (let i = 0; i < count(options.share.enriched); i++) {
    const p = pool[zipf()]!;
    const user = `u${Math.floor(random() * options.users)}`;
    items.push({
      kind: 'enriched',
      answerGroup: `e:${user}:${p.id}`,
      // Past its time budget enrichment falls back to the plain prompt, whose answer is right.
      alsoRight: [groupOf(p.prompt)],
      body: {
        ...chat(options, [{ role: 'user', content: p.prompt }]),
        enrichment: { templateId: BENCH_TEMPLATE.id, entities: { user } },
      },
    });
  }
  // Interleave: shuffle the singles, then place each pair's b some way after its a.
  const singles = shuffle(items, random);
  const out: WorkloadItem[] = [...singles];
  for (const [a, b] of pairItems) {
    const at = Math.floor(random() * (out.length + 1));
    out.splice(at, 0, a!);
    const later = Math.min(out.length, at + 1 + Math.floor(random() * 50));
    out.splice(later, 0, b!);
  }
  return out;
}
