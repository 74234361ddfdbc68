import { describe, expect, it } from 'vitest';
import { requestMessageSchema } from '@asahi/contracts';
import {
  buildBulkMessage,
  bulkIdFor,
  bulkRequestIdFor,
  chunkBySize,
  explicitModels,
  parseBulkUpload,
  parsePriority,
  rejectUnknownModels,
  splitLines,
  type ParsedUpload,
} from './bulk-request';

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const line = (customId: unknown, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body,
    ...over,
  });

function parsed(text: string, maxLines = 100): ParsedUpload {
  const outcome = parseBulkUpload(text, { maxLines });
  if (!outcome.ok) throw new Error(outcome.reason);
  return outcome.value;
}

describe('splitLines', () => {
  it.each([
    ['LF', 'a\nb', [1, 2]],
    ['CRLF', 'a\r\nb\r\n', [1, 2]],
    ['blank and whitespace-only lines are skipped but counted', '\na\n  \n\t\r\nb\n\n', [2, 5]],
    ['a leading BOM', '\uFEFFa', [1]],
    ['nothing', '', []],
  ])('%s', (_name, text, numbers) => {
    const lines = splitLines(text);
    expect(lines.map((l) => l.line)).toEqual(numbers);
    for (const l of lines) expect(l.text).not.toMatch(/[\r\n\uFEFF]/);
  });
});

describe('parseBulkUpload: lines', () => {
  const cases: {
    name: string;
    raw: string;
    path: string;
    message?: RegExp;
    customId?: string;
  }[] = [
    { name: 'bad JSON', raw: '{"custom_id": "a", ', path: '(root)', message: /Malformed JSON/ },
    { name: 'not an object', raw: '[1, 2]', path: '(root)', message: /JSON object/ },
    { name: 'a JSON string', raw: '"hello"', path: '(root)' },
    { name: 'missing custom_id', raw: line(undefined), path: 'custom_id' },
    { name: 'empty custom_id', raw: line(''), path: 'custom_id' },
    { name: 'custom_id too long', raw: line('x'.repeat(65)), path: 'custom_id' },
    { name: 'custom_id not a string', raw: line(7), path: 'custom_id' },
    { name: 'wrong method', raw: line('a', { method: 'GET' }), path: 'method', customId: 'a' },
    {
      name: 'wrong url',
      raw: line('a', { url: '/v1/embeddings' }),
      path: 'url',
      customId: 'a',
    },
    { name: 'unknown field', raw: line('a', { extra: 1 }), path: '(root)', customId: 'a' },
    { name: 'missing body', raw: line('a', { body: undefined }), path: 'body', customId: 'a' },
    { name: 'body not an object', raw: line('a', { body: 'hi' }), path: 'body', customId: 'a' },
    {
      name: 'invalid body',
      raw: line('a', { body: { ...body, messages: [{ role: 'robot', content: 'x' }] } }),
      path: 'body.messages.0.role',
      customId: 'a',
    },
    {
      name: 'streaming body',
      raw: line('a', { body: { ...body, stream: true } }),
      path: 'body.stream',
      customId: 'a',
    },
    {
      name: 'a line naming its own deadline',
      raw: line('a', { body: { ...body, deadline_seconds: 60 } }),
      path: 'body.deadline_seconds',
      message: /completion_window/,
      customId: 'a',
    },
  ];
  it.each(cases)('$name → rejected at $path', ({ raw, path, message, customId }) => {
    const { lines, rejected } = parsed(`${line('ok')}\n${raw}\n`);
    expect(lines.map((l) => l.customId)).toEqual(['ok']);
    expect(rejected).toHaveLength(1);
    const [r] = rejected;
    expect(r).toMatchObject({ line: 2, code: 'invalid_request' });
    expect(r!.issues?.map((i) => i.path)).toContain(path);
    if (message) expect(r!.message).toMatch(message);
    expect(r!.custom_id).toBe(customId);
  });

  it('reports every issue of a line at once', () => {
    const { rejected } = parsed(
      line('a', { method: 'PUT', url: '/x', body: { ...body, temperature: 9 } }),
    );
    expect(rejected[0]!.issues!.map((i) => i.path).sort()).toEqual([
      'body.temperature',
      'method',
      'url',
    ]);
  });

  it('a duplicate custom_id is rejected after its first occurrence, naming that line', () => {
    const text = [line('a'), line('b'), '', line('a'), line('a', { body: 'bad' })].join('\n');
    const { lines, rejected } = parsed(text);
    expect(lines.map((l) => [l.line, l.customId])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(rejected.map((r) => [r.line, r.custom_id])).toEqual([
      [4, 'a'],
      [5, 'a'],
    ]);
    expect(rejected[0]!.message).toMatch(/duplicate custom_id \(first on line 1\)/);
  });

  it('line numbers are physical: CRLF, blank lines and a BOM do not shift them', () => {
    const text = `\uFEFF${line('a')}\r\n\r\n   \r\n{bad\r\n${line('b')}\r\n`;
    const { lines, rejected } = parsed(text);
    expect(lines.map((l) => [l.line, l.customId])).toEqual([
      [1, 'a'],
      [5, 'b'],
    ]);
    expect(rejected.map((r) => r.line)).toEqual([4]);
  });

  it('keeps the validated body with its Asahi fields', () => {
    const { lines } = parsed(
      line('a', { body: { ...body, metadata: { k: 'v' }, priority: 'interactive' } }),
    );
    expect(lines[0]!.body).toEqual({ ...body, metadata: { k: 'v' }, priority: 'interactive' });
  });
});

describe('parseBulkUpload: the upload', () => {
  it.each([
    ['empty', ''],
    ['only blank lines', '\n \r\n\t\n'],
  ])('%s → invalid', (_name, text) => {
    const outcome = parseBulkUpload(text, { maxLines: 10 });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/no lines/);
  });

  it('too many lines → invalid; blank lines do not count', () => {
    const three = [line('a'), line('b'), line('c')];
    expect(parseBulkUpload(three.join('\n\n\n'), { maxLines: 3 }).ok).toBe(true);
    const outcome = parseBulkUpload([...three, line('d')].join('\n'), { maxLines: 3 });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/at most 3 lines per upload \(got 4\)/);
  });

  it('every line bad is still a parsed upload (the route answers 400)', () => {
    const { lines, rejected } = parsed('x\ny');
    expect(lines).toEqual([]);
    expect(rejected.map((r) => r.line)).toEqual([1, 2]);
  });
});

describe('models', () => {
  const text = [
    line('a'),
    line('b', { body: { ...body, model: 'gpt-9' } }),
    line('c', { body: { ...body, model: 'gpt-9', routing: { mode: 'autopilot' } } }),
    '{bad',
    line('e', { body: { ...body, model: 'gpt-9', routing: { mode: 'explicit' } } }),
  ].join('\n');

  it('explicitModels lists distinct explicitly named models only', () => {
    expect(explicitModels(parsed(text).lines).sort()).toEqual(['gpt-4o-mini', 'gpt-9']);
  });

  const stepped = (model: string) => ({
    ...body,
    routing: { mode: 'autopilot' },
    steps: { input: 'doc', steps: [{ id: 's', template: '{{input}}', model }] },
  });
  const withSteps = [
    line('s1', { body: stepped('gpt-4o-mini') }),
    line('s2', { body: stepped('gpt-9') }),
    line('s3', { body: { ...body, model: 'gpt-9' } }),
  ].join('\n');

  it('explicitModels includes step models, and follows the tenant’s routing mode', () => {
    expect(explicitModels(parsed(withSteps).lines).sort()).toEqual(['gpt-4o-mini', 'gpt-9']);
    expect(explicitModels(parsed(text).lines, 'autopilot').sort()).toEqual(['gpt-9']);
  });

  it('rejectUnknownModels rejects a line whose step names an unknown model, at its path', () => {
    const { lines, rejected } = rejectUnknownModels(parsed(withSteps), new Set(['gpt-9']));
    expect(lines.map((l) => l.customId)).toEqual(['s1']);
    expect(rejected).toEqual([
      {
        line: 2,
        custom_id: 's2',
        code: 'unknown_model',
        message: 'Unknown or disabled model: gpt-9',
        issues: [{ path: 'body.steps.steps.0.model', message: 'not in the model registry' }],
      },
      expect.objectContaining({ line: 3, custom_id: 's3', code: 'unknown_model' }),
    ]);
  });

  it('rejectUnknownModels keeps a line naming an unknown model when the tenant routes by autopilot', () => {
    const { lines, rejected } = rejectUnknownModels(parsed(text), new Set(['gpt-9']), 'autopilot');
    expect(lines.map((l) => l.customId)).toEqual(['a', 'b', 'c']);
    expect(rejected.map((r) => [r.line, r.code, r.custom_id])).toEqual([
      [4, 'invalid_request', undefined],
      [5, 'unknown_model', 'e'],
    ]);
  });

  it('rejectUnknownModels moves explicit lines with an unknown model, in line order', () => {
    const { lines, rejected } = rejectUnknownModels(parsed(text), new Set(['gpt-9']));
    expect(lines.map((l) => l.customId)).toEqual(['a', 'c']);
    expect(rejected.map((r) => [r.line, r.code, r.custom_id])).toEqual([
      [2, 'unknown_model', 'b'],
      [4, 'invalid_request', undefined],
      [5, 'unknown_model', 'e'],
    ]);
    expect(rejected[0]!.issues).toEqual([
      { path: 'body.model', message: 'not in the model registry' },
    ]);
  });
});

describe('ids', () => {
  it('bulkIdFor: derived from tenant + key, else a random ULID', () => {
    const a = bulkIdFor('tenant_a', 'upload-1', 1);
    expect(a).toMatch(/^bulk_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(bulkIdFor('tenant_a', 'upload-1', 999)).toBe(a);
    expect(bulkIdFor('tenant_b', 'upload-1', 1)).not.toBe(a);
    expect(bulkIdFor('tenant_a', 'upload-2', 1)).not.toBe(a);
    const random = bulkIdFor('tenant_a', undefined, 1_000);
    expect(random).toMatch(/^bulk_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(bulkIdFor('tenant_a', undefined, 1_000)).not.toBe(random);
  });

  it('bulkRequestIdFor: deterministic per (tenant, bulk, custom_id), distinct otherwise', () => {
    const id = bulkRequestIdFor('tenant_a', 'bulk_1', 'row-1');
    expect(id).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(bulkRequestIdFor('tenant_a', 'bulk_1', 'row-1')).toBe(id);
    const others = new Set([
      id,
      bulkRequestIdFor('tenant_b', 'bulk_1', 'row-1'),
      bulkRequestIdFor('tenant_a', 'bulk_2', 'row-1'),
      bulkRequestIdFor('tenant_a', 'bulk_1', 'row-2'),
    ]);
    expect(others.size).toBe(4);
  });
});

describe('buildBulkMessage', () => {
  const acceptedAt = new Date('2026-11-22T10:00:00.000Z');
  const deadlineAt = new Date('2026-11-23T10:00:00.000Z');
  const ctx = { tenantId: 'tenant_a', bulkId: 'bulk_X', acceptedAt, deadlineAt };

  it('mode bulk, the upload deadline, ids merged into metadata, a valid RequestMessage', () => {
    const [l] = parsed(
      line('row-1', { body: { ...body, metadata: { k: 'v', custom_id: 'x' } } }),
    ).lines;
    const message = buildBulkMessage(l!, ctx);
    expect(message).toEqual({
      schemaVersion: 1,
      requestId: bulkRequestIdFor('tenant_a', 'bulk_X', 'row-1'),
      tenantId: 'tenant_a',
      mode: 'bulk',
      acceptedAt: '2026-11-22T10:00:00.000Z',
      deadlineAt: '2026-11-23T10:00:00.000Z',
      body,
      metadata: { k: 'v', bulk_id: 'bulk_X', custom_id: 'row-1' },
    });
    expect(requestMessageSchema.parse(message)).toEqual(message);
  });

  it.each([
    ['neither', undefined, undefined, undefined],
    ['the upload priority', undefined, 'background', 'background'],
    ['the line priority wins', 'interactive', 'background', 'interactive'],
  ] as const)('priority: %s', (_name, own, upload, want) => {
    const [l] = parsed(line('a', { body: own ? { ...body, priority: own } : body })).lines;
    const message = buildBulkMessage(l!, { ...ctx, priority: upload });
    expect(message.priority).toBe(want);
  });
});

describe('parsePriority', () => {
  it.each([
    [undefined, true],
    ['interactive', true],
    ['standard', true],
    ['background', true],
    ['urgent', false],
    [['standard', 'background'], false],
  ])('%j → ok=%s', (query, ok) => {
    const outcome = parsePriority(query);
    expect(outcome.ok).toBe(ok);
    if (!outcome.ok) expect(outcome.issues[0]?.path).toBe('priority');
  });
});

describe('chunkBySize', () => {
  const size = (n: number) => n;
  it.each([
    ['nothing', [], 10, 5, []],
    ['under both limits', [1, 2, 3], 10, 5, [[1, 2, 3]]],
    ['by bytes', [4, 4, 4], 10, 5, [[4, 4], [4]]],
    ['by count', [1, 1, 1, 1, 1], 100, 2, [[1, 1], [1, 1], [1]]],
    ['an oversized item gets a run of its own', [3, 20, 3], 10, 5, [[3], [20], [3]]],
    ['exactly at the byte limit', [5, 5, 5], 10, 5, [[5, 5], [5]]],
  ])('%s', (_name, items, maxBytes, maxCount, want) => {
    expect(chunkBySize(items, size, { maxBytes, maxCount })).toEqual(want);
  });
});
