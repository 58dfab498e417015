import { test } from 'node:test'
import assert from 'node:assert/strict'
import ort from 'onnxruntime-node'
import { VerityError } from '@verity/protocol'
import { buildMlp, buildModel, decodeModel, describeModel } from './index.ts'

import { sampleModel } from '@verity/samples'

test('describes real third-party models (PaddleOCR classifier and recognizer)', () => {
  const cls = describeModel(sampleModel('paddleocr/text-direction-classifier').bytes())
  assert.equal(cls.inputs.length, 1)
  assert.equal(cls.inputs[0]!.name, 'x')
  assert.equal(cls.inputs[0]!.dtype, 'float32')
  assert.equal(cls.inputs[0]!.shape![1], 3)
  assert.equal(typeof cls.inputs[0]!.shape![0], 'string')
  assert.equal(cls.outputs[0]!.shape![1], 2)
  assert.ok(cls.operators.includes('Conv'))
  assert.ok(cls.parameterCount > 100_000)
  const rec = describeModel(sampleModel('paddleocr/text-recognizer').bytes())
  assert.deepEqual(rec.inputs[0]!.shape!.slice(1, 3), [3, 48])
  assert.equal(rec.outputs[0]!.shape![2], 6625)
})

test('built models are byte-identical across runs and run in onnxruntime with the declared schema', async () => {
  const a = buildMlp({ name: 'm', sizes: [4, 8, 3], seed: 7 })
  assert.deepEqual(a, buildMlp({ name: 'm', sizes: [4, 8, 3], seed: 7 }))
  const d = describeModel(a)
  assert.deepEqual(d.inputs, [{ name: 'input', dtype: 'float32', onnxType: 1, shape: ['batch', 4] }])
  assert.deepEqual(d.outputs, [{ name: 'output', dtype: 'float32', onnxType: 1, shape: ['batch', 3] }])
  assert.equal(d.parameterCount, 4 * 8 + 8 + 8 * 3 + 3)
  const session = await ort.InferenceSession.create(a)
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 0, 0, 0, 0), [2, 4]) })
  assert.deepEqual(out.output!.dims, [2, 3])
})

test('empty, garbage, truncated and dangling-edge files are rejected with the reason', () => {
  const good = buildMlp({ name: 'm', sizes: [16, 32, 4] })
  const reject = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeModel(bytes), (e: unknown) => e instanceof VerityError && e.code === 'INVALID_MODEL_FILE' && pattern.test(e.message), String(pattern))
  reject(new Uint8Array(), /empty/)
  reject(new TextEncoder().encode('this is not an onnx file at all'), /not a valid ONNX protobuf|no graph|ir_version/)
  for (const cut of [good.length - 1, Math.floor(good.length / 2), 10]) reject(good.subarray(0, cut), /truncated|not a valid ONNX|no graph|ir_version|declares no/)
  const dangling = buildModel({
    name: 'd', inputs: [{ name: 'x', dtype: 'float32', shape: [1] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    nodes: [{ op: 'Add', inputs: ['x', 'missing'], outputs: ['y'] }],
  })
  reject(dangling, /reads "missing"/)
})
