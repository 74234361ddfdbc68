/**
 * Async-submit load with autocannon (the no-k6 equivalent of k6/async-submit.js): POST /v1/jobs
 * at a target rate for a bounded duration against a loopback ingest-api, then one JSON summary
 * on stdout. Always stops by itself: duration is capped, and a watchdog stops the run if
 * autocannon overruns it.
 *
 *   npx tsx scripts/load/autocannon-submit.ts --key "$ASAHI_API_KEY" --rate 200 --duration 30
 *
 * Exit code: 0 when every request got a 2xx, 1 otherwise (or on a run error), 2 on bad flags.
 */
import autocannon, { type Result } from 'autocannon';
import { chatBody } from './chat-body';
import { parseLoadOptions, USAGE, type LoadOptions } from './load-options';
import { buildSummary, LatencySamples } from './load-summary';

/** Per-request timeout, seconds: an accept that takes this long is a failure, not a sample. */
const REQUEST_TIMEOUT_S = 10;

async function run(opts: LoadOptions) {
  const runId = Date.now().toString(36);
  // setupRequest runs once per request written (autocannon builds each request just before
  // sending it), so `seq` doubles as the sent count.
  let seq = 0;
  let repeated = 0;
  let stoppedEarly: string | null = null;
  const samples = new LatencySamples(Math.min(opts.rate * opts.durationS, 1_000_000));

  // autocannon reports option errors through the callback, synchronously, so it is wired first.
  let settle: (err: Error | null, result?: Result) => void = () => {};
  const finished = new Promise<Result>((resolve, reject) => {
    settle = (err, result) =>
      err || !result ? reject(err ?? new Error('autocannon returned no result')) : resolve(result);
  });
  const instance = autocannon(
    {
      url: opts.origin,
      connections: opts.connections,
      overallRate: opts.rate,
      duration: opts.durationS,
      timeout: REQUEST_TIMEOUT_S,
      requests: [
        {
          method: 'POST',
          path: '/v1/jobs',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.key}` },
          setupRequest: (request) => {
            const body = chatBody({
              model: opts.model,
              runId,
              seq: seq++,
              repeatRatio: opts.repeatRatio,
              random: Math.random,
            });
            if (body.repeated) repeated++;
            return { ...request, body: body.json };
          },
        },
      ],
    },
    (err, result) => settle(err, result),
  );
  instance.on('response', (_client, _status, _bytes, ms) => samples.add(ms));

  const stop = (reason: string) => {
    stoppedEarly ??= reason;
    instance.stop();
  };
  const onSignal = () => stop('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Watchdogs: autocannon stops at `duration`; these only fire if it somehow does not. The second
  // one does not wait for anything (unref'd, and exits) so the process cannot outlive its bound.
  const graceMs = (opts.durationS + REQUEST_TIMEOUT_S + 5) * 1000;
  const watchdog = setTimeout(() => stop('watchdog'), graceMs);
  const hardStop = setTimeout(() => {
    console.error('[load] autocannon did not stop; exiting without a summary');
    process.exit(1);
  }, graceMs + 15_000);
  hardStop.unref();

  try {
    const result = await finished;
    return buildSummary(opts, result, samples, { sent: seq, repeated, stoppedEarly });
  } finally {
    clearTimeout(watchdog);
    clearTimeout(hardStop);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(): Promise<number> {
  let opts: LoadOptions;
  try {
    opts = parseLoadOptions(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  console.error(
    `[load] POST ${opts.origin}/v1/jobs at ${opts.rate} req/s for ${opts.durationS} s over ${opts.connections} connections`,
  );
  const summary = await run(opts);
  console.log(JSON.stringify(summary, null, 2));
  const r = summary.requests;
  return r.completed > 0 && r.non2xx === 0 && r.errors === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[load] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
