import { describe, expect, it } from 'vitest';
import {
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
} from './cache-keys';
import {
  checkTemplate,
  formatFeatureValue,
  isEntityType,
  isReservedKey,
  MAX_TEMPLATE_CHARS,
  parseFeatureName,
  renderTemplate,
  scanTemplate,
  type Placeholder,
} from './prompt-template';

describe('parseFeatureName', () => {
  it.each([
    ['user.name', { entityType: 'user', key: 'name' }],
    ['organization.display_name', { entityType: 'organization', key: 'display_name' }],
    ['team-2.Plan', { entityType: 'team-2', key: 'Plan' }],
    ['user', null],
    ['User.name', null],
    ['user.', null],
    ['.name', null],
    ['user.name.first', null],
    ['us:er.name', null],
    ['user.na me', null],
  ])('%s → %j', (name, expected) => {
    expect(parseFeatureName(name)).toEqual(expected);
  });
});

describe('scanTemplate', () => {
  it.each<[string, string, Placeholder[], string[]]>([
    [
      'features and variables, spaces inside braces allowed',
      'Hi {{ user.name }} of {{organization.name}}: {{input}}',
      [
        { kind: 'feature', name: 'user.name', entityType: 'user', key: 'name' },
        { kind: 'feature', name: 'organization.name', entityType: 'organization', key: 'name' },
        { kind: 'variable', name: 'input' },
      ],
      [],
    ],
    [
      'malformed names',
      '{{user name}} {{a.b.c}} {{}} {{1x}}',
      [],
      ['{{user name}}', '{{a.b.c}}', '{{}}', '{{1x}}'],
    ],
    ['single braces are text', '{user.name} { {x} }', [], []],
    [
      'triple braces: the inner pair is the placeholder',
      '{{{input}}}',
      [{ kind: 'variable', name: 'input' }],
      [],
    ],
  ])('%s', (_case, template, placeholders, malformed) => {
    expect(scanTemplate(template)).toEqual({ placeholders, malformed });
  });
});

describe('checkTemplate', () => {
  const example =
    'You are helping {{user.name}} of {{organization.name}} on the {{user.plan}} plan. {{input}}';
  it.each<[string, string, string[], string[]]>([
    ['the example of the issue', example, ['user.name', 'organization.name', 'user.plan'], []],
    ['variables need no declaration', 'Answer: {{input}} ({{tone}})', [], []],
    ['declared but unused features are allowed', 'Hi.', ['user.name'], []],
    [
      'an undeclared feature placeholder',
      example,
      ['user.name', 'user.plan'],
      ['template: {{organization.name}} is not declared in features'],
    ],
    [
      'a malformed declaration',
      'Hi {{user.name}}',
      ['user.name', 'user'],
      ['features.1: "user" is not <entityType>.<key>'],
    ],
    [
      'a feature of an entity type the product does not store',
      'Hi {{team.plan}}',
      ['team.plan'],
      ['features.0: "team.plan": entity type must be one of user, organization'],
    ],
    [
      'a reserved feature key',
      'Hi',
      ['user.name', 'organization.constructor', 'user.prototype'],
      [
        'features.1: "organization.constructor": "constructor" is reserved',
        'features.2: "user.prototype": "prototype" is reserved',
      ],
    ],
    [
      'a duplicate declaration',
      'Hi {{user.name}}',
      ['user.name', 'user.name'],
      ['features.1: "user.name" is declared twice'],
    ],
    [
      'a malformed placeholder',
      'Hi {{user name}}',
      [],
      ['template: malformed placeholder {{user name}}'],
    ],
    ['an empty template', '', [], ['template: must not be empty']],
    [
      'an oversized template',
      'x'.repeat(MAX_TEMPLATE_CHARS + 1),
      [],
      [`template: longer than ${MAX_TEMPLATE_CHARS} characters`],
    ],
    [
      'too many features',
      'Hi',
      Array.from({ length: 65 }, (_, i) => `user.k${i}`),
      ['features: more than 64 features'],
    ],
  ])('%s', (_case, template, features, issues) => {
    expect(checkTemplate({ template, features }).map((i) => `${i.path}: ${i.message}`)).toEqual(
      issues,
    );
  });
});

describe('renderTemplate', () => {
  const values: Record<string, string> = {
    'user.name': 'Ada',
    input: 'What is {{user.secret}}?',
    dollar: '$& $1 $$',
  };
  const lookup = (p: Placeholder) => values[p.name];
  it.each([
    [
      'substitutes features and variables',
      'Hi {{user.name}}: {{ input }}',
      'Hi Ada: What is {{user.secret}}?',
      [],
    ],
    [
      'missing values render empty and are listed once',
      '[{{user.plan}}][{{user.plan}}][{{x}}]',
      '[][][]',
      ['user.plan', 'x'],
    ],
    ['malformed placeholders stay as written', 'Hi {{user name}}', 'Hi {{user name}}', []],
    ['replacement patterns in values are literal', '{{dollar}}', '$& $1 $$', []],
    ['no placeholders', 'plain text', 'plain text', []],
  ])('%s', (_case, template, text, missing) => {
    expect(renderTemplate(template, lookup)).toEqual({ text, missing });
  });
});

describe('formatFeatureValue', () => {
  it.each([
    ['text', 'text'],
    [42, '42'],
    [0.5, '0.5'],
    [true, 'true'],
    [false, 'false'],
    [null, ''],
  ])('%j → %j', (value, text) => {
    expect(formatFeatureValue(value)).toBe(text);
  });
});

describe('cache keys', () => {
  it('scope every key by prefix and tenant, and never collide across kinds', () => {
    expect(featureCacheKey('asahi', 't1', 'user', 'u-1')).toBe(
      'asahi:enrich:{t1}:feature:user:u-1',
    );
    expect(templateCacheKey('asahi-ns', 't1', 'greet')).toBe('asahi-ns:enrich:{t1}:template:greet');
    expect(featureCacheKey('asahi', 't1', 'user', 'u-1')).not.toBe(
      featureCacheKey('asahi', 't2', 'user', 'u-1'),
    );
  });

  it('keep generations apart from entries, whatever the ids contain, in the entry’s slot', () => {
    const entries = [
      featureCacheKey('asahi', 't1', 'user', 'u-1:gen'),
      featureCacheKey('asahi', 't1', 'user', 'gen:feature:user:u-1'),
      templateCacheKey('asahi', 't1', 'gen:template:greet'),
    ];
    const generations = [
      featureGenerationKey('asahi', 't1', 'user', 'u-1'),
      templateGenerationKey('asahi', 't1', 'greet'),
    ];
    for (const g of generations) {
      expect(entries).not.toContain(g);
      expect(g.startsWith('asahi:enrich:{t1}:gen:')).toBe(true);
    }
  });
});

describe('isEntityType / isReservedKey', () => {
  it.each([
    ['user', true],
    ['organization', true],
    ['team', false],
    ['users', false],
    ['', false],
  ])('isEntityType(%j) → %s', (type, want) => {
    expect(isEntityType(type)).toBe(want);
  });

  it.each([
    ['__proto__', true],
    ['constructor', true],
    ['prototype', true],
    ['plan', false],
    ['proto', false],
  ])('isReservedKey(%j) → %s', (key, want) => {
    expect(isReservedKey(key)).toBe(want);
  });
});
