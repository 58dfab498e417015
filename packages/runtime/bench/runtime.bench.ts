/**
 * Raw onnxruntime-node in-process (InferenceSession.run on the main thread) against the runtime pool
 * (2 workers, thread and process isolation), at concurrency 1 and 8, on a wide MLP and the PaddleOCR
 * text recognizer.
 */
import { availableParallelism } from 'node:os'
import ort from 'onnxruntime-node'
import type { BenchContext, Cell } from '@verity/bench'
import { sampleModel } from '@verity/samples'
import { copyTensors, createTestStore } from '../src/_testStore.ts'
import { createRuntime, prepareInputs, SESSION_OPTIONS, type Isolation } from '../src/index.ts'
import { inferenceColumns, inferenceRow, measureInference } from './measureInference.ts'

export default async function runtimeBench(ctx: BenchContext): Promise<void> {
  const workers = Math.min(2, availableParallelism())
  const models = [
    { repo: 'verity/wide-mlp', requests: ctx.quick ? 40 : 600 },
    { repo: 'paddleocr/text-recognizer', requests: ctx.quick ? 16 : 160 },
  ]
  const store = createTestStore()
  for (const { repo, requests } of models) {
    const sample = sampleModel(repo)
    const bytes = sample.bytes()
    const cid = store.add(bytes)
    const rows: Cell[][] = []
    const measure = async (path: string, infer: () => Promise<unknown>) => {
      for (const concurrency of [1, 8]) {
        ctx.progress(`${repo}: ${path} at concurrency ${concurrency}`)
        rows.push(inferenceRow(path, await measureInference({ infer, concurrency, requests })))
      }
    }

    for (const [label, options] of [
      ['raw ort, main thread, Verity settings', structuredClone(SESSION_OPTIONS)],
      ['raw ort, main thread, ort defaults', {}],
    ] as const) {
      const session = await ort.InferenceSession.create(bytes, options as ort.InferenceSession.SessionOptions)
      const [name, json] = Object.entries(sample.exampleInput())[0]!
      const data = Float32Array.from((json as { data: number[] }).data)
      await measure(label, () => session.run({ [name]: new ort.Tensor('float32', data, json.shape) }))
      await session.release()
    }

    for (const isolation of ['thread', 'process'] as Isolation[]) {
      const runtime = createRuntime({ workers, isolation, loadModel: store.loadModel })
      try {
        const inputs = prepareInputs(await runtime.describe(cid), sample.exampleInput())
        // Every worker holds the session before timing starts.
        await Promise.all(Array.from({ length: 4 * workers }, () => runtime.run({ cid, inputs: copyTensors(inputs) })))
        await measure(`runtime, ${workers} ${isolation} workers`, () => runtime.run({ cid, inputs: copyTensors(inputs) }))
      } finally {
        await runtime.close()
      }
    }
    ctx.printTable(`${repo} (${(bytes.length / 1e6).toFixed(1)} MB): raw onnxruntime vs the runtime pool, ${requests} requests per row`, inferenceColumns, rows)
  }
}
