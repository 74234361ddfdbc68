import { describe, expect, it } from 'vitest';
import { FileStore } from './file-store';

describe('FileStore', () => {
  it('keeps content and metadata until deleted', () => {
    const store = new FileStore(1_000);
    const file = store.create(Buffer.from('abc'), 'in.jsonl', 'batch', 5_500);
    expect(file).toMatchObject({ object: 'file', bytes: 3, created_at: 5, purpose: 'batch' });
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{22}$/);
    expect(store.content(file.id)?.toString()).toBe('abc');
    expect(store.delete(file.id)).toBe(true);
    expect(store.delete(file.id)).toBe(false);
    expect(store.get(file.id)).toBeUndefined();
  });

  it('drops the oldest files once the total passes its bound, never the new one', () => {
    const store = new FileStore(10);
    const a = store.create(Buffer.alloc(4), 'a.jsonl', 'batch', 0);
    const b = store.create(Buffer.alloc(4), 'b.jsonl', 'batch', 0);
    const c = store.create(Buffer.alloc(4), 'c.jsonl', 'batch_output', 0);
    expect(store.list().map((f) => f.id)).toEqual([c.id, b.id]);
    expect(store.get(a.id)).toBeUndefined();
    const huge = store.create(Buffer.alloc(50), 'h.jsonl', 'batch', 0);
    expect(store.list().map((f) => f.id)).toEqual([huge.id]);
    expect(store.list('batch_output')).toEqual([]);
  });
});
