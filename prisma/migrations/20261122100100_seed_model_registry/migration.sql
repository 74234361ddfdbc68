-- Seed of the model registry routing chooses from. Prices: USD per 1M tokens, equal to
-- MODEL_CATALOG in @asahi/contracts (model-registry.int.test.ts checks it), batch = 50 % of realtime
-- (OpenAI Batch API). Quality per task type in [0, 1]: hand-calibrated to public benchmark
-- standings, see packages/db/README.md ("Model registry"). Latency: typical end-to-end ms of a short
-- completion. A catalog change is a new migration with the same statement shape, and `enabled` is left
-- alone on conflict: it is the operator switch.
-- No semicolons in comments: the Wasm schema engine (pg driver adapter) splits scripts at every one.
INSERT INTO "model_registry" AS m ("id", "provider", "kind", "input_per_1m", "output_per_1m",
  "batch_input_per_1m", "batch_output_per_1m", "context_window", "capabilities", "quality",
  "typical_latency_ms", "enabled")
VALUES
  ('gpt-4.1-nano', 'openai', 'chat', 0.10, 0.40, 0.05, 0.20, 1047576,
    ARRAY['json', 'tools', 'vision', 'long-context', 'sampling'],
    '{"summarization": 0.82, "extraction": 0.81, "classification": 0.86, "translation": 0.78, "qa": 0.78, "code": 0.62, "reasoning": 0.62, "chat": 0.74}',
    400, true),
  ('gpt-4o-mini', 'openai', 'chat', 0.15, 0.60, 0.075, 0.30, 128000,
    ARRAY['json', 'tools', 'vision', 'sampling'],
    '{"summarization": 0.86, "extraction": 0.85, "classification": 0.88, "translation": 0.82, "qa": 0.82, "code": 0.60, "reasoning": 0.52, "chat": 0.84}',
    550, true),
  ('gpt-4.1-mini', 'openai', 'chat', 0.40, 1.60, 0.20, 0.80, 1047576,
    ARRAY['json', 'tools', 'vision', 'long-context', 'sampling'],
    '{"summarization": 0.90, "extraction": 0.91, "classification": 0.92, "translation": 0.87, "qa": 0.88, "code": 0.82, "reasoning": 0.81, "chat": 0.86}',
    600, true),
  ('gpt-3.5-turbo', 'openai', 'chat', 0.50, 1.50, 0.25, 0.75, 16385,
    ARRAY['json', 'tools', 'sampling'],
    '{"summarization": 0.76, "extraction": 0.72, "classification": 0.80, "translation": 0.74, "qa": 0.70, "code": 0.55, "reasoning": 0.40, "chat": 0.70}',
    500, true),
  ('gpt-4.1', 'openai', 'chat', 2.00, 8.00, 1.00, 4.00, 1047576,
    ARRAY['json', 'tools', 'vision', 'long-context', 'sampling'],
    '{"summarization": 0.93, "extraction": 0.94, "classification": 0.94, "translation": 0.93, "qa": 0.92, "code": 0.90, "reasoning": 0.82, "chat": 0.92}',
    900, true),
  ('gpt-4o', 'openai', 'chat', 2.50, 10.00, 1.25, 5.00, 128000,
    ARRAY['json', 'tools', 'vision', 'sampling'],
    '{"summarization": 0.92, "extraction": 0.89, "classification": 0.92, "translation": 0.90, "qa": 0.87, "code": 0.80, "reasoning": 0.60, "chat": 0.91}',
    800, true),
  ('o4-mini', 'openai', 'chat', 1.10, 4.40, 0.55, 2.20, 200000,
    ARRAY['json', 'tools', 'vision', 'long-context', 'reasoning'],
    '{"summarization": 0.88, "extraction": 0.91, "classification": 0.92, "translation": 0.88, "qa": 0.93, "code": 0.95, "reasoning": 0.97, "chat": 0.85}',
    3500, true),
  ('text-embedding-3-small', 'openai', 'embedding', 0.02, 0, 0.01, 0, 8191,
    ARRAY[]::TEXT[], '{}', 100, true),
  ('text-embedding-3-large', 'openai', 'embedding', 0.13, 0, 0.065, 0, 8191,
    ARRAY[]::TEXT[], '{}', 150, true)
ON CONFLICT ("id") DO UPDATE SET
  "provider" = EXCLUDED."provider",
  "kind" = EXCLUDED."kind",
  "input_per_1m" = EXCLUDED."input_per_1m",
  "output_per_1m" = EXCLUDED."output_per_1m",
  "batch_input_per_1m" = EXCLUDED."batch_input_per_1m",
  "batch_output_per_1m" = EXCLUDED."batch_output_per_1m",
  "context_window" = EXCLUDED."context_window",
  "capabilities" = EXCLUDED."capabilities",
  "quality" = EXCLUDED."quality",
  "typical_latency_ms" = EXCLUDED."typical_latency_ms",
  "updated_at" = CURRENT_TIMESTAMP;
