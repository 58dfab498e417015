/**
 * Failure paths with real onnxruntime work: timeouts of a run that is still computing, and workers
 * that die (JavaScript heap exhausted in a thread; a child process killed by V8's out-of-memory abort).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildModel } from '@verity/onnx'
import { VerityError, hashTensorSet, tensorFromValues, type TensorMap } from '@verity/protocol'
import { sampleModel } from '@verity/samples'
import { matmulChainModel, stringTileModel } from './_testModels.ts'
import { copyTensors, createTestStore } from './_testStore.ts'
import { createRuntime, prepareInputs, type Isolation, type Runtime } from './index.ts'

const store = createTestStore()
const tiny = store.add(sampleModel('verity/tiny-mlp').bytes())
// 512×512 weights, 64 MatMuls: 1 row runs well under a millisecond; 1,024 rows take 0.25 s to 3.6 s on one
// core depending on the host (4,096 rows took 1 s on one host and 14 s on another), far past a 100 ms timeout.
const slow = store.add(matmulChainModel(512, 64))
const stringTile = store.add(stringTileModel())
const deepGraph = (() => {
  // 40,000 chained Identity nodes: describing it builds ~100 MB of protobuf objects in the worker's JS heap.
  const n = 40_000
  return store.add(buildModel({
    name: 'deep', inputs: [{ name: 'x', dtype: 'float32', shape: [1] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    nodes: Array.from({ length: n }, (_, i) => ({ op: 'Identity', inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [i === n - 1 ? 'y' : `t${i}`] })),
  }))
})()

const tinyInput = (): TensorMap => ({ input: tensorFromValues('float32', [1, 4], [0.5, -1.25, 3, 0.125]) })
const slowInput = (rows: number): TensorMap => ({ x: tensorFromValues('float32', [rows, 512], new Array(rows * 512).fill(0.25)) })

// Generous: a retired thread exits only once its run returns, and a loaded CI machine runs it slower.
async function waitFor(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

async function caught(promise: Promise<unknown>): Promise<VerityError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof VerityError, String(error))
    return error
  }
  assert.fail('expected the promise to reject')
}

for (const isolation of ['thread', 'process'] as Isolation[]) {
  test(`${isolation}: a run past its timeout answers TIMEOUT while onnxruntime is still computing; the pool carries on`, async () => {
    const runtime = createRuntime({ workers: 2, isolation, loadModel: store.loadModel })
    try {
      await runtime.warm(slow)
      await runtime.warm(tiny)
      const reference = await runtime.run({ cid: slow, inputs: slowInput(1) })
      const before = runtime.stats()
      const error = await caught(runtime.run({ cid: slow, inputs: slowInput(1024), timeoutMs: 100 }))
      assert.equal(error.code, 'TIMEOUT')
      assert.match(error.message, /did not finish within 100 ms/)
      assert.equal(error.details.phase, 'sent', 'the run had reached onnxruntime')
      const after = runtime.stats()
      assert.equal(after.totals.timeouts, 1)
      if (isolation === 'thread') {
        // The thread cannot be stopped inside onnxruntime: it is retired and replaced, and exits once its run returns.
        assert.equal(after.retiring, 1, 'the timed-out run is still computing when the caller hears TIMEOUT')
      } else {
        assert.equal(after.retiring, 0, 'the process was killed at once')
      }
      assert.equal(after.workers.length, 2, 'a fresh worker replaced the timed-out one')
      assert.ok(after.workers.some((w) => !before.workers.some((b) => b.id === w.id)))
      // Other requests continue, on the surviving worker and on the fresh one.
      const results = await Promise.all([1, 2, 3, 4].map(() => runtime.run({ cid: tiny, inputs: tinyInput() })))
      assert.equal(new Set(results.map((r) => hashTensorSet(r.outputs))).size, 1)
      const again = await runtime.run({ cid: slow, inputs: slowInput(1) })
      assert.equal(hashTensorSet(again.outputs), hashTensorSet(reference.outputs))
      await waitFor(() => runtime.stats().retiring === 0, 'the retired worker to exit')
      assert.equal(runtime.stats().totals.crashes, 0)
    } finally {
      await runtime.close()
    }
  })
}

test('a timeout while waiting in the queue removes the request; the running one is unaffected', async () => {
  const runtime = createRuntime({ workers: 1, loadModel: store.loadModel })
  try {
    await runtime.warm(slow)
    await runtime.warm(tiny)
    const running = runtime.run({ cid: slow, inputs: slowInput(1024) })
    const queued = await caught(runtime.run({ cid: tiny, inputs: tinyInput(), timeoutMs: 20 }))
    assert.equal(queued.code, 'TIMEOUT')
    assert.equal(queued.details.phase, 'queued')
    const done = await running
    assert.deepEqual(done.outputs.y!.shape, [1024, 512])
    assert.equal(runtime.stats().retiring, 0)
    assert.equal(runtime.stats().queued, 0)
  } finally {
    await runtime.close()
  }
})

test('thread: close() during a run lets it finish (terminating a thread inside onnxruntime would abort the process)', async () => {
  const runtime = createRuntime({ workers: 1, loadModel: store.loadModel })
  await runtime.warm(slow)
  const running = runtime.run({ cid: slow, inputs: slowInput(1024) })
  await sleep(5)
  const queued = caught(runtime.run({ cid: slow, inputs: slowInput(1) }))
  await runtime.close()
  assert.deepEqual((await running).outputs.y!.shape, [1024, 512])
  const error = await queued
  assert.equal(error.code, 'OVERLOADED')
  assert.match(error.message, /shutting down/)
  assert.deepEqual(runtime.stats().workers, [])
})

test('thread: a worker whose JavaScript heap runs out fails only its request with RUNTIME_ERROR; the pool recovers', async () => {
  const runtime = createRuntime({ workers: 2, workerHeapMb: 16, loadModel: store.loadModel })
  try {
    await runtime.warm(tiny)
    const [crash, ok] = await Promise.allSettled([runtime.describe(deepGraph), runtime.run({ cid: tiny, inputs: tinyInput() })])
    assert.equal(ok.status, 'fulfilled')
    assert.equal(crash.status, 'rejected')
    const error = (crash as PromiseRejectedResult).reason as VerityError
    assert.equal(error.code, 'RUNTIME_ERROR')
    assert.match(error.message, /crashed \(ERR_WORKER_OUT_OF_MEMORY/)
    await waitFor(() => runtime.stats().workers.filter((w) => w.state === 'idle').length === 2, 'the replacement worker')
    assert.equal(runtime.stats().totals.crashes, 1)
    const results = await Promise.all([1, 2, 3, 4].map(() => runtime.run({ cid: tiny, inputs: tinyInput() })))
    assert.equal(new Set(results.map((r) => r.worker)).size, 2)
  } finally {
    await runtime.close()
  }
})

test('process: a worker killed by an out-of-memory abort inside onnxruntime output conversion fails only its request', async () => {
  const runtime: Runtime = createRuntime({ workers: 2, isolation: 'process', workerHeapMb: 48, loadModel: store.loadModel })
  try {
    const description = await runtime.describe(stringTile)
    const small = await runtime.run({ cid: stringTile, inputs: prepareInputs(description, { s: ['ab'], r: [3] }) })
    assert.deepEqual(small.outputs.y!.data, ['ab', 'ab', 'ab'])
    const [crash, ok] = await Promise.allSettled([
      runtime.run({ cid: stringTile, inputs: prepareInputs(description, { s: ['abcdefghijklmnopqrstuvwxyz0123456789'], r: [3_000_000] }) }),
      runtime.run({ cid: tiny, inputs: tinyInput() }),
    ])
    assert.equal(ok.status, 'fulfilled')
    assert.equal(crash.status, 'rejected')
    const error = (crash as PromiseRejectedResult).reason as VerityError
    assert.equal(error.code, 'RUNTIME_ERROR')
    assert.match(error.message, /crashed \((killed by SIG|exit code)[^)]*JavaScript heap out of memory/, "the crash message carries V8's reason")
    assert.equal(runtime.stats().totals.crashes, 1)
    const again = await runtime.run({ cid: stringTile, inputs: prepareInputs(description, { s: ['x'], r: [2] }) })
    assert.deepEqual(again.outputs.y!.data, ['x', 'x'])
  } finally {
    await runtime.close()
  }
})
