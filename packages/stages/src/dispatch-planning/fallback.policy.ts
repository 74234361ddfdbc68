/**
 * The fallback chain: which models may answer when the planned one cannot. Configured per model
 * (`FALLBACK_CHAINS`, e.g. `{"gpt-4o":["gpt-4.1","gpt-4o-mini"]}`); a model with no chain has
 * none. Pure: the caller passes which candidates' breakers allow a call right now.
 */
export type FallbackChains = Readonly<Record<string, readonly string[]>>;

/** The planned model, then its chain, without duplicates: the order to try them in. */
export function candidateModels(model: string, chains: FallbackChains): string[] {
  return [...new Set([model, ...(chains[model] ?? [])])];
}

/**
 * The first candidate whose breaker allows a call, and why it is not the planned model;
 * null when every breaker in the chain is open (the caller waits for the earliest retry).
 */
export function pickModel(
  model: string,
  chains: FallbackChains,
  allows: (model: string) => boolean,
  skip: ReadonlySet<string> = new Set(),
): { model: string; fallbackReason?: 'circuit-open' | 'provider-error' } | null {
  let reason: 'circuit-open' | 'provider-error' | undefined;
  for (const candidate of candidateModels(model, chains)) {
    if (skip.has(candidate)) {
      reason ??= 'provider-error';
      continue;
    }
    if (allows(candidate)) return reason ? { model: candidate, fallbackReason: reason } : { model };
    reason ??= 'circuit-open';
  }
  return null;
}

/** Parses `FALLBACK_CHAINS` JSON; throws with a precise message on a bad shape. */
export function parseFallbackChains(json: string): FallbackChains {
  const value: unknown = json.trim() === '' ? {} : JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('FALLBACK_CHAINS must be a JSON object of model → [fallback models]');
  for (const [model, chain] of Object.entries(value)) {
    if (!Array.isArray(chain) || !chain.every((m) => typeof m === 'string' && m.length > 0))
      throw new Error(`FALLBACK_CHAINS.${model} must be an array of model names`);
  }
  return value as FallbackChains;
}
