import { z } from '@asahi/config';
import { BATCH_DISCOUNT, MODEL_CATALOG } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { FastifyInstance } from 'fastify';
import { FAULT_KINDS, SIM_ENDPOINTS } from '../faults';
import { embeddingDimensions } from '../models';
import type { SimContext } from '../sim-context';

const faultPatchSchema = z
  .object({
    rate: z.number().min(0).max(1).optional(),
    kinds: z.array(z.enum(FAULT_KINDS)).optional(),
    next: z.array(z.enum(FAULT_KINDS)).max(100_000).optional(),
    models: z.array(z.string().min(1)).nullable().optional(),
    endpoints: z.array(z.enum(SIM_ENDPOINTS)).nullable().optional(),
  })
  .strict();

/**
 * Test and operator controls under /sim. Errors here use Asahi's own shape (createServer's
 * handler): this is Asahi's API, not the simulated provider's.
 */
export async function adminRoutes(app: FastifyInstance, opts: { ctx: SimContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/faults', async () => ctx.faults.settings());
  app.post('/faults', async (req) => {
    const parsed = faultPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.join('.') || '(body)'}: ${i.message}`,
      );
      throw new AppError('invalid_request', `Invalid fault settings: ${problems.join('; ')}`, {
        details: parsed.error.issues,
      });
    }
    return ctx.faults.configure(parsed.data);
  });
  app.delete('/faults', async () => ctx.faults.reset());

  app.get('/stats', async () => ctx.stats.snapshot());
  app.post('/stats/reset', async () => {
    ctx.stats.reset();
    return ctx.stats.snapshot();
  });

  /** Everything back to startup state: stats, faults, rate-limit windows. */
  app.post('/reset', async () => {
    ctx.stats.reset();
    ctx.faults.reset();
    ctx.limiter.reset();
    return { ok: true };
  });

  app.get('/prices', async () => ({
    currency: 'USD',
    unit: 'per_1m_tokens',
    batchDiscount: BATCH_DISCOUNT,
    data: MODEL_CATALOG.map((m) => ({
      id: m.id,
      kind: m.kind,
      inputPer1M: m.inputPer1M,
      outputPer1M: m.outputPer1M,
      contextWindow: m.contextWindow,
      encoding: m.encoding,
      ...(m.kind === 'embedding' ? { dimensions: embeddingDimensions(m) } : {}),
    })),
  }));

  app.get('/config', async () => {
    const { SIM_API_KEYS: keys, ...rest } = ctx.config;
    return { ...rest, SIM_API_KEYS: keys.length > 0 ? `${keys.length} key(s)` : '' };
  });
}
