import { QUEUES, webhookJobSchema } from '@asahi/contracts';
import { markAttemptFailed, markDelivered, upsertDelivery, type PrismaClient } from '@asahi/db';
import { toAppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import { createWorker, type Redis } from '@asahi/queue';
import { deliverWebhook, type DeliveryPorts } from './webhook-delivery';

export interface WebhookProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  prisma: PrismaClient;
  ports: DeliveryPorts;
  onOutcome?: (outcome: 'delivered' | 'retry' | 'failed') => void;
}

/** Thin adapter: one delivery attempt per job run; the delivery's state is kept in Postgres. */
export function startWebhookWorker(deps: WebhookProcessorDeps) {
  return createWorker({
    name: QUEUES.webhook,
    schema: webhookJobSchema,
    connection: deps.connection,
    prefix: deps.prefix,
    logger: deps.logger,
    handle: async (job, ctx) => {
      const { result } = job;
      const log = deps.logger.child({
        requestId: result.requestId,
        tenantId: result.tenantId,
        deliveryId: job.deliveryId,
        attempt: ctx.attempt,
      });
      await upsertDelivery(deps.prisma, {
        id: job.deliveryId,
        jobId: result.requestId,
        tenantId: result.tenantId,
        url: job.url,
      });
      try {
        const { status } = await deliverWebhook(job, deps.ports);
        await markDelivered(deps.prisma, job.deliveryId, status);
        deps.onOutcome?.('delivered');
        log.info({ status }, 'webhook delivered');
        return { status };
      } catch (err) {
        const error = toAppError(err);
        const final = !error.retryable || ctx.isFinalAttempt;
        const statusCode = (error.details as { status?: number } | undefined)?.status ?? null;
        await markAttemptFailed(deps.prisma, job.deliveryId, {
          statusCode,
          error: error.message,
          final,
        });
        deps.onOutcome?.(final ? 'failed' : 'retry');
        log.warn({ code: error.code, final, statusCode }, 'webhook attempt failed');
        throw error;
      }
    },
  });
}
