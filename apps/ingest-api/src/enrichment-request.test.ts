import { describe, expect, it } from 'vitest';
import {
  MAX_FEATURE_KEYS,
  parseFeatureBody,
  parseFeaturePath,
  parseTemplateBody,
  parseTemplateId,
} from './enrichment-request';

const issuesOf = (o: { ok: boolean; issues?: { path: string; message: string }[] }) =>
  o.ok ? [] : o.issues!.map((i) => i.path);

describe('parseFeaturePath', () => {
  it.each([
    ['user', 'u-42', []],
    ['organization', 'acme.com', []],
    ['user', 'ada@example.com', []],
    ['user', 'crm:123+x', []],
    ['User', 'u-1', ['entityType']],
    ['user.name', 'u-1', ['entityType']],
    ['us:er', 'u-1', ['entityType']],
    ['user', 'a b', ['id']],
    ['user', 'x'.repeat(257), ['id']],
    ['9user', 'a/b', ['entityType', 'id']],
    ['team', 'u-1', ['entityType']],
    ['users', 'u-1', ['entityType']],
  ])('%s / %s → issues at %j', (entityType, id, paths) => {
    expect(issuesOf(parseFeaturePath({ entityType, id }))).toEqual(paths);
  });
});

describe('parseTemplateId', () => {
  it.each([
    ['greet', true],
    ['support.v2:en-GB_1', true],
    ['', false],
    ['has space', false],
    ['x'.repeat(129), false],
  ])('%j → ok=%s', (id, ok) => {
    expect(parseTemplateId(id).ok).toBe(ok);
  });
});

describe('parseFeatureBody', () => {
  const manyKeys = Object.fromEntries(
    Array.from({ length: MAX_FEATURE_KEYS + 1 }, (_, i) => [`k${i}`, i]),
  );
  it.each<[string, unknown, string[]]>([
    ['scalars of every kind', { values: { name: 'Ada', seats: 3, pro: true, note: null } }, []],
    ['an empty set', { values: {} }, []],
    ['missing values', {}, ['values']],
    ['an object value', { values: { a: { b: 1 } } }, ['values.a']],
    ['an array value', { values: { a: [1] } }, ['values.a']],
    ['a key with a dot', { values: { 'a.b': 1 } }, ['values.a.b']],
    ['an oversized string', { values: { a: 'x'.repeat(4_097) } }, ['values.a']],
    ['too many keys', { values: manyKeys }, ['values']],
    ['an unknown top-level field', { values: {}, extra: 1 }, ['(root)']],
    ['not an object', 'nope', ['(root)']],
    // As JSON.parse builds it: an own `__proto__` key, which a schema would drop silently.
    ['a __proto__ key', JSON.parse('{"values":{"__proto__":"x","a":1}}'), ['values.__proto__']],
    ['a constructor key', { values: { constructor: 'x' } }, ['values.constructor']],
    ['a prototype key', { values: { prototype: 1, a: 2 } }, ['values.prototype']],
  ])('%s → issues at %j', (_case, body, paths) => {
    expect(issuesOf(parseFeatureBody(body))).toEqual(paths);
  });

  it('names the reserved key in the reason', () => {
    const outcome = parseFeatureBody(JSON.parse('{"values":{"__proto__":"x"}}'));
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'values.__proto__: "__proto__" is a reserved key',
    });
  });
});

describe('parseTemplateBody', () => {
  it.each<[string, unknown, string[]]>([
    [
      'the example of the issue',
      {
        template:
          'You are helping {{user.name}} of {{organization.name}} on the {{user.plan}} plan. {{input}}',
        features: ['user.name', 'organization.name', 'user.plan'],
      },
      [],
    ],
    ['features default to none', { template: 'Be brief. {{input}}' }, []],
    ['an undeclared placeholder', { template: 'Hi {{user.name}}', features: [] }, ['template']],
    ['a malformed feature name', { template: 'Hi', features: ['username'] }, ['features.0']],
    [
      'a feature of another entity type',
      { template: 'Hi {{team.name}}', features: ['user.name', 'team.name'] },
      ['features.1'],
    ],
    ['an empty template', { template: '', features: [] }, ['template']],
    ['a missing template', { features: [] }, ['template']],
    ['an unknown field', { template: 'Hi', features: [], model: 'x' }, ['(root)']],
  ])('%s → issues at %j', (_case, body, paths) => {
    expect(issuesOf(parseTemplateBody(body))).toEqual(paths);
  });

  it('explains an undeclared placeholder precisely', () => {
    const outcome = parseTemplateBody({ template: 'Hi {{user.name}}', features: [] });
    expect(outcome.ok ? '' : outcome.reason).toBe(
      'template: {{user.name}} is not declared in features',
    );
  });
});
