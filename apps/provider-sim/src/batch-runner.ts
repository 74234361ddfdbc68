import { randomBytes } from 'node:crypto';
import {
  parseBatchInput,
  type BatchEndpoint,
  type BatchError,
  type BatchInput,
  type BatchItem,
} from './batch-input';
import {
  answerItem,
  expiredLine,
  failItem,
  faultError,
  prepareItem,
  preparedModel,
  type BatchResultLine,
} from './batch-item';
import { batchTimeline, expiresAtMs, itemsDoneAt, type BatchTimeline } from './batch-timeline';
import type { FileStore } from './file-store';
import { drawFault } from './routes/provider-call';
import type { SimContext } from './sim-context';

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

const TERMINAL: readonly BatchStatus[] = ['failed', 'completed', 'expired', 'cancelled'];

/** A batch as the simulator tracks it; times in ms, turned into OpenAI's seconds on output. */
export interface BatchRecord {
  id: string;
  endpoint: BatchEndpoint;
  inputFileId: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  status: BatchStatus;
  createdAt: number;
  at: Partial<Record<BatchStatus, number>>;
  errors: BatchError[] | null;
  model: string | null;
  items: BatchItem[];
  /** Number of requests in the input (0 until validated). */
  total: number;
  /** Items executed so far (a prefix of `items`). */
  done: number;
  output: BatchResultLine[];
  failures: BatchResultLine[];
  completed: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  outputFileId: string | null;
  errorFileId: string | null;
}

export interface CreateBatchInput {
  endpoint: BatchEndpoint;
  inputFileId: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
}

/** Finished batches beyond this many are forgotten, oldest first, so memory stays bounded. */
const MAX_BATCHES = 10_000;

const batchId = () => 'batch_' + randomBytes(12).toString('hex');

/**
 * Runs simulated batches: state moves on a timer (unref'd, cleared on close) and is also
 * brought up to date on every read, so what a poller sees never lags the timeline.
 */
export class BatchRunner {
  private readonly batches = new Map<string, BatchRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly timeline: BatchTimeline;

  constructor(
    private readonly ctx: SimContext,
    private readonly files: FileStore,
  ) {
    this.timeline = batchTimeline(
      ctx.config.SIM_BATCH_TURNAROUND_MS,
      ctx.config.SIM_BATCH_COMPLETION_WINDOW_MS,
    );
  }

  create(input: CreateBatchInput): BatchRecord {
    const record: BatchRecord = {
      ...input,
      id: batchId(),
      status: 'validating',
      createdAt: this.ctx.now(),
      at: {},
      errors: null,
      model: null,
      items: [],
      total: 0,
      done: 0,
      output: [],
      failures: [],
      completed: 0,
      failed: 0,
      inputTokens: 0,
      outputTokens: 0,
      outputFileId: null,
      errorFileId: null,
    };
    this.batches.set(record.id, record);
    this.forgetOldest();
    this.ctx.stats.batchCreated();
    this.schedule(record);
    return record;
  }

  get(id: string): BatchRecord | undefined {
    const record = this.batches.get(id);
    if (record) this.advance(record);
    return record;
  }

  /** Newest first. */
  list(): BatchRecord[] {
    const all = [...this.batches.values()].reverse();
    for (const r of all) this.advance(r);
    return all;
  }

  /** validating/in_progress/finalizing → cancelling; false when the batch is already done. */
  cancel(record: BatchRecord): boolean {
    this.advance(record);
    if (record.status === 'cancelling') return true;
    if (TERMINAL.includes(record.status)) return false;
    this.move(record, 'cancelling', this.ctx.now());
    this.schedule(record);
    return true;
  }

  private forgetOldest(): void {
    for (const [id, r] of this.batches) {
      if (this.batches.size <= MAX_BATCHES) return;
      if (TERMINAL.includes(r.status)) this.batches.delete(id);
    }
  }

  close(): void {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }

  /** Ticks often enough that items finish close to their due time, without spinning. */
  private schedule(record: BatchRecord): void {
    if (this.timers.has(record.id)) return;
    const tickMs = Math.max(5, Math.min(250, this.ctx.config.SIM_BATCH_TURNAROUND_MS / 40));
    const timer = setInterval(() => this.advance(record), tickMs);
    timer.unref();
    this.timers.set(record.id, timer);
  }

  /** Applies every transition due by now, in order. */
  private advance(record: BatchRecord): void {
    const now = this.ctx.now();
    for (;;) {
      const before = record.status;
      this.step(record, now);
      if (record.status === before) break;
    }
    if (TERMINAL.includes(record.status)) {
      clearInterval(this.timers.get(record.id));
      this.timers.delete(record.id);
    }
  }

  private step(r: BatchRecord, now: number): void {
    const t = this.timeline;
    const deadline = expiresAtMs(r.createdAt, t);
    switch (r.status) {
      case 'validating': {
        const end = r.createdAt + t.validatingMs;
        if (now >= deadline && deadline < end) return this.expire(r, deadline);
        if (now >= end) this.validate(r, end);
        return;
      }
      case 'in_progress': {
        const start = r.at.in_progress ?? r.createdAt;
        const end = start + t.inProgressMs;
        this.runItems(
          r,
          itemsDoneAt(Math.min(now, deadline) - start, t.inProgressMs, r.items.length),
        );
        if (r.done === r.items.length && now >= end && end <= deadline) {
          this.move(r, 'finalizing', end);
        } else if (now >= deadline) {
          this.expire(r, deadline);
        }
        return;
      }
      case 'finalizing': {
        const end = (r.at.finalizing ?? now) + t.finalizingMs;
        if (now >= deadline && deadline < end) return this.expire(r, deadline);
        if (now >= end) this.finish(r, 'completed', end);
        return;
      }
      case 'cancelling': {
        const end = (r.at.cancelling ?? now) + t.cancellingMs;
        if (now >= end) this.finish(r, 'cancelled', end);
        return;
      }
      default:
        return;
    }
  }

  private validate(r: BatchRecord, at: number): void {
    const content = this.files.content(r.inputFileId);
    const input: BatchInput = content
      ? parseBatchInput(content.toString('utf8'), r.endpoint, this.ctx.config.SIM_FILE_MAX_LINES)
      : {
          ok: false,
          errors: [
            {
              code: 'invalid_file',
              message: `The input file ${r.inputFileId} no longer exists.`,
              param: 'input_file_id',
              line: null,
            },
          ],
        };
    if (!input.ok) {
      r.errors = input.errors;
      this.move(r, 'failed', at);
      return;
    }
    r.items = input.items;
    r.total = input.items.length;
    r.model = input.model;
    this.move(r, 'in_progress', at);
  }

  private runItems(r: BatchRecord, upTo: number): void {
    for (; r.done < upTo; r.done += 1) {
      const item = r.items[r.done] as BatchItem;
      const prepared = prepareItem(item, r.endpoint);
      let result;
      if ('error' in prepared) {
        result = failItem(item, prepared.error);
      } else {
        const model = preparedModel(prepared);
        const fault = drawFault(this.ctx, 'batches', [String(item.body.model), model.id]);
        result = fault
          ? failItem(item, faultError(fault))
          : answerItem(item, prepared, this.ctx.now());
      }
      this.ctx.stats.batchItem(result);
      if (result.ok) {
        r.completed += 1;
        r.inputTokens += result.promptTokens;
        r.outputTokens += result.completionTokens;
        r.output.push(result.line);
      } else {
        r.failed += 1;
        r.failures.push(result.line);
      }
    }
  }

  private expire(r: BatchRecord, at: number): void {
    for (const item of r.items.slice(r.done)) r.failures.push(expiredLine(item));
    this.finish(r, 'expired', at);
  }

  /** Writes the output and error files (only when they have lines), then the final status. */
  private finish(r: BatchRecord, status: BatchStatus, at: number): void {
    const write = (lines: BatchResultLine[], kind: string) =>
      lines.length === 0
        ? null
        : this.files.create(
            Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'),
            `${r.id}_${kind}.jsonl`,
            'batch_output',
            at,
          ).id;
    r.outputFileId = write(r.output, 'output');
    r.errorFileId = write(r.failures, 'error');
    // The lines now live in the files; keep the record small.
    r.output = [];
    r.failures = [];
    r.items = [];
    this.move(r, status, at);
  }

  private move(r: BatchRecord, status: BatchStatus, at: number): void {
    r.status = status;
    r.at[status] = at;
  }
}
