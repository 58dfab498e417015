import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildMlp, describeModel } from '@verity/onnx'
import { VerityError, tensorFromValues } from '@verity/protocol'
import { sampleModel } from '@verity/samples'
import { allTypesIdentityModel, castNotModel, float16Model, sharedDimModel } from './_testModels.ts'
import { checkInputs, prepareInputs } from './prepareInputs.ts'

const mlp = describeModel(buildMlp({ name: 'm', sizes: [4, 8, 3] })) // input [batch, 4] float32
const classifier = describeModel(sampleModel('paddleocr/text-direction-classifier').bytes()) // x [N, 3, H, W]
const castNot = describeModel(castNotModel()) // x float32 [2, 3], flags bool [2, 3]
const shared = describeModel(sharedDimModel()) // a, b [batch, 4]
const allTypes = describeModel(allTypesIdentityModel())

/** Asserts that `fn` throws a VerityError with `code` whose message matches `pattern`; returns its details. */
function rejects(fn: () => unknown, code: string, pattern: RegExp): Record<string, unknown> {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof VerityError, `expected a VerityError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, pattern)
    return error.details
  }
  assert.fail(`expected ${code} matching ${pattern}`)
}

test('plain nested arrays take the dtype from the model and the shape from the nesting', () => {
  const inputs = prepareInputs(mlp, { input: [[0.5, -1.25, 3, 0.125], [1, 2, 3, 4]] })
  assert.equal(inputs.input!.dtype, 'float32')
  assert.deepEqual(inputs.input!.shape, [2, 4])
  assert.deepEqual([...inputs.input!.data as Float32Array], [0.5, -1.25, 3, 0.125, 1, 2, 3, 4])
  const typed = prepareInputs(castNot, { x: [[1.5, 2, 3], [4, 5, 6]], flags: [[true, false, true], [false, false, true]] })
  assert.equal(typed.flags!.dtype, 'bool')
  assert.deepEqual([...typed.flags!.data as Uint8Array], [1, 0, 1, 0, 0, 1])
})

test('TensorJson input with flat or nested data, 64-bit integers as strings', () => {
  const flat = prepareInputs(mlp, { input: { dtype: 'float32', shape: [1, 4], data: [1, 2, 3, 4] } })
  const nested = prepareInputs(mlp, { input: { dtype: 'float32', shape: [1, 4], data: [[1, 2, 3, 4]] } })
  assert.deepEqual(flat, nested)
  const raw: Record<string, unknown> = {}
  for (const spec of allTypes.inputs) {
    raw[spec.name] = { dtype: spec.dtype, shape: [2], data: spec.dtype === 'string' ? ['a', 'b'] : spec.dtype === 'bool' ? [true, false] : ['int64', 'uint64'].includes(spec.dtype!) ? ['9007199254740993', '7'] : [1, 2] }
  }
  const inputs = prepareInputs(allTypes, raw)
  assert.equal((inputs.in_int64!.data as BigInt64Array)[0], 9007199254740993n)
  assert.deepEqual(inputs.in_string!.data, ['a', 'b'])
  assert.equal(Object.keys(inputs).length, 12)
})

test('a real model: the PaddleOCR classifier accepts its example input', () => {
  const inputs = prepareInputs(classifier, sampleModel('paddleocr/text-direction-classifier').exampleInput())
  assert.deepEqual(inputs.x!.shape, [1, 3, 48, 192])
})

test('unknown input name lists the valid names', () => {
  const details = rejects(() => prepareInputs(mlp, { input: [[1, 2, 3, 4]], extra: [1] }), 'INVALID_INPUT', /Unknown input "extra": the model's inputs are "input"/)
  assert.deepEqual(details, { tensor: 'extra', valid: ['input'] })
})

test('missing input names it with its dtype and shape', () => {
  const details = rejects(() => prepareInputs(castNot, { x: [[1, 2, 3], [4, 5, 6]] }), 'INVALID_INPUT', /Missing input "flags" \(bool \[2, 3\]\)/)
  assert.deepEqual(details, { missing: ['flags'] })
  rejects(() => prepareInputs(mlp, [[1, 2, 3, 4]]), 'INVALID_INPUT', /must be an object keyed by input name \("input"\), got an array/)
})

test('dtype mismatch says expected and got', () => {
  const details = rejects(() => prepareInputs(mlp, { input: { dtype: 'int64', shape: [1, 4], data: [1, 2, 3, 4] } }), 'INVALID_INPUT', /Input "input": expected dtype float32, got int64/)
  assert.deepEqual(details, { tensor: 'input', expected: 'float32', got: 'int64' })
  rejects(() => prepareInputs(mlp, { input: { dtype: 'float8', shape: [1, 4], data: [1, 2, 3, 4] } }), 'INVALID_INPUT', /unknown dtype "float8"; expected float32/)
  const typed = { input: tensorFromValues('float64', [1, 4], [1, 2, 3, 4]) }
  rejects(() => checkInputs(mlp, typed), 'INVALID_INPUT', /expected dtype float32, got float64/)
})

test('rank mismatch shows both shapes', () => {
  rejects(() => prepareInputs(mlp, { input: [1, 2, 3, 4] }), 'INVALID_INPUT', /Input "input": expected rank 2 \[batch, 4\], got rank 1 \[4\]/)
})

test('fixed dimension mismatch names the axis', () => {
  // The PaddleOCR classifier declares x as [N, 3, H, W]: only the channel axis is fixed.
  const details = rejects(() => prepareInputs(classifier, { x: { dtype: 'float32', shape: [1, 4, 48, 192], data: new Array(4 * 48 * 192).fill(0) } }), 'INVALID_INPUT', /Input "x": axis 1 must be 3/)
  assert.equal(details.axis, 1)
  assert.equal(details.got, 4)
  rejects(() => prepareInputs(mlp, { input: [[1, 2, 3]] }), 'INVALID_INPUT', /axis 1 must be 4 \(declared shape \[batch, 4\]\), got 3/)
})

test('dynamic dimensions accept any size, but a shared symbolic dimension must agree across inputs', () => {
  assert.deepEqual(prepareInputs(mlp, { input: new Array(5).fill([1, 2, 3, 4]) }).input!.shape, [5, 4])
  assert.deepEqual(prepareInputs(shared, { a: [[1, 2, 3, 4]], b: [[1, 2, 3, 4]] }).a!.shape, [1, 4])
  const details = rejects(() => prepareInputs(shared, { a: [[1, 2, 3, 4]], b: [[1, 2, 3, 4], [5, 6, 7, 8]] }), 'INVALID_INPUT',
    /Input "b": axis 0 is the dimension "batch", which input "a" axis 0 set to 1; got 2/)
  assert.equal(details.dimension, 'batch')
})

test('ragged nested arrays and bad element values are rejected with their position', () => {
  rejects(() => prepareInputs(mlp, { input: [[1, 2, 3, 4], [1, 2]] }), 'INVALID_INPUT', /Input "input": ragged nested array at \[1\]/)
  const details = rejects(() => prepareInputs(mlp, { input: [[1, 'two', 3, 4]] }), 'INVALID_INPUT', /element 1 is "two", expected a number/)
  assert.equal(details.tensor, 'input')
  rejects(() => prepareInputs(castNot, { x: [[1, 2, 3], [4, 5, 6]], flags: [[true, false, 'yes'], [false, false, true]] }), 'INVALID_INPUT', /element 2 is "yes", expected a boolean/)
})

test('NaN and Infinity are rejected by default with the index of the first one, and allowed on request', () => {
  const details = rejects(() => prepareInputs(mlp, { input: { dtype: 'float32', shape: [2, 4], data: [1, 2, 3, 4, 5, 'NaN', 'Infinity', 8] } }), 'INVALID_INPUT', /Input "input": element 5 is NaN/)
  assert.deepEqual(details, { tensor: 'input', index: 5, value: 'NaN' })
  rejects(() => prepareInputs(mlp, { input: [[1, 2, 3, Number.NEGATIVE_INFINITY]] }), 'INVALID_INPUT', /element 3 is -Infinity/)
  const typed = { input: tensorFromValues('float32', [1, 4], [1, Number.POSITIVE_INFINITY, 3, 4]) }
  rejects(() => checkInputs(mlp, typed), 'INVALID_INPUT', /element 1 is Infinity/)
  const allowed = prepareInputs(mlp, { input: { dtype: 'float32', shape: [1, 4], data: [1, 'NaN', 'Infinity', 4] } }, { allowNonFinite: true })
  assert.ok(Number.isNaN(allowed.input!.data[1]))
  checkInputs(mlp, typed, { allowNonFinite: true })
})

test('size limits: elements per tensor and total bytes give INPUT_TOO_LARGE before allocating', () => {
  const details = rejects(() => prepareInputs(mlp, { input: new Array(3).fill([1, 2, 3, 4]) }, { maxElementsPerTensor: 8 }), 'INPUT_TOO_LARGE', /Input "input" has 12 elements; the limit is 8/)
  assert.deepEqual(details, { tensor: 'input', elements: 12, limit: 8 })
  rejects(() => prepareInputs(mlp, { input: { dtype: 'float32', shape: [1_000_000, 4], data: [] } }, { maxElementsPerTensor: 1000 }), 'INPUT_TOO_LARGE', /4000000 elements/)
  rejects(() => prepareInputs(castNot, { x: [[1, 2, 3], [4, 5, 6]], flags: [[true, false, true], [false, false, true]] }, { maxTotalBytes: 25 }), 'INPUT_TOO_LARGE', /The inputs take 30 bytes; the limit is 25/)
  const typed = { input: tensorFromValues('float32', [4, 4], new Array(16).fill(0)) }
  rejects(() => checkInputs(mlp, typed, { maxTotalBytes: 63 }), 'INPUT_TOO_LARGE', /64 bytes; the limit is 63/)
})

test('typed tensors whose data does not fit their shape or dtype are rejected', () => {
  rejects(() => checkInputs(mlp, { input: { dtype: 'float32', shape: [2, 4], data: new Float32Array(4) } }), 'INVALID_INPUT', /shape \[2, 4\] needs 8 elements, data has 4/)
  rejects(() => checkInputs(mlp, { input: { dtype: 'float32', shape: [1, 4], data: new Float64Array(4) as unknown as Float32Array } }), 'INVALID_INPUT', /data does not match dtype float32/)
})

test('a model with float16 inputs is refused with UNSUPPORTED_MODEL naming the tensor', () => {
  const description = describeModel(float16Model())
  const details = rejects(() => prepareInputs(description, { half: [1, 2] }), 'UNSUPPORTED_MODEL', /input "half" \(float16\) uses a type Verity cannot carry/)
  assert.deepEqual(details.tensors, [{ role: 'input', name: 'half', onnxType: 'float16' }])
})
