import { parseArgs } from 'node:util';

/**
 * Flags of the load scripts, parsed and bounded. Pure (argv and env are parameters) so the
 * guards are unit-tested: a load generator pointed at the wrong host is a denial of service.
 */
export interface LoadOptions {
  /** Origin only (`http://127.0.0.1:8080`); the scripts add the path. */
  origin: string;
  key: string;
  /** Target requests per second over all connections. */
  rate: number;
  durationS: number;
  connections: number;
  /** Share (0..1) of requests that reuse one of a few fixed prompts, so the cache can hit. */
  repeatRatio: number;
  model: string;
}

export const LIMITS = {
  maxDurationS: 600,
  maxRate: 10_000,
  maxConnections: 1_000,
} as const;

export const DEFAULTS = {
  url: 'http://127.0.0.1:8080',
  rate: 50,
  durationS: 10,
  connections: 10,
  repeatRatio: 0,
  model: 'gpt-4o-mini',
} as const;

/** Loopback only. WHATWG URL keeps the brackets of an IPv6 hostname. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const USAGE = `usage: tsx scripts/load/autocannon-submit.ts --key <api key> [--url ${DEFAULTS.url}]
  [--rate ${DEFAULTS.rate}] [--duration ${DEFAULTS.durationS}] [--connections ${DEFAULTS.connections}]
  [--repeat-ratio ${DEFAULTS.repeatRatio}] [--model ${DEFAULTS.model}]
  --url         target, loopback only (127.0.0.1, localhost, [::1])
  --key         tenant API key (default: $ASAHI_API_KEY)
  --rate        requests per second over all connections (1..${LIMITS.maxRate})
  --duration    seconds (1..${LIMITS.maxDurationS})
  --connections concurrent connections (1..${LIMITS.maxConnections}); caps in-flight requests
  --repeat-ratio share 0..1 of requests reusing a few fixed prompts (cache hits)`;

/** The origin of a loopback http(s) URL; throws for any other host, so nothing remote is loaded. */
export function localOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--url must be http(s), got ${url.protocol}`);
  if (!LOCAL_HOSTS.has(url.hostname.toLowerCase())) {
    throw new Error(
      `refusing to load ${url.hostname}: only 127.0.0.1, localhost and [::1] are allowed`,
    );
  }
  if (url.username || url.password) throw new Error('--url must not carry credentials; use --key');
  return url.origin;
}

function bounded(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    n < min ||
    n > max
  ) {
    throw new Error(
      `--${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${raw}"`,
    );
  }
  return n;
}

export function parseLoadOptions(argv: string[], env: NodeJS.ProcessEnv): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'repeat-ratio': { type: 'string' },
      model: { type: 'string' },
    },
  });
  const key = values.key ?? env.ASAHI_API_KEY ?? '';
  if (!key) throw new Error('an API key is required: --key <key> or ASAHI_API_KEY');
  return {
    origin: localOrigin(values.url ?? DEFAULTS.url),
    key,
    rate: bounded('rate', values.rate, DEFAULTS.rate, 1, LIMITS.maxRate),
    durationS: bounded('duration', values.duration, DEFAULTS.durationS, 1, LIMITS.maxDurationS),
    connections: bounded(
      'connections',
      values.connections,
      DEFAULTS.connections,
      1,
      LIMITS.maxConnections,
    ),
    repeatRatio: bounded('repeat-ratio', values['repeat-ratio'], DEFAULTS.repeatRatio, 0, 1, false),
    model: values.model ?? DEFAULTS.model,
  };
}
