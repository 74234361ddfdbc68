import { describe, expect, it } from 'vitest';
import {
  fixtures,
  requestMessageSchema,
  type EnrichmentRequest,
  type RequestMessage,
} from '@asahi/contracts';
import { enrichRequest, type EnrichRequestPorts } from './enrich.stage';
import type { FeatureValues, TemplateDefinition } from './enrichment.ports';

const TENANT = 'tenant_demo';
const base = requestMessageSchema.parse(fixtures.request());
const SYSTEM = base.body.messages[0]!.content; // "You are a concise assistant."
const QUESTION = base.body.messages[1]!;

const TEMPLATES: Record<string, Record<string, TemplateDefinition>> = {
  [TENANT]: {
    greet: {
      template:
        'You are helping {{user.name}} of {{organization.name}} on the {{user.plan}} plan. {{input}}',
      features: ['user.name', 'organization.name', 'user.plan'],
    },
    plain: { template: 'Be brief.', features: [] },
    undeclared: { template: 'Secret: {{user.secret}}.', features: ['user.name'] },
  },
  tenant_other: { greet: { template: 'OTHER TENANT {{user.name}}', features: ['user.name'] } },
};
const FEATURES: Record<string, FeatureValues> = {
  [`${TENANT}|user|u-1`]: { name: 'Ada', plan: 'pro', secret: 'x' },
  [`${TENANT}|user|u-null`]: { name: null, plan: 'free' },
  [`${TENANT}|organization|acme`]: { name: 'Acme' },
  ['tenant_other|user|u-1']: { name: 'Mallory', plan: 'stolen' },
};

/** In-memory ports keyed by tenant, recording every call. */
function ports(overrides: Partial<EnrichRequestPorts> = {}) {
  const calls: string[] = [];
  let now = 1_000;
  const p: EnrichRequestPorts = {
    clock: { now: () => (now += 2) },
    templates: {
      getTemplate: async (t, id) => (calls.push(`template ${t}/${id}`), TEMPLATES[t]?.[id] ?? null),
    },
    features: {
      getFeatures: async (t, type, id) => (
        calls.push(`features ${t}/${type}/${id}`),
        FEATURES[`${t}|${type}|${id}`] ?? null
      ),
    },
    ...overrides,
  };
  return { ports: p, calls };
}

function request(enrichment?: Partial<EnrichmentRequest>, patch: Partial<RequestMessage> = {}) {
  const r: RequestMessage = { ...base, ...patch };
  if (enrichment)
    r.enrichment = { templateId: 'greet', entities: {}, variables: {}, ...enrichment };
  return r;
}

const OPTS = { budgetMs: 1_000 };
const never = () => new Promise<never>(() => undefined);

describe('enrichRequest', () => {
  it.each([
    [
      'every feature and variable present → applied, prepended to the system message',
      { entities: { user: 'u-1', organization: 'acme' }, variables: { input: 'Thanks!' } },
      'applied',
      [],
      `You are helping Ada of Acme on the pro plan. Thanks!\n\n${SYSTEM}`,
    ],
    [
      'an entity the request does not name → its features render empty, still applied',
      { entities: { user: 'u-1' }, variables: { input: 'Thanks!' } },
      'missing_features',
      ['organization.name'],
      `You are helping Ada of  on the pro plan. Thanks!\n\n${SYSTEM}`,
    ],
    [
      'an entity without a record, and a missing variable',
      { entities: { user: 'u-404', organization: 'acme' } },
      'missing_features',
      ['user.name', 'user.plan', 'input'],
      `You are helping  of Acme on the  plan. \n\n${SYSTEM}`,
    ],
    [
      'a null feature value renders empty but is not missing',
      { entities: { user: 'u-null', organization: 'acme' }, variables: { input: '?' } },
      'applied',
      [],
      `You are helping  of Acme on the free plan. ?\n\n${SYSTEM}`,
    ],
    [
      'an undeclared feature is never substituted, even when the entity has it',
      { templateId: 'undeclared', entities: { user: 'u-1' } },
      'missing_features',
      ['user.secret'],
      `Secret: .\n\n${SYSTEM}`,
    ],
    [
      'a variable holding placeholder syntax is inserted literally, not expanded',
      {
        entities: { user: 'u-1', organization: 'acme' },
        variables: { input: '{{user.secret}} {{constructor}}' },
      },
      'applied',
      [],
      `You are helping Ada of Acme on the pro plan. {{user.secret}} {{constructor}}\n\n${SYSTEM}`,
    ],
  ])('%s', async (_case, enrichment, status, missing, system) => {
    const outcome = await enrichRequest(request(enrichment), ports().ports, OPTS);
    expect(outcome.status).toBe(status);
    expect(outcome.missing).toEqual(missing);
    expect(outcome.request.body.messages).toEqual([{ role: 'system', content: system }, QUESTION]);
    expect(outcome.request.enrichment).toBeUndefined();
    expect(outcome.timings.enrichment).toBeGreaterThan(0);
  });

  it('inserts a system message when the request has none, leaving the rest as it was', async () => {
    const body = { ...base.body, messages: [QUESTION] };
    const outcome = await enrichRequest(
      request({ templateId: 'plain' }, { body }),
      ports().ports,
      OPTS,
    );
    expect(outcome.status).toBe('applied');
    expect(outcome.request.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      QUESTION,
    ]);
    expect({ ...outcome.request, body: base.body }).toEqual({ ...base, body: base.body });
  });

  it('treats a leading developer message as the system prompt', async () => {
    const body = {
      ...base.body,
      messages: [{ role: 'developer' as const, content: 'Dev.' }, QUESTION],
    };
    const outcome = await enrichRequest(
      request({ templateId: 'plain' }, { body }),
      ports().ports,
      OPTS,
    );
    expect(outcome.request.body.messages[0]).toEqual({
      role: 'developer',
      content: 'Be brief.\n\nDev.',
    });
  });

  it('is a no-op without an enrichment field, and idempotent once applied', async () => {
    const { ports: p, calls } = ports();
    const skipped = await enrichRequest(base, p, OPTS);
    expect(skipped).toEqual({ request: base, status: 'skipped', missing: [], timings: {} });
    const once = await enrichRequest(request({ templateId: 'plain' }), p, OPTS);
    const twice = await enrichRequest(once.request, p, OPTS);
    expect(twice.status).toBe('skipped');
    expect(twice.request).toBe(once.request);
    expect(calls).toEqual([`template ${TENANT}/plain`]);
  });

  it('reads only under the request tenant: another tenant’s template or features are never used', async () => {
    const { ports: p, calls } = ports();
    const outcome = await enrichRequest(
      request(
        { templateId: 'greet', entities: { user: 'u-1', organization: 'acme' } },
        { tenantId: 'tenant_x' },
      ),
      p,
      OPTS,
    );
    expect(outcome.status).toBe('missing_template');
    expect(calls).toEqual(['template tenant_x/greet']);

    const other = await enrichRequest(
      request({ templateId: 'greet', entities: { user: 'u-1' } }, { tenantId: 'tenant_other' }),
      p,
      OPTS,
    );
    expect(other.request.body.messages[0]!.content).toContain('OTHER TENANT Mallory');
    expect(calls.slice(1)).toEqual([
      'template tenant_other/greet',
      'features tenant_other/user/u-1',
    ]);
  });

  it('fetches only the entities the template declares features of', async () => {
    const { ports: p, calls } = ports();
    await enrichRequest(
      request({ templateId: 'greet', entities: { user: 'u-1', organization: 'acme', team: 't' } }),
      p,
      OPTS,
    );
    expect(calls.sort()).toEqual([
      `features ${TENANT}/organization/acme`,
      `features ${TENANT}/user/u-1`,
      `template ${TENANT}/greet`,
    ]);
  });

  type Case = [string, Partial<EnrichRequestPorts>, string];
  it.each<Case>([
    ['a template lookup that never answers', { templates: { getTemplate: never } }, 'timeout'],
    ['a feature lookup that never answers', { features: { getFeatures: never } }, 'timeout'],
    [
      'a template lookup that fails',
      { templates: { getTemplate: async () => Promise.reject(new Error('redis down')) } },
      'error',
    ],
    [
      'a feature lookup that fails',
      { features: { getFeatures: async () => Promise.reject(new Error('pg down')) } },
      'error',
    ],
    ['a missing template', { templates: { getTemplate: async () => null } }, 'missing_template'],
  ])('%s → the request goes on un-enriched (%s)', async (_case, overrides, status) => {
    const input = request({ entities: { user: 'u-1', organization: 'acme' } });
    const outcome = await enrichRequest(input, ports(overrides).ports, { budgetMs: 20 });
    expect(outcome.status).toBe(status);
    expect(outcome.request).toBe(input);
    expect(outcome.missing).toEqual([]);
    expect(typeof outcome.timings.enrichment).toBe('number');
  });

  it('reports the failure reason for logs', async () => {
    const outcome = await enrichRequest(
      request({}),
      ports({ templates: { getTemplate: async () => Promise.reject(new Error('redis down')) } })
        .ports,
      OPTS,
    );
    expect(outcome.reason).toBe('redis down');
  });

  it('does not apply a rendered template over the size cap', async () => {
    const input = request({ templateId: 'plain' });
    const outcome = await enrichRequest(input, ports().ports, {
      budgetMs: 1_000,
      maxRenderedChars: 5,
    });
    expect(outcome.status).toBe('error');
    expect(outcome.request).toBe(input);
  });

  it('the result is still a valid request message', async () => {
    const outcome = await enrichRequest(
      request({ entities: { user: 'u-1', organization: 'acme' }, variables: { input: 'x' } }),
      ports().ports,
      OPTS,
    );
    expect(requestMessageSchema.parse(outcome.request)).toEqual(outcome.request);
  });
});
