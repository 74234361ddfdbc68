import type { Logger } from '@asahi/logger';

export type ShutdownStep = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Runs the steps in order once on SIGTERM/SIGINT (stop intake first, drain, then close clients),
 * and exits. A second signal or the grace timeout forces the exit.
 */
export function onShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  graceMs = 15_000,
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const run = async () => {
    for (const step of steps) {
      try {
        await step.close();
      } catch (err) {
        logger.warn({ err, step: step.name }, 'shutdown step failed');
      }
    }
  };
  const shutdown = (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown grace period exceeded, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    closing = run().then(() => {
      logger.info('shutdown complete');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return run;
}
