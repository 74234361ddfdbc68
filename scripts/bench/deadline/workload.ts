/**
 * The deadline bench's workload, as plain data: unique prompts (so no cache can answer and the
 * figures measure dispatch), request bodies, bulk JSONL uploads and the 10/30/60 mix.
 */

/** A row of the shared prompts file (`../shared/data/prompts.dev.jsonl`); only `prompt` is read. */
export interface PromptRow {
  prompt: string;
}

export type BenchMode = 'sync' | 'async' | 'bulk';

/** Long ShareGPT prompts are cut here: the figures are about dispatch, not about prompt size. */
export const MAX_PROMPT_CHARS = 2_000;

export function parsePromptRows(jsonl: string): PromptRow[] {
  const rows = jsonl
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Partial<PromptRow>)
    .filter((row): row is PromptRow => typeof row.prompt === 'string' && row.prompt.trim() !== '');
  if (rows.length === 0) throw new Error('the prompts file has no row with a non-empty "prompt"');
  return rows;
}

/**
 * The i-th prompt of a mode in a run: the file's prompts in turn, cut to MAX_PROMPT_CHARS, with a
 * suffix naming run, mode and index, so that no two requests of any run are the same text.
 */
export function uniquePrompt(rows: PromptRow[], runId: string, mode: BenchMode, i: number) {
  const offset = { sync: 0, async: 7, bulk: 13 }[mode]; // different modes start at different rows
  const row = (((i + offset) % rows.length) + rows.length) % rows.length;
  const base = rows[row]!.prompt.slice(0, MAX_PROMPT_CHARS);
  return `${base}\n\n(reference ${runId}-${mode}-${i})`;
}

/** The body shared by every mode: caching off, so a cache can never answer. */
export function chatBody(content: string, model: string, maxTokens: number) {
  return {
    model,
    messages: [{ role: 'user' as const, content }],
    max_tokens: maxTokens,
    cache: { mode: 'off' as const },
  };
}

/** One OpenAI Batch input line per body (`custom_id` = `<prefix>-<index>`), newline-terminated. */
export function bulkJsonl(bodies: object[], customIdPrefix: string): string {
  return bodies
    .map((body, i) =>
      JSON.stringify({
        custom_id: `${customIdPrefix}-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export interface MixInput {
  syncRatePerSec: number;
  durationS: number;
  /** Explicit counts win; absent, they follow the 10 / 30 / 60 mix of the sync count. */
  asyncCount?: number;
  bulkCount?: number;
}

/** Requests per mode in the mixed phase: sync = rate × duration, async 3×, bulk 6× by default. */
export function mixCounts(input: MixInput): Record<BenchMode, number> {
  const sync = Math.round(input.syncRatePerSec * input.durationS);
  return {
    sync,
    async: input.asyncCount ?? 3 * sync,
    bulk: input.bulkCount ?? 6 * sync,
  };
}

/** `total` split into `parts` sizes as even as possible (the first ones take the remainder). */
export function splitEvenly(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  if (total <= 0) return [];
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}
