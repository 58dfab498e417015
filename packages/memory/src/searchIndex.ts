/**
 * Per-user in-process retrieval index: BM25 postings and dense vectors of one user's memories, loaded
 * from the database on first use and kept current by the writes of this process. A revision counter
 * in `memory_users` tells when another process changed the user, and the index is then reloaded.
 */
import type { Category, Extractor, MemoryType } from './types.ts'
import { Bm25Index, tokenize } from './text.ts'
import { bytesToVector } from './embedder.ts'

const SKETCH = 32
const EXACT_LIMIT = 20_000

/** A fixed (seeded) Gaussian-like random projection, so sketches are the same in every process. */
function projectionMatrix(dims: number): Float32Array {
  const m = new Float32Array(SKETCH * dims)
  let x = 0x9e3779b9
  const rnd = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
  for (let i = 0; i < m.length; i++) m[i] = rnd() + rnd() + rnd() - 1.5
  return m
}

export type IndexDoc = {
  id: string
  sources: string[]
  categories: Category[]
  agentId: string | null
  threadId: string | null
  eventTime: number
  recordTime: number
  importance: number
  type: MemoryType
  extractor: Extractor
}

export type IndexRow = {
  id: string
  search_text: string
  sources: string[]
  categories: string[]
  agent_id: string | null
  thread_id: string | null
  event_time: number
  record_time: number
  importance: number
  type: string
  extractor: string
  embedding: Uint8Array | null
}

export class UserIndex {
  revision: number
  readonly bm25 = new Bm25Index()
  readonly docs: (IndexDoc | null)[] = []
  readonly byId = new Map<string, number>()
  vectors: Float32Array
  /** Low-dimensional random projections of the vectors, scanned first when the user has many memories. */
  sketches: Float32Array
  private dims: number
  private projection: Float32Array

  constructor(revision: number, dims: number) {
    this.revision = revision
    this.dims = dims
    this.vectors = new Float32Array(dims * 1024)
    this.sketches = new Float32Array(SKETCH * 1024)
    this.projection = projectionMatrix(dims)
  }

  private sketch(v: Float32Array, out: Float32Array, offset: number): void {
    const d = this.dims
    for (let j = 0; j < SKETCH; j++) {
      let s = 0
      const o = j * d
      for (let i = 0; i < d; i++) s += this.projection[o + i]! * v[i]!
      out[offset + j] = s
    }
  }

  get liveCount(): number {
    return this.byId.size
  }

  add(row: IndexRow): void {
    this.remove(row.id)
    const n = this.docs.length
    this.docs.push({
      id: row.id,
      sources: row.sources,
      categories: row.categories as Category[],
      agentId: row.agent_id,
      threadId: row.thread_id,
      eventTime: Number(row.event_time),
      recordTime: Number(row.record_time),
      importance: Number(row.importance),
      type: row.type as MemoryType,
      extractor: row.extractor as Extractor,
    })
    this.byId.set(row.id, n)
    this.bm25.add(n, tokenize(row.search_text))
    if ((n + 1) * this.dims > this.vectors.length) {
      const grown = new Float32Array(this.vectors.length * 2)
      grown.set(this.vectors)
      this.vectors = grown
      const sk = new Float32Array(this.sketches.length * 2)
      sk.set(this.sketches)
      this.sketches = sk
    }
    if (row.embedding !== null && row.embedding.byteLength === this.dims * 4) {
      const v = bytesToVector(row.embedding)
      this.vectors.set(v, n * this.dims)
      this.sketch(v, this.sketches, n * SKETCH)
    }
  }

  remove(id: string): void {
    const n = this.byId.get(id)
    if (n === undefined) return
    this.byId.delete(id)
    this.docs[n] = null
    this.bm25.remove(n)
    this.vectors.fill(0, n * this.dims, (n + 1) * this.dims)
    this.sketches.fill(0, n * SKETCH, (n + 1) * SKETCH)
  }

  /** Cosine similarity (vectors are unit length) of `q` with every accepted document; top `k`. */
  dense(q: Float32Array, k: number, accept?: (doc: number) => boolean): [number, number][] {
    if (this.docs.length <= EXACT_LIMIT) return this.scan(q, this.vectors, this.dims, k, accept)
    // Many memories: scan the sketches for a shortlist, then score the shortlist exactly.
    const qs = new Float32Array(SKETCH)
    this.sketch(q, qs, 0)
    const d = this.dims
    const exact = this.scan(qs, this.sketches, SKETCH, Math.max(k * 8, 1000), accept).map(([n]): [number, number] => {
      let s = 0
      for (let i = 0; i < d; i++) s += q[i]! * this.vectors[n * d + i]!
      return [n, s]
    })
    exact.sort((a, b) => b[1] - a[1])
    return exact.slice(0, k)
  }

  private scan(q: Float32Array, v: Float32Array, d: number, k: number, accept: ((doc: number) => boolean) | undefined): [number, number][] {
    const top: [number, number][] = []
    let floor = -Infinity
    for (let n = 0; n < this.docs.length; n++) {
      if (this.docs[n] === null || (accept !== undefined && !accept(n))) continue
      let s = 0
      const o = n * d
      for (let i = 0; i < d; i++) s += q[i]! * v[o + i]!
      if (top.length < k || s > floor) {
        top.push([n, s])
        if (top.length > k * 2) {
          top.sort((a, b) => b[1] - a[1])
          top.length = k
          floor = top[k - 1]![1]
        }
      }
    }
    top.sort((a, b) => b[1] - a[1])
    if (top.length > k) top.length = k
    return top
  }
}
