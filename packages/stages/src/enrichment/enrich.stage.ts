import type { ChatMessage, EnrichmentRequest, RequestMessage } from '@asahi/contracts';
import { withinBudget } from '../budget';
import type { Clock } from '../ports';
import type {
  FeatureReader,
  FeatureValues,
  TemplateDefinition,
  TemplateReader,
} from './enrichment.ports';
import {
  formatFeatureValue,
  MAX_RENDERED_CHARS,
  parseFeatureName,
  renderTemplate,
} from './prompt-template';

/**
 * - `applied`: the rendered template is in the system message.
 * - `missing_features`: applied too, but some placeholders rendered empty (see `missing`).
 * - `skipped`: the request asks for no enrichment.
 * - `missing_template`, `timeout`, `error`: the request goes on un-enriched.
 */
export type EnrichmentStatus =
  'applied' | 'skipped' | 'missing_template' | 'missing_features' | 'timeout' | 'error';

/** What `enrichRequest` reads through (prepare's own enrichment ports add the budget). */
export interface EnrichRequestPorts {
  templates: TemplateReader;
  features: FeatureReader;
  clock: Clock;
}

export interface EnrichmentOptions {
  /** Longest the lookups may take before the request goes on un-enriched. */
  budgetMs: number;
  /** Default MAX_RENDERED_CHARS. */
  maxRenderedChars?: number;
}

export interface EnrichmentOutcome {
  request: RequestMessage;
  status: EnrichmentStatus;
  /** Placeholders that rendered empty (`user.plan`, `input`), each once. */
  missing: string[];
  /** `{ enrichment: ms }` spent, or `{}` when skipped. */
  timings: Record<string, number>;
  /** Why the template was not applied (`timeout`, `error`); for logs, not for clients. */
  reason?: string;
}

/** A reasonable budget for a Redis-cached lookup on the request path. */
export const DEFAULT_ENRICHMENT_BUDGET_MS = 20;
/** chatMessageSchema's limits: the enriched body must still be a valid request. */
const MAX_MESSAGE_CHARS = 1_000_000;
const MAX_MESSAGES = 2_000;

interface Looked {
  template: TemplateDefinition | null;
  entities: Map<string, FeatureValues | null>;
}

/**
 * Renders the tenant's template `request.enrichment.templateId` with the feature values of the
 * named entities and the request's variables, and puts it into the system prompt: prepended
 * (with a blank line) to a leading `system`/`developer` message, else inserted as a new first
 * `system` message. The applied request no longer carries `enrichment`, so enriching it again
 * is a no-op. Never throws: a missing template, a slow or failing port, or an oversized result
 * leave the request as it was.
 */
export async function enrichRequest(
  request: RequestMessage,
  ports: EnrichRequestPorts,
  options: EnrichmentOptions,
): Promise<EnrichmentOutcome> {
  const spec = request.enrichment;
  if (!spec) return { request, status: 'skipped', missing: [], timings: {} };
  const started = ports.clock.now();
  const timings = () => ({ enrichment: Math.max(0, ports.clock.now() - started) });
  const unchanged = (status: EnrichmentStatus, reason?: string): EnrichmentOutcome => ({
    request,
    status,
    missing: [],
    timings: timings(),
    ...(reason === undefined ? {} : { reason }),
  });

  const outcome = await withinBudget(() => lookUp(request.tenantId, spec, ports), options.budgetMs);
  if (outcome.kind === 'error') return unchanged('error', reasonOf(outcome.error));
  if (outcome.kind === 'timeout')
    return unchanged('timeout', `no answer within ${options.budgetMs} ms`);
  const looked = outcome.value;
  if (!looked.template) return unchanged('missing_template', `no template ${spec.templateId}`);

  const { text, missing } = render(looked.template, looked.entities, spec.variables);
  if (text.length > (options.maxRenderedChars ?? MAX_RENDERED_CHARS))
    return unchanged('error', `rendered template is ${text.length} characters`);
  const messages = withSystemPrompt(request.body.messages, text);
  if (!messages) return unchanged('error', 'the enriched system message would be too large');
  const { enrichment: _applied, ...rest } = request;
  return {
    request: { ...rest, body: { ...request.body, messages } },
    status: missing.length > 0 ? 'missing_features' : 'applied',
    missing,
    timings: timings(),
  };
}

/** The template, then every entity it declares features of, in parallel; all tenant-scoped. */
async function lookUp(
  tenantId: string,
  spec: EnrichmentRequest,
  ports: EnrichRequestPorts,
): Promise<Looked> {
  const template = await ports.templates.getTemplate(tenantId, spec.templateId);
  const entities = new Map<string, FeatureValues | null>();
  if (!template) return { template, entities };
  const types = new Set(template.features.map((f) => parseFeatureName(f)?.entityType));
  const wanted = [...types].filter(
    (type): type is string => type !== undefined && Object.hasOwn(spec.entities, type),
  );
  const values = await Promise.all(
    wanted.map((type) => ports.features.getFeatures(tenantId, type, spec.entities[type]!)),
  );
  wanted.forEach((type, i) => entities.set(type, values[i]!));
  return { template, entities };
}

function render(
  template: TemplateDefinition,
  entities: Map<string, FeatureValues | null>,
  variables: Record<string, string>,
) {
  const declared = new Set(template.features);
  return renderTemplate(template.template, (p) => {
    if (p.kind === 'variable')
      return Object.hasOwn(variables, p.name) ? variables[p.name] : undefined;
    // Only declared features are ever substituted, whatever else the text names.
    const values = declared.has(p.name) ? entities.get(p.entityType) : undefined;
    return values && Object.hasOwn(values, p.key) ? formatFeatureValue(values[p.key]!) : undefined;
  });
}

function withSystemPrompt(messages: ChatMessage[], text: string): ChatMessage[] | null {
  if (text === '') return messages;
  const [first, ...others] = messages;
  if (first && (first.role === 'system' || first.role === 'developer')) {
    const content = first.content === '' ? text : `${text}\n\n${first.content}`;
    return content.length > MAX_MESSAGE_CHARS ? null : [{ ...first, content }, ...others];
  }
  if (messages.length >= MAX_MESSAGES || text.length > MAX_MESSAGE_CHARS) return null;
  return [{ role: 'system', content: text }, ...messages];
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 200);
}
