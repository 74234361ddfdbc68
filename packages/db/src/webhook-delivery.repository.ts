import type { PrismaClient } from './client';
import { toWebhookDeliveryRow, type WebhookDeliveryRow } from './rows';

export interface DeliveryInput {
  /** The delivery id (one per job and callback URL), which makes redelivery idempotent. */
  id: string;
  jobId: string;
  tenantId: string;
  url: string;
}

export interface FailedAttempt {
  statusCode?: number | null;
  error: string;
  /** No more retries will follow: the delivery is failed for good. */
  final?: boolean;
}

/** Creates the delivery as pending, or returns the existing one unchanged. */
export async function upsertDelivery(
  prisma: PrismaClient,
  input: DeliveryInput,
): Promise<WebhookDeliveryRow> {
  const row = await prisma.webhookDelivery.upsert({
    where: { id: input.id },
    create: { ...input, status: 'pending' },
    update: {},
  });
  return toWebhookDeliveryRow(row);
}

/** Records the successful attempt; null when unknown or already delivered. */
export async function markDelivered(
  prisma: PrismaClient,
  id: string,
  statusCode: number,
): Promise<WebhookDeliveryRow | null> {
  const { count } = await prisma.webhookDelivery.updateMany({
    where: { id, status: { not: 'delivered' } },
    data: {
      status: 'delivered',
      attempts: { increment: 1 },
      lastStatusCode: statusCode,
      lastError: null,
      deliveredAt: new Date(),
    },
  });
  return count > 0 ? getDelivery(prisma, id) : null;
}

/** Records a failed attempt (pending again, or failed when final); never undoes a delivery. */
export async function markAttemptFailed(
  prisma: PrismaClient,
  id: string,
  attempt: FailedAttempt,
): Promise<WebhookDeliveryRow | null> {
  const { count } = await prisma.webhookDelivery.updateMany({
    where: { id, status: { not: 'delivered' } },
    data: {
      status: attempt.final ? 'failed' : 'pending',
      attempts: { increment: 1 },
      lastStatusCode: attempt.statusCode ?? null,
      lastError: attempt.error.slice(0, 2000),
    },
  });
  return count > 0 ? getDelivery(prisma, id) : null;
}

export async function getDelivery(
  prisma: PrismaClient,
  id: string,
): Promise<WebhookDeliveryRow | null> {
  const row = await prisma.webhookDelivery.findUnique({ where: { id } });
  return row ? toWebhookDeliveryRow(row) : null;
}
