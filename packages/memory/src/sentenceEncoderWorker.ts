/**
 * Worker thread that runs the Universal Sentence Encoder lite (sentenceEncoderModel.ts; onnxruntime by
 * default) for embedder.ts. The model loads on the first request; a query then neither blocks the
 * node's event loop (HTTP, database) nor waits for it: a search's lexical half runs while the query is
 * embedded.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadSentenceEncoderModel, type SentenceEncoderBackend, type SentenceEncoderModel } from './sentenceEncoderModel.ts'

type Request = { texts: string[] }

const backend = (workerData as { backend?: SentenceEncoderBackend } | undefined)?.backend ?? 'onnx'
let model: Promise<SentenceEncoderModel> | undefined

parentPort!.on('message', async (req: Request) => {
  try {
    model ??= loadSentenceEncoderModel(backend)
    const vectors = await (await model).embed(req.texts)
    parentPort!.postMessage({ vectors }, vectors.map((v) => v.buffer as ArrayBuffer))
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error)?.stack ?? String(error) })
  }
})
