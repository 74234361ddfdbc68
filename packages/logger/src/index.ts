import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Context fields carried through Kafka headers and job data so every log line can be joined. */
export interface LogContext {
  requestId?: string;
  tenantId?: string;
  jobId?: string;
  stage?: string;
}

export interface CreateLoggerOptions {
  /** The process name, e.g. `ingest-api`. */
  service: string;
  /** pino level; defaults to LOG_LEVEL semantics resolved by the app's config. */
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
}

/** JSON logs with the service name and ISO timestamps; secrets are redacted by path. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'apiKey',
        'secret',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination
    ? pino(config, options.destination as DestinationStream)
    : pino(config);
}

/** A child logger bound to a request/tenant/job; undefined fields are left out. */
export function withContext(logger: Logger, context: LogContext): Logger {
  const fields = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  return logger.child(fields);
}
