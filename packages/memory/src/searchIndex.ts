/**
 * Per-user in-process retrieval index: BM25 postings and dense vectors of one user's memories, loaded
 * from the database on first use and kept current by the writes of this process. A revision counter
 * in `memory_users` tells when another process changed the user, and the index is then reloaded.
 */
import type { Category, Extractor, MemoryType } from './types.ts'
import { Bm25Index, tokenize } from './text.ts'
import { bytesToVector } from './embedder.ts'
import { VectorTable } from './vectorTable.ts'

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

/** A memory as search returns it: the index answers without reading the rows back from the database. */
export type IndexDoc = {
  id: string
  text: string
  updatedAt: number
  metadata: Record<string, unknown> | null
  reinforced: number
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
  text: string
  updated_at: number
  metadata: Record<string, unknown> | null
  reinforced: number
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
  readonly vectors: VectorTable
  /** Low-dimensional random projections of the vectors, scanned first when the user has many memories. */
  readonly sketches: VectorTable
  private dims: number
  private projection: Float32Array
  private projectionRows: VectorTable | null = null

  /** Without vectors (dense retrieval done by pgvector) the index holds the lexical half only. */
  readonly withVectors: boolean

  constructor(revision: number, dims: number, options: { withVectors?: boolean } = {}) {
    this.revision = revision
    this.dims = dims
    this.withVectors = options.withVectors ?? true
    this.vectors = new VectorTable(this.withVectors ? dims : 8, this.withVectors ? 1024 : 1)
    this.sketches = new VectorTable(SKETCH, this.withVectors ? 1024 : 1)
    this.projection = projectionMatrix(dims)
  }

  /** The 32 projections of `v`, as SIMD dot products with the projection rows (the bulk of an index load). */
  private sketch(v: Float32Array): Float32Array {
    if (this.projectionRows === null) {
      this.projectionRows = new VectorTable(this.dims, SKETCH)
      for (let j = 0; j < SKETCH; j++) this.projectionRows.set(j, this.projection.subarray(j * this.dims, (j + 1) * this.dims))
    }
    return this.projectionRows.scan(v, SKETCH).slice()
  }

  get liveCount(): number {
    return this.byId.size
  }

  add(row: IndexRow): void {
    this.remove(row.id)
    const n = this.docs.length
    this.docs.push({
      id: row.id,
      text: row.text,
      updatedAt: Number(row.updated_at),
      metadata: row.metadata,
      reinforced: Number(row.reinforced),
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
    if (!this.withVectors) return
    if (row.embedding !== null && row.embedding.byteLength === this.dims * 4) {
      const v = bytesToVector(row.embedding)
      this.vectors.set(n, v)
      this.sketches.set(n, this.sketch(v))
    } else {
      this.vectors.clear(n)
      this.sketches.clear(n)
    }
  }

  remove(id: string): void {
    const n = this.byId.get(id)
    if (n === undefined) return
    this.byId.delete(id)
    this.docs[n] = null
    this.bm25.remove(n)
    if (!this.withVectors) return
    this.vectors.clear(n)
    this.sketches.clear(n)
  }

  /** Cosine similarity (vectors are unit length) of `q` with every accepted document; top `k`. */
  dense(q: Float32Array, k: number, accept?: (doc: number) => boolean): [number, number][] {
    if (this.docs.length <= EXACT_LIMIT) return this.best(this.vectors.scan(q, this.docs.length), k, accept).entries()
    // Many memories: scan the sketches for a shortlist, then score the shortlist exactly.
    const shortlist = this.best(this.sketches.scan(this.sketch(q), this.docs.length), Math.max(k * 8, 1000), accept)
    const ids = shortlist.docs.subarray(0, shortlist.size)
    const exact = this.vectors.gather(q, ids)
    const top = new TopK(k)
    for (let j = 0; j < ids.length; j++) top.offer(ids[j]!, exact[j]!)
    return top.entries()
  }

  private best(scores: Float32Array, k: number, accept: ((doc: number) => boolean) | undefined): TopK {
    const top = new TopK(k)
    const docs = this.docs
    for (let n = 0; n < scores.length; n++) {
      if (docs[n] === null || (accept !== undefined && !accept(n))) continue
      top.offer(n, scores[n]!)
    }
    return top
  }
}

/**
 * The k best (document, score) pairs seen so far, in a binary min-heap over typed arrays: a candidate
 * below the current k-th best costs one comparison, so scanning 100,000 documents allocates nothing.
 */
export class TopK {
  readonly docs: Int32Array
  readonly scores: Float64Array
  readonly k: number
  size = 0

  constructor(k: number) {
    this.k = k
    this.docs = new Int32Array(k)
    this.scores = new Float64Array(k)
  }

  offer(doc: number, score: number): void {
    const { docs, scores, k } = this
    if (this.size < k) {
      let i = this.size++
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (scores[parent]! <= score) break
        docs[i] = docs[parent]!
        scores[i] = scores[parent]!
        i = parent
      }
      docs[i] = doc
      scores[i] = score
      return
    }
    if (k === 0 || score <= scores[0]!) return
    // Replace the worst and sift down.
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= k) break
      const r = l + 1
      const c = r < k && scores[r]! < scores[l]! ? r : l
      if (scores[c]! >= score) break
      docs[i] = docs[c]!
      scores[i] = scores[c]!
      i = c
    }
    docs[i] = doc
    scores[i] = score
  }

  /** [doc, score] pairs, best first. */
  entries(): [number, number][] {
    const out: [number, number][] = new Array(this.size)
    for (let i = 0; i < this.size; i++) out[i] = [this.docs[i]!, this.scores[i]!]
    return out.sort((a, b) => b[1] - a[1] || a[0] - b[0])
  }
}
