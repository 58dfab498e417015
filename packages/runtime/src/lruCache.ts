/**
 * A least-recently-used map bounded by an approximate byte budget. The newest entry always stays,
 * even when it alone exceeds the budget (a model bigger than the cache can still run; it simply
 * evicts everything else).
 */
export type Evicted<V> = { key: string; value: V; bytes: number }

export class LruCache<V> {
  readonly maxBytes: number
  #entries = new Map<string, { value: V; bytes: number }>()
  #bytes = 0

  constructor(maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`)
    this.maxBytes = maxBytes
  }

  get size(): number {
    return this.#entries.size
  }

  get bytes(): number {
    return this.#bytes
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  keys(): string[] {
    return [...this.#entries.keys()]
  }

  /** The value, marked most recently used. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Inserts (or replaces) an entry and returns what had to go to stay within the budget, oldest first. */
  set(key: string, value: V, bytes: number): Evicted<V>[] {
    const evicted: Evicted<V>[] = []
    const old = this.#entries.get(key)
    if (old !== undefined) {
      this.#entries.delete(key)
      this.#bytes -= old.bytes
      if (old.value !== value) evicted.push({ key, value: old.value, bytes: old.bytes })
    }
    this.#entries.set(key, { value, bytes })
    this.#bytes += bytes
    for (const [k, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes || k === key) break
      this.#entries.delete(k)
      this.#bytes -= entry.bytes
      evicted.push({ key: k, value: entry.value, bytes: entry.bytes })
    }
    return evicted
  }

  delete(key: string): Evicted<V> | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
    return { key, value: entry.value, bytes: entry.bytes }
  }

  /** Removes and returns every entry. */
  clear(): Evicted<V>[] {
    const all = [...this.#entries].map(([key, e]) => ({ key, value: e.value, bytes: e.bytes }))
    this.#entries.clear()
    this.#bytes = 0
    return all
  }
}
