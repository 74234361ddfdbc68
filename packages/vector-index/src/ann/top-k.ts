/**
 * The k best (slot, score) pairs seen so far, best first. k is small (a cache asks for 1–10), so a
 * sorted insertion into a fixed array beats a heap.
 */
export class TopK {
  readonly slots: Int32Array;
  readonly scores: Float64Array;
  size = 0;

  constructor(readonly k: number) {
    this.slots = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** Empties it for reuse. */
  clear(): void {
    this.size = 0;
  }

  /** The score a candidate must beat to enter (−Infinity until full). */
  get floor(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[this.k - 1]!;
  }

  push(slot: number, score: number): void {
    if (this.k === 0 || score <= this.floor) return;
    let i = this.size < this.k ? this.size++ : this.k - 1;
    while (i > 0 && this.scores[i - 1]! < score) {
      this.scores[i] = this.scores[i - 1]!;
      this.slots[i] = this.slots[i - 1]!;
      i--;
    }
    this.scores[i] = score;
    this.slots[i] = slot;
  }
}
