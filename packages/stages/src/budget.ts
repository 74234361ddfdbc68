export type Budgeted<T> =
  { kind: 'ok'; value: T } | { kind: 'timeout' } | { kind: 'error'; error: unknown };

/**
 * Runs optional work under a strict time budget. The stages that use it (enrichment, semantic
 * lookup) are optimizations: when they are slow or down the request goes on without them. A late
 * answer (or failure) of the work is dropped.
 */
export async function withinBudget<T>(
  work: () => Promise<T>,
  budgetMs: number,
): Promise<Budgeted<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Budgeted<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), budgetMs);
  });
  const run = work().then(
    (value): Budgeted<T> => ({ kind: 'ok', value }),
    (error: unknown): Budgeted<T> => ({ kind: 'error', error }),
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
