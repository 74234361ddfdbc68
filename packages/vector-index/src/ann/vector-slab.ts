/**
 * Vectors in one contiguous Float32Array, addressed by slot number. Freed slots are reused, so
 * the array never holds more rows than the peak live count. One flat array keeps the scan cache-
 * friendly and costs no per-vector object.
 */
export class VectorSlab {
  data: Float32Array;
  live: Uint8Array;
  /** Slots ever handed out; every live slot is below it. */
  highWater = 0;
  size = 0;
  private free: number[] = [];

  constructor(
    readonly dims: number,
    private capacity = 1024,
  ) {
    this.data = new Float32Array(capacity * dims);
    this.live = new Uint8Array(capacity);
  }

  allocate(): number {
    const slot = this.free.pop() ?? this.highWater++;
    if (slot >= this.capacity) this.grow(slot + 1);
    this.live[slot] = 1;
    this.size++;
    return slot;
  }

  release(slot: number): void {
    if (this.live[slot] !== 1) return;
    this.live[slot] = 0;
    this.size--;
    this.free.push(slot);
  }

  write(slot: number, vector: Float32Array): void {
    this.data.set(vector, slot * this.dims);
  }

  /** Copies little-endian float32 bytes straight in: Redis buffers are rarely 4-byte aligned. */
  writeBytes(slot: number, bytes: Uint8Array): void {
    new Uint8Array(this.data.buffer, slot * this.dims * 4, this.dims * 4).set(bytes);
  }

  read(slot: number): Float32Array {
    return this.data.slice(slot * this.dims, (slot + 1) * this.dims);
  }

  get byteLength(): number {
    return this.data.byteLength + this.live.byteLength + this.free.length * 8;
  }

  /** Listeners learn the new capacity so per-slot side arrays can grow with the slab. */
  onGrow: ((capacity: number) => void) | undefined;

  private grow(min: number): void {
    // 1.5x keeps the transient copy (old + new array) smaller than doubling would at 100k rows.
    const capacity = Math.max(min, Math.ceil(this.capacity * 1.5));
    const data = new Float32Array(capacity * this.dims);
    data.set(this.data);
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.data = data;
    this.live = live;
    this.capacity = capacity;
    this.onGrow?.(capacity);
  }
}
