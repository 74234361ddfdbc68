import { randomBytes } from 'node:crypto';

export type FilePurpose = 'batch' | 'batch_output';

/** OpenAI's `file` object. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number | null;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  status_details: null;
}

interface StoredFile {
  meta: FileObject;
  content: Buffer;
}

/** `file-` + 22 base62-ish chars, like OpenAI's ids. */
export function fileId(): string {
  return 'file-' + randomBytes(17).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22);
}

/**
 * The simulator's /v1/files: in memory, bounded by `maxTotalBytes` (oldest files are dropped
 * first), because a long-running simulator must not grow without limit.
 */
export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private totalBytes = 0;

  constructor(private readonly maxTotalBytes: number) {}

  create(content: Buffer, filename: string, purpose: FilePurpose, nowMs: number): FileObject {
    const meta: FileObject = {
      id: fileId(),
      object: 'file',
      bytes: content.length,
      created_at: Math.floor(nowMs / 1000),
      expires_at: null,
      filename,
      purpose,
      status: 'processed',
      status_details: null,
    };
    this.files.set(meta.id, { meta, content });
    this.totalBytes += content.length;
    this.evict(meta.id);
    return { ...meta };
  }

  get(id: string): FileObject | undefined {
    const f = this.files.get(id);
    return f ? { ...f.meta } : undefined;
  }

  content(id: string): Buffer | undefined {
    return this.files.get(id)?.content;
  }

  delete(id: string): boolean {
    const f = this.files.get(id);
    if (!f) return false;
    this.files.delete(id);
    this.totalBytes -= f.content.length;
    return true;
  }

  /** Newest first, like OpenAI's list. */
  list(purpose?: string): FileObject[] {
    return [...this.files.values()]
      .map((f) => ({ ...f.meta }))
      .filter((m) => !purpose || m.purpose === purpose)
      .reverse();
  }

  private evict(keep: string): void {
    for (const id of this.files.keys()) {
      if (this.totalBytes <= this.maxTotalBytes) return;
      if (id !== keep) this.delete(id);
    }
  }
}
