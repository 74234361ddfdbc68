import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { toErrorBody } from '@asahi/errors';
import type { Queue } from '@asahi/queue';
import { adminBasicHook, type KeyCache } from './auth';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues behind HTTP Basic (password = an API key with role `admin`).
 * Registered as its own encapsulated plugin: Bull Board sets its own error handler there, which
 * must not replace the API's, and the API's must not swallow Bull Board's. The auth hook sits in
 * the same scope so it covers the page, its API and its static assets alike.
 */
export async function registerBullBoard(
  app: FastifyInstance,
  queues: Queue[],
  keys: KeyCache,
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Asahi queues' } },
  });
  await app.register(
    async (scope) => {
      scope.addHook(
        'onRequest',
        adminBasicHook(keys, (message, req) => toErrorBody('unauthenticated', message, req.id)),
      );
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: BULL_BOARD_PATH },
  );
}
