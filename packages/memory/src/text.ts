/** Tokenising, stemming and a BM25 inverted index for lexical retrieval. */

const stop = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing ' +
    'down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my ' +
    'myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves ' +
    'then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours ' +
    "yourself yourselves i'm it's that's don't didn't also really yeah oh wow hey hi thanks thank so well got get gonna lot much one too s t").split(' '),
)

/** Lower-cased, stop-word-free, lightly stemmed word tokens. */
export function tokenize(text: string): string[] {
  const out: string[] = []
  for (const raw of text.toLowerCase().normalize('NFKD').split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length === 0 || stop.has(raw)) continue
    out.push(stem(raw))
  }
  return out
}

/** A small suffix stripper (a subset of Porter step 1), enough to join plurals and verb forms. */
export function stem(w: string): string {
  if (w.length <= 3 || /^\d+$/.test(w)) return w
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`
  if (w.endsWith('sses')) return w.slice(0, -2)
  if (w.endsWith('ss')) return w
  if (w.endsWith("'s")) w = w.slice(0, -2)
  if (w.endsWith('s') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1)
  if (w.endsWith('ing') && w.length > 5) return undouble(w.slice(0, -3))
  if (w.endsWith('ed') && w.length > 4) return undouble(w.slice(0, -2))
  if (w.endsWith('ly') && w.length > 4) return w.slice(0, -2)
  if (w.endsWith('e') && w.length > 3) return w.slice(0, -1)
  return w
}

function undouble(w: string): string {
  if (w.length > 2 && w[w.length - 1] === w[w.length - 2] && !/[lsz]/.test(w[w.length - 1]!)) return w.slice(0, -1)
  if (w.endsWith('e')) return w.slice(0, -1)
  return w
}

/** An in-memory BM25 (Okapi, k1 = 1.2, b = 0.75) index over documents numbered 0, 1, 2, … */
export class Bm25Index {
  private postings = new Map<string, number[]>() // flattened [doc, tf, doc, tf, …]
  private lengths: number[] = []
  private alive: boolean[] = []
  private totalLength = 0
  private liveCount = 0
  private readonly k1 = 1.2
  private readonly b = 0.75

  get size(): number {
    return this.liveCount
  }

  add(doc: number, tokens: readonly string[]): void {
    const tf = new Map<string, number>()
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1)
    for (const [t, n] of tf) {
      let p = this.postings.get(t)
      if (p === undefined) this.postings.set(t, (p = []))
      p.push(doc, n)
    }
    this.lengths[doc] = tokens.length
    this.alive[doc] = true
    this.totalLength += tokens.length
    this.liveCount++
  }

  remove(doc: number): void {
    if (!this.alive[doc]) return
    this.alive[doc] = false
    this.totalLength -= this.lengths[doc] ?? 0
    this.liveCount--
  }

  private acc = new Float64Array(0)

  /**
   * The `k` best live documents for the query (query terms weighted by `weights`), best first.
   * Scores accumulate in a dense array (no per-document map), and only the top k are sorted.
   */
  top(queryTerms: ReadonlyMap<string, number>, k: number, accept?: (doc: number) => boolean): [number, number][] {
    if (this.acc.length < this.lengths.length) this.acc = new Float64Array(Math.max(1024, this.lengths.length * 2))
    const acc = this.acc
    const touched: number[] = []
    const n = Math.max(1, this.liveCount)
    const avg = this.totalLength / n || 1
    const k1 = this.k1
    const b = this.b
    const lengths = this.lengths
    const alive = this.alive
    for (const [term, weight] of queryTerms) {
      const p = this.postings.get(term)
      if (p === undefined) continue
      const df = p.length / 2
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5)) * weight
      for (let i = 0; i < p.length; i += 2) {
        const doc = p[i]!
        if (!alive[doc]) continue
        const tf = p[i + 1]!
        if (acc[doc] === 0) touched.push(doc)
        acc[doc]! += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * lengths[doc]!) / avg))
      }
    }
    const out: [number, number][] = []
    let floor = -Infinity
    for (const doc of touched) {
      const s = acc[doc]!
      acc[doc] = 0
      if (s <= floor && out.length >= k) continue
      if (accept !== undefined && !accept(doc)) continue
      out.push([doc, s])
      if (out.length >= k * 2) {
        out.sort((x, y) => y[1] - x[1])
        out.length = k
        floor = out[k - 1]![1]
      }
    }
    out.sort((x, y) => y[1] - x[1])
    if (out.length > k) out.length = k
    return out
  }

  documentFrequency(term: string): number {
    return (this.postings.get(term)?.length ?? 0) / 2
  }
}
