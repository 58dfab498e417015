/**
 * Per-user in-process retrieval index: BM25 postings and dense vectors of one user's memories, loaded
 * from the database on first use and kept current by the writes of this process. A revision counter
 * in `memory_users` tells when another process changed the user, and the index is then reloaded.
 */
import type { Category, Extractor, MemoryType } from './types.ts'
import { Bm25Index, tokenize } from './text.ts'
import { bytesToVector } from './embedder.ts'

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
  private dims: number

  constructor(revision: number, dims: number) {
    this.revision = revision
    this.dims = dims
    this.vectors = new Float32Array(dims * 1024)
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
    }
    if (row.embedding !== null && row.embedding.byteLength === this.dims * 4) this.vectors.set(bytesToVector(row.embedding), n * this.dims)
  }

  remove(id: string): void {
    const n = this.byId.get(id)
    if (n === undefined) return
    this.byId.delete(id)
    this.docs[n] = null
    this.bm25.remove(n)
    this.vectors.fill(0, n * this.dims, (n + 1) * this.dims)
  }

  /** Cosine similarity (vectors are unit length) of `q` with every accepted document; top `k`. */
  dense(q: Float32Array, k: number, accept: (doc: number) => boolean): [number, number][] {
    const d = this.dims
    const v = this.vectors
    const top: [number, number][] = []
    let floor = -Infinity
    for (let n = 0; n < this.docs.length; n++) {
      if (this.docs[n] === null || !accept(n)) continue
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
