import { messUp } from './messy';
import type { Rng } from './rng';
import { assistant, system, user, type Message, type TokenSetLine } from './token-set';

/** Real prompts sorted into the roles the builders need. */
export interface PromptPools {
  /** Long pastes (800–6,000 chars): the documents that get repeated. */
  long: string[];
  /** Short requests (15–200 chars): follow-up questions. */
  short: string[];
  /** Mid-length single-topic prompts without backticks or example markers: few-shot inputs. */
  examples: string[];
}

export function poolsOf(prompts: readonly string[]): PromptPools {
  const usable = prompts.filter((p) => p.trim().length > 0);
  return {
    long: usable.filter((p) => p.length >= 800 && p.length <= 6_000),
    short: usable.filter((p) => p.length >= 15 && p.length < 200),
    examples: usable.filter(
      (p) =>
        p.length >= 80 &&
        p.length <= 700 &&
        !/`|example\s*\d|^\s*(?:q|a|input|output|question|answer)\s*:/im.test(p),
    ),
  };
}

const MODELS = ['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o', 'gpt-3.5-turbo'] as const;
const SYSTEM_PROMPTS = [
  'You are a helpful assistant.',
  'You are a careful assistant. Answer accurately and say when you are unsure.',
  'You are an assistant for a small business. Be concise and practical.',
];

const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, flat.lastIndexOf(' ', max))}…`;
};

/**
 * The data set holds first user turns only, so assistant turns are stand-ins: a lead-in plus
 * sentences of another real prompt, of realistic length. Some quote the document back.
 */
function reply(rng: Rng, pools: PromptPools, quote?: string): string {
  const lead = rng.pick(['Sure.', 'Here is what I found.', 'Good question.', 'Of course.']);
  const body = oneLine(rng.pick(pools.examples), 500);
  if (!quote) return `${lead} ${body}`;
  return `${lead} Here is the text you shared, for reference:\n\n${quote}\n\n${body}`;
}

function base(rng: Rng): { model: string; system: Message[] } {
  return {
    model: rng.pick(MODELS),
    system: rng.chance(0.7) ? [system(rng.pick(SYSTEM_PROMPTS))] : [],
  };
}

/** A conversation of several turns around one document that comes back later. */
export function multiTurn(rng: Rng, pools: PromptPools, id: string): TokenSetLine {
  const { model, system: sys } = base(rng);
  const doc = rng.pick(pools.long);
  const messages: Message[] = [...sys, user(doc)];
  let repeated = false;
  const turns = rng.int(3, 5);
  for (let t = 1; t < turns; t++) {
    const quote = rng.chance(0.3);
    repeated ||= quote;
    messages.push(assistant(reply(rng, pools, quote ? doc : undefined)));
    messages.push(user(messUp(rng.pick(pools.short), rng)));
  }
  messages.push(assistant(reply(rng, pools)));
  const question = rng.pick(pools.short);
  const repaste = !repeated || rng.chance(0.6);
  const lead = rng.pick(['Here is the text again:', 'Pasting it again so you have it:', 'Again:']);
  messages.push(user(repaste ? messUp(`${lead}\n\n${doc}\n\n${question}`, rng) : question));
  return { id, type: 'multi-turn', body: { model, messages } };
}

/** Paragraphs of a long paste, as a retriever would chunk it. */
function chunks(doc: string): string[] {
  return doc.split(/\n\s*\n/).filter((c) => c.trim().length >= 120);
}

/** A document pasted twice, or retrieved chunks that repeat. */
export function repeatedDocument(rng: Rng, pools: PromptPools, id: string): TokenSetLine {
  const { model, system: sys } = base(rng);
  const doc = rng.pick(pools.long);
  const [q1, q2] = rng.sample(pools.short, 2);
  const parts = chunks(doc);
  if (rng.chance(0.5) || parts.length < 3) {
    const messages = [
      ...sys,
      user(messUp(`Please read this document carefully.\n\n${doc}\n\n${q1}`, rng)),
      assistant(reply(rng, pools)),
      user(messUp(`I'm pasting the document again:\n\n${doc}\n\n${q2}`, rng)),
    ];
    return { id, type: 'repeated-document', body: { model, messages } };
  }
  // Retrieval returned overlapping results: some chunks twice, in a different order.
  const picked = [...parts, ...rng.sample(parts, Math.ceil(parts.length / 2))];
  const docs = picked.map((c, i) => `Document ${i + 1}:\n${c.trim()}`).join('\n\n');
  const messages = [
    system('Answer the question using only the documents provided.'),
    user(messUp(`${docs}\n\nQuestion: ${q1}`, rng)),
  ];
  return { id, type: 'repeated-document', body: { model, messages } };
}

const LABELS: readonly [string, RegExp][] = [
  ['coding', /\b(code|python|javascript|function|sql|api|error|react|java|bug|script|html|css)\b/i],
  ['writing', /\b(write|essay|story|poem|blog|article|rewrite|paragraph|email|letter)\b/i],
  ['business', /\b(business|marketing|sales|company|startup|customer|product|brand|seo)\b/i],
  ['education', /\b(explain|learn|student|teach|course|lesson|study|history|math)\b/i],
  ['health', /\b(health|diet|exercise|medical|doctor|sleep|food)\b/i],
];
const labelOf = (text: string) => LABELS.find(([, re]) => re.test(text))?.[0] ?? 'other';
const titleOf = (text: string) =>
  oneLine(text, 400)
    .replace(/[^\p{L}\p{N} ]/gu, '')
    .split(' ')
    .slice(0, 6)
    .join(' ');

/**
 * Prompts sharing the most words with `query`: a third of the examples are near the query, as
 * when an author collects examples of the same kind, the rest are random.
 */
function neighbours(query: string, pool: readonly string[], k: number): string[] {
  const words = new Set(query.toLowerCase().match(/\p{L}{4,}/gu) ?? []);
  return pool
    .filter((p) => p !== query)
    .map((p) => ({
      p,
      n: (p.toLowerCase().match(/\p{L}{4,}/gu) ?? []).filter((w) => words.has(w)).length,
    }))
    .sort((a, b) => b.n - a.n)
    .slice(0, k)
    .map((x) => x.p);
}

/** A verbose few-shot prompt: many examples built from other prompts, then the query. */
export function fewShot(rng: Rng, pools: PromptPools, id: string): TokenSetLine {
  const { model } = base(rng);
  const query = rng.pick(pools.examples);
  const count = rng.int(8, 14);
  const near = neighbours(query, rng.sample(pools.examples, 300), Math.floor(count / 3));
  const others = rng.sample(pools.examples, count).filter((p) => p !== query && !near.includes(p));
  const examples = rng.sample([...near, ...others].slice(0, count), count);
  const gap = () => (rng.chance(0.3) ? '\n\n\n' : '\n\n');
  if (rng.chance(0.5)) {
    const shown = examples.map(
      (e, i) => `Example ${i + 1}:\nInput: ${oneLine(e, 500)}\nOutput: ${labelOf(e)}${gap()}`,
    );
    const content =
      'Classify the request into one of: coding, writing, business, education, health, other. ' +
      `Answer with the label only. Here are some examples:\n\n${shown.join('')}` +
      `Now classify this one:\n\nInput: ${oneLine(query, 500)}\nOutput:`;
    return {
      id,
      type: 'few-shot',
      taskType: 'classification',
      body: { model, max_tokens: 512, messages: [user(messUp(content, rng))] },
    };
  }
  const shown = examples.map((e) => `Q: ${oneLine(e, 500)}\nA: ${titleOf(e)}${gap()}`);
  const messages = [
    system(`Suggest a short title for each request. Examples:\n\n${shown.join('').trimEnd()}`),
    user(oneLine(query, 500)),
  ];
  return { id, type: 'few-shot', body: { model, messages } };
}
