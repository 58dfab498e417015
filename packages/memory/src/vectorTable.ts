/**
 * A growable table of float32 rows (one per document) kept in WebAssembly memory, scored against a
 * query with SIMD dot products (wasm/dot.wat): about four times the speed of a JavaScript loop, which
 * is what lets a 100,000-memory user be searched within the latency budget.
 */

// wat2wasm wasm/dot.wat (wabt 1.0.32), base64. Rebuild and paste when dot.wat changes.
const DOT_WASM = 'AGFzbQEAAAABGQNgA39/fwF9YAV/f39/fwBgBn9/f39/fwADBAMAAQIFAwEAAQcaAwZtZW1vcnkCAARzY2FuAAEGZ2F0aGVyAAIK9QEDdAIBfwJ7AkADQCADIAJPDQEgBCAAIANq/QAEACABIANq/QAEAP3mAf3kASEEIAUgACADav0ABBAgASADav0ABBD95gH95AEhBSADQSBqIQMMAAsLIAQgBf3kASEEIAT9HwAgBP0fAZIgBP0fAiAE/R8DkpILOgECfyADQQJ0IQYCQANAIAUgAk8NASAEIAVBAnRqIAAgASAFIAZsaiAGEAA4AgAgBUEBaiEFDAALCwtDAQJ/IARBAnQhBwJAA0AgBiADTw0BIAUgBkECdGogACABIAIgBkECdGooAgAgB2xqIAcQADgCACAGQQFqIQYMAAsLCw=='

// The project's lib is es2023 without DOM, which is where TypeScript declares WebAssembly: the little we use, typed here.
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number }
type WasmModule = object
const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule; Instance: new (m: WasmModule) => { exports: unknown } } }).WebAssembly

type Kernel = {
  memory: WasmMemory
  scan(q: number, rows: number, n: number, d: number, out: number): void
  gather(q: number, rows: number, ids: number, m: number, d: number, out: number): void
}

let compiled: WasmModule | null = null
const PAGE = 65536

export class VectorTable {
  readonly dims: number
  /** Row length in floats: dims rounded up to a multiple of 8 (the kernel's step), zero-padded. */
  private stride: number
  private kernel: Kernel
  /** Rows live at byte 0; the query, ids and scores of a call are written after the last row's capacity. */
  private capacity: number
  private view: Float32Array

  constructor(dims: number, capacity = 1024) {
    this.dims = dims
    this.stride = Math.ceil(dims / 8) * 8
    compiled ??= new wasm.Module(Buffer.from(DOT_WASM, 'base64'))
    this.kernel = new wasm.Instance(compiled).exports as unknown as Kernel
    this.capacity = 0
    this.view = new Float32Array(0)
    this.reserve(capacity, 0)
  }

  /** Room for `rows` rows plus a scratch area of `scratchBytes` after them. */
  private reserve(rows: number, scratchBytes: number): void {
    if (rows > this.capacity) {
      // Scratch sits after the rows, so growing the row area must not keep stale scratch; rows stay in place.
      this.capacity = Math.max(rows, this.capacity * 2)
    }
    const need = this.capacity * this.stride * 4 + scratchBytes
    const have = this.kernel.memory.buffer.byteLength
    if (need > have) this.kernel.memory.grow(Math.ceil((need - have) / PAGE))
    if (this.view.buffer !== this.kernel.memory.buffer || this.view.length === 0) this.view = new Float32Array(this.kernel.memory.buffer)
  }

  set(row: number, v: Float32Array): void {
    this.reserve(row + 1, 0)
    this.view.set(v.length > this.dims ? v.subarray(0, this.dims) : v, row * this.stride)
  }

  clear(row: number): void {
    this.reserve(row + 1, 0)
    this.view.fill(0, row * this.stride, (row + 1) * this.stride)
  }

  /** Dot products of `q` with rows 0..n-1 (a view into scratch memory, valid until the next call). */
  scan(q: Float32Array, n: number): Float32Array {
    const rowsBytes = this.capacity * this.stride * 4
    this.reserve(n, this.stride * 4 + n * 4)
    const qAt = rowsBytes
    const outAt = qAt + this.stride * 4
    this.writeQuery(q, qAt)
    this.kernel.scan(qAt, 0, n, this.stride, outAt)
    return new Float32Array(this.kernel.memory.buffer, outAt, n)
  }

  private writeQuery(q: Float32Array, at: number): void {
    const i = at / 4
    this.view.set(q.length > this.dims ? q.subarray(0, this.dims) : q, i)
    this.view.fill(0, i + Math.min(q.length, this.dims), i + this.stride)
  }

  /** Dot products of `q` with the given rows, in order. */
  gather(q: Float32Array, rows: Int32Array): Float32Array {
    const m = rows.length
    const rowsBytes = this.capacity * this.stride * 4
    this.reserve(0, this.stride * 4 + m * 8)
    const qAt = rowsBytes
    const idsAt = qAt + this.stride * 4
    const outAt = idsAt + m * 4
    this.writeQuery(q, qAt)
    new Int32Array(this.kernel.memory.buffer, idsAt, m).set(rows)
    this.kernel.gather(qAt, 0, idsAt, m, this.stride, outAt)
    return new Float32Array(this.kernel.memory.buffer, outAt, m)
  }
}
