import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { buildMlp } from '@verity/onnx'
import { VerityError, hashTensorSet, tensorFromValues, type TensorMap } from '@verity/protocol'
import { sampleModel } from '@verity/samples'
import { allTypesIdentityModel, castNotModel, dynamicMatMulModel, float16Model, halveModel, integerWeights, matMulIntegerModel, sharedDimModel } from './_testModels.ts'
import { copyTensors, createTestStore } from './_testStore.ts'
import { createRuntime, prepareInputs, type Runtime } from './index.ts'

const store = createTestStore()
const classifier = store.add(sampleModel('paddleocr/text-direction-classifier').bytes())
const recognizer = store.add(sampleModel('paddleocr/text-recognizer').bytes())
const tiny = store.add(sampleModel('verity/tiny-mlp').bytes())
const allTypes = store.add(allTypesIdentityModel())
const castNot = store.add(castNotModel())
const shared = store.add(sharedDimModel())
const half = store.add(float16Model())
const integer = store.add(matMulIntegerModel())
const dynamicMatMul = store.add(dynamicMatMulModel())
const halve = store.add(halveModel())
const garbage = store.add(new TextEncoder().encode('this is not an onnx file'))

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<VerityError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof VerityError, `expected a VerityError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, pattern)
    return error
  }
  assert.fail(`expected ${code} matching ${pattern}`)
}

async function exampleInputs(runtime: Runtime, cid: string, repo: string): Promise<TensorMap> {
  return prepareInputs(await runtime.describe(cid), sampleModel(repo).exampleInput())
}

describe('runtime with 2 thread workers', () => {
  let runtime: Runtime
  before(() => { runtime = createRuntime({ workers: 2, loadModel: store.loadModel }) })
  after(() => runtime.close())

  test('the PaddleOCR classifier and recognizer run and return tensors of the declared shapes', async () => {
    const cls = await runtime.run({ cid: classifier, inputs: await exampleInputs(runtime, classifier, 'paddleocr/text-direction-classifier') })
    const probabilities = cls.outputs['softmax_0.tmp_0']!
    assert.equal(probabilities.dtype, 'float32')
    assert.deepEqual(probabilities.shape, [1, 2])
    const [p0, p1] = probabilities.data as Float32Array
    assert.ok(Math.abs(p0! + p1! - 1) < 1e-5, `softmax sums to ${p0! + p1!}`)

    const rec = await runtime.run({ cid: recognizer, inputs: await exampleInputs(runtime, recognizer, 'paddleocr/text-recognizer') })
    const steps = rec.outputs['softmax_11.tmp_0']!
    assert.equal(steps.shape.length, 3)
    assert.equal(steps.shape[0], 1)
    assert.equal(steps.shape[2], 6625)
    assert.ok(rec.timings.runMs > 0 && rec.timings.totalMs >= rec.timings.runMs)
  })

  test('every dtype crosses the worker boundary intact (int64 as BigInt64Array, bool, string), inputs move by transfer', async () => {
    const values: Record<string, unknown[]> = {
      float32: [1.5, -0, 3.4028234663852886e38], float64: [Math.PI, -1e-300, 2 ** 60], int8: [-128, 0, 127], int16: [-32768, 1, 32767],
      int32: [-2147483648, 7, 2147483647], int64: [-(2n ** 63n), 9007199254740993n, 2n ** 63n - 1n], uint8: [0, 128, 255], uint16: [0, 1, 65535],
      uint32: [0, 1, 4294967295], uint64: [0n, 2n ** 53n + 1n, 2n ** 64n - 1n], bool: [true, false, true], string: ['', 'héllo', '模型 ✓'],
    }
    const inputs: TensorMap = {}
    for (const [dtype, data] of Object.entries(values)) inputs[`in_${dtype}`] = tensorFromValues(dtype as 'float32', [3], data)
    const expected = copyTensors(inputs)
    const { outputs } = await runtime.run({ cid: allTypes, inputs })
    for (const dtype of Object.keys(values)) {
      const out = outputs[`out_${dtype}`]!
      assert.equal(out.dtype, dtype)
      assert.deepEqual(out.shape, [3])
      assert.deepEqual(out.data, expected[`in_${dtype}`]!.data, dtype)
    }
    assert.ok(outputs.out_int64!.data instanceof BigInt64Array)
    assert.ok(outputs.out_uint64!.data instanceof BigUint64Array)
    assert.ok(outputs.out_bool!.data instanceof Uint8Array)
    // Zero copy: the caller's buffers were transferred to the worker, so they are detached now.
    assert.equal((inputs.in_float32!.data as Float32Array).byteLength, 0)
  })

  test('Cast and Not: float32 → int64 and bool → bool', async () => {
    const inputs = prepareInputs(await runtime.describe(castNot), { x: [[1.9, -2.5, 0], [1e10, 3, -7.1]], flags: [[true, false, true], [false, false, true]] })
    const { outputs } = await runtime.run({ cid: castNot, inputs })
    assert.deepEqual(outputs.as_int64, { dtype: 'int64', shape: [2, 3], data: BigInt64Array.of(1n, -2n, 0n, 10000000000n, 3n, -7n) })
    assert.deepEqual(outputs.negated, { dtype: 'bool', shape: [2, 3], data: Uint8Array.of(0, 1, 0, 1, 1, 0) })
  })

  test('describe returns the cached model description', async () => {
    const description = await runtime.describe(tiny)
    assert.deepEqual(description.inputs, [{ name: 'input', dtype: 'float32', onnxType: 1, shape: ['batch', 4] }])
    assert.equal(await runtime.describe(tiny), description)
  })

  test('run checks inputs before running: INVALID_INPUT, UNSUPPORTED_MODEL', async () => {
    const jobsBefore = runtime.stats().workers.reduce((n, w) => n + w.jobs, 0)
    await rejectsWith(runtime.run({ cid: tiny, inputs: { input: tensorFromValues('float32', [1, 3], [1, 2, 3]) } }), 'INVALID_INPUT', /axis 1 must be 4/)
    await rejectsWith(runtime.run({ cid: tiny, inputs: { inputs: tensorFromValues('float32', [1, 4], [1, 2, 3, 4]) } }), 'INVALID_INPUT', /Unknown input "inputs"/)
    await rejectsWith(runtime.run({ cid: tiny, inputs: { input: tensorFromValues('float32', [1, 4], [1, Number.NaN, 3, 4]) } }), 'INVALID_INPUT', /element 1 is NaN/)
    const a = tensorFromValues('float32', [2, 4], new Array(8).fill(1))
    const b = tensorFromValues('float32', [3, 4], new Array(12).fill(1))
    await rejectsWith(runtime.run({ cid: shared, inputs: { a, b } }), 'INVALID_INPUT', /dimension "batch"/)
    await rejectsWith(runtime.run({ cid: half, inputs: { half: tensorFromValues('float32', [2], [1, 2]) } }), 'UNSUPPORTED_MODEL', /float16/)
    const jobsAfter = runtime.stats().workers.reduce((n, w) => n + w.jobs, 0)
    // Only the two describes (tiny was described already) reached a worker; no bad input was run.
    assert.ok(jobsAfter - jobsBefore <= 2, `${jobsAfter - jobsBefore} worker jobs`)
  })

  test('a missing model keeps loadModel\'s error; a corrupt file gives INVALID_MODEL_FILE', async () => {
    await rejectsWith(runtime.describe('bafkreiaaaa'), 'MODEL_NOT_FOUND', /No model bafkreiaaaa/)
    await rejectsWith(runtime.run({ cid: garbage, inputs: {} }), 'INVALID_MODEL_FILE', /not a valid ONNX protobuf/)
  })

  test('subnormal floats are kept (no flush-to-zero), as SESSION_OPTIONS promise', async () => {
    const { outputs } = await runtime.run({ cid: halve, inputs: { x: tensorFromValues('float32', [2], [1e-39, 1]) } })
    const [tiny, one] = outputs.y!.data as Float32Array
    assert.equal(tiny, Math.fround(Math.fround(1e-39) / 2))
    assert.ok(tiny! > 0)
    assert.equal(one, 0.5)
  })

  test('a failure inside onnxruntime is RUNTIME_ERROR with its message; the worker stays usable', async () => {
    const description = await runtime.describe(dynamicMatMul)
    const error = await rejectsWith(runtime.run({ cid: dynamicMatMul, inputs: prepareInputs(description, { x: [[1, 2, 3]] }) }), 'RUNTIME_ERROR', /failed while running: .*MatMul/)
    assert.equal(error.details.cid, dynamicMatMul)
    const { outputs } = await runtime.run({ cid: dynamicMatMul, inputs: prepareInputs(description, { x: [[1, 2, 3, 4]] }) })
    assert.deepEqual([...outputs.y!.data as Float32Array], [5, 5, 5])
    assert.equal(runtime.stats().totals.crashes, 0)
  })

  test('repeated runs give bitwise-identical outputs in both workers (PaddleOCR recognizer and an MLP)', async () => {
    for (const [cid, repo] of [[recognizer, 'paddleocr/text-recognizer'], [tiny, 'verity/tiny-mlp']] as const) {
      const inputs = await exampleInputs(runtime, cid, repo)
      const results = await Promise.all(Array.from({ length: 8 }, () => runtime.run({ cid, inputs: copyTensors(inputs) })))
      const hashes = new Set(results.map((r) => hashTensorSet(r.outputs)))
      const workers = new Set(results.map((r) => r.worker))
      assert.equal(hashes.size, 1, `${repo}: ${[...hashes].join(', ')}`)
      assert.equal(workers.size, 2, `${repo} ran on workers ${[...workers].join(', ')}`)
    }
  })

  test('an integer model (MatMulInteger) matches exact integer arithmetic computed in JavaScript', async () => {
    const rows = 4
    const a = Uint8Array.from({ length: rows * 8 }, (_, i) => (i * 53 + 7) % 256)
    const expected = new Int32Array(rows * 3)
    for (let r = 0; r < rows; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 8; k++) expected[r * 3 + c]! += a[r * 8 + k]! * integerWeights[k * 3 + c]!
    const { outputs } = await runtime.run({ cid: integer, inputs: { a: { dtype: 'uint8', shape: [rows, 8], data: a } } })
    assert.deepEqual(outputs.y, { dtype: 'int32', shape: [rows, 3], data: expected })
  })

  test('concurrent mixed load uses both workers and matches sequential results', async () => {
    const jobs = [
      { cid: classifier, repo: 'paddleocr/text-direction-classifier' }, { cid: recognizer, repo: 'paddleocr/text-recognizer' }, { cid: tiny, repo: 'verity/tiny-mlp' },
    ] as const
    const reference = new Map<string, string>()
    const inputs = new Map<string, TensorMap>()
    for (const { cid, repo } of jobs) {
      inputs.set(cid, await exampleInputs(runtime, cid, repo))
      reference.set(cid, hashTensorSet((await runtime.run({ cid, inputs: copyTensors(inputs.get(cid)!) })).outputs))
    }
    const results = await Promise.all(Array.from({ length: 45 }, (_, i) => {
      const { cid } = jobs[i % jobs.length]!
      return runtime.run({ cid, inputs: copyTensors(inputs.get(cid)!) }).then((r) => ({ cid, ...r }))
    }))
    for (const r of results) assert.equal(hashTensorSet(r.outputs), reference.get(r.cid))
    assert.equal(new Set(results.map((r) => r.worker)).size, 2)
    assert.ok(results.some((r) => r.timings.queueMs > 0))
    const stats = runtime.stats()
    assert.equal(stats.queued, 0)
    assert.equal(stats.totals.timeouts + stats.totals.crashes + stats.totals.overloaded, 0)
  })
})

test('the session cache stays within cacheBytes, evicting least recently used sessions', async () => {
  // 4 MB holds the classifier (0.58 MB × 3) and the tiny MLP, not the recognizer (10.8 MB × 3): it still runs, alone.
  const runtime = createRuntime({ workers: 1, cacheBytes: 4_000_000, loadModel: store.loadModel })
  try {
    const clsInputs = await exampleInputs(runtime, classifier, 'paddleocr/text-direction-classifier')
    const first = await runtime.run({ cid: classifier, inputs: copyTensors(clsInputs) })
    await runtime.run({ cid: tiny, inputs: await exampleInputs(runtime, tiny, 'verity/tiny-mlp') })
    assert.deepEqual(runtime.stats().workers[0]!.models.sort(), [classifier, tiny].sort())
    await runtime.run({ cid: recognizer, inputs: await exampleInputs(runtime, recognizer, 'paddleocr/text-recognizer') })
    let stats = runtime.stats()
    assert.deepEqual(stats.workers[0]!.models, [recognizer])
    assert.equal(stats.totals.sessionsEvicted, 2)
    const again = await runtime.run({ cid: classifier, inputs: copyTensors(clsInputs) })
    assert.equal(again.warm, false, 'the classifier session was evicted, so it is created again')
    assert.equal(hashTensorSet(again.outputs), hashTensorSet(first.outputs))
    stats = runtime.stats()
    assert.deepEqual(stats.workers[0]!.models, [classifier])
    assert.ok(stats.workers[0]!.cacheBytes <= 4_000_000)
    const warm = await runtime.run({ cid: classifier, inputs: copyTensors(clsInputs) })
    assert.equal(warm.warm, true)
  } finally {
    await runtime.close()
  }
})

test('requests go to the worker that holds the session; warm() prepares one', async () => {
  const runtime = createRuntime({ workers: 2, loadModel: store.loadModel })
  try {
    await runtime.warm(classifier)
    const holder = runtime.stats().workers.find((w) => w.models.includes(classifier))!
    const inputs = await exampleInputs(runtime, classifier, 'paddleocr/text-direction-classifier')
    for (let i = 0; i < 5; i++) {
      const r = await runtime.run({ cid: classifier, inputs: copyTensors(inputs) })
      assert.equal(r.worker, holder.id)
      assert.equal(r.warm, true)
    }
    assert.equal(runtime.stats().workers.filter((w) => w.models.includes(classifier)).length, 1)
  } finally {
    await runtime.close()
  }
})

test('a full queue rejects with OVERLOADED at once; closing rejects new requests', async () => {
  const runtime = createRuntime({ workers: 1, maxQueue: 2, loadModel: store.loadModel })
  const inputs = await exampleInputs(runtime, recognizer, 'paddleocr/text-recognizer')
  await runtime.warm(recognizer)
  const settled = await Promise.allSettled(Array.from({ length: 6 }, () => runtime.run({ cid: recognizer, inputs: copyTensors(inputs) })))
  const overloaded = settled.filter((s) => s.status === 'rejected')
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 3, 'one running and two queued')
  assert.equal(overloaded.length, 3)
  for (const s of overloaded) assert.equal(((s as PromiseRejectedResult).reason as VerityError).code, 'OVERLOADED')
  assert.equal(runtime.stats().totals.overloaded, 3)
  await runtime.close()
  await rejectsWith(runtime.run({ cid: recognizer, inputs: copyTensors(inputs) }), 'OVERLOADED', /shutting down/)
})

test('process isolation runs the same models with the same bits', async () => {
  const threads = createRuntime({ workers: 1, loadModel: store.loadModel })
  const processes = createRuntime({ workers: 1, isolation: 'process', loadModel: store.loadModel })
  try {
    const inputs = await exampleInputs(threads, classifier, 'paddleocr/text-direction-classifier')
    const a = await threads.run({ cid: classifier, inputs: copyTensors(inputs) })
    const b = await processes.run({ cid: classifier, inputs: copyTensors(inputs) })
    assert.equal(hashTensorSet(a.outputs), hashTensorSet(b.outputs))
    const c = await processes.run({ cid: castNot, inputs: prepareInputs(await processes.describe(castNot), { x: [[1, 2, 3], [4, 5, 6]], flags: [[true, true, true], [false, false, false]] }) })
    assert.deepEqual(c.outputs.as_int64!.data, BigInt64Array.of(1n, 2n, 3n, 4n, 5n, 6n))
    assert.equal(processes.stats().isolation, 'process')
  } finally {
    await Promise.all([threads.close(), processes.close()])
  }
})

test('an MLP built in code runs with a batch of inputs; the runtime applies its input limits', async () => {
  const local = createTestStore()
  const cid = local.add(buildMlp({ name: 'batch', sizes: [3, 5, 2], seed: 3 }))
  const runtime = createRuntime({ workers: 1, loadModel: local.loadModel, inputLimits: { maxElementsPerTensor: 9 } })
  try {
    const inputs = prepareInputs(await runtime.describe(cid), { input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] })
    const tooMany = { input: tensorFromValues('float32', [4, 3], new Array(12).fill(0)) }
    await rejectsWith(runtime.run({ cid, inputs: tooMany }), 'INPUT_TOO_LARGE', /Input "input" has 12 elements; the limit is 9/)
    const { outputs } = await runtime.run({ cid, inputs })
    assert.deepEqual(outputs.output!.shape, [3, 2])
    assert.equal(local.loads.get(cid), 2, 'bytes fetched once to describe, once to create the session')
  } finally {
    await runtime.close()
  }
})
