import { describe, expect, it } from 'vitest';
import { multipartBoundary, parseMultipart } from './multipart';

describe('multipart', () => {
  it('reads the boundary, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc123')).toBe('abc123');
    expect(multipartBoundary('multipart/form-data; boundary="x y"')).toBe('x y');
    expect(multipartBoundary('application/json')).toBeUndefined();
  });

  it('splits fields and files, keeping file bytes intact', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob(['{"a":1}\r\n{"b":2}\n']), 'in.jsonl');
    const request = new Request('http://x', { method: 'POST', body: form });
    const boundary = multipartBoundary(request.headers.get('content-type') ?? '');
    const parts = parseMultipart(Buffer.from(await request.arrayBuffer()), boundary as string);
    expect(parts.map((p) => [p.name, p.filename, p.data.toString()])).toEqual([
      ['purpose', undefined, 'batch'],
      ['file', 'in.jsonl', '{"a":1}\r\n{"b":2}\n'],
    ]);
  });
});
