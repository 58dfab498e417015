import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IoSchema } from '@verity/protocol'
import { buildInferInput, fieldShape, fillExample, formModelFromSchema, nest, setDim } from './formModel.ts'

const schema: IoSchema = {
  inputs: [
    { name: 'input', dtype: 'float32', shape: ['batch', 4] },
    { name: 'ids', dtype: 'int64', shape: [null, -1] },
    { name: 'mystery', dtype: null, shape: null },
  ],
  outputs: [{ name: 'output', dtype: 'float32', shape: ['batch', 3] }], operators: ['Gemm'], parameterCount: 10, opsets: [],
}

test('each declared input becomes a field; dynamic dims are number fields defaulting to 1', () => {
  const model = formModelFromSchema(schema)
  assert.deepEqual(model.fields.map((f) => f.name), ['input', 'ids', 'mystery'])
  assert.deepEqual(model.fields[0]!.dims, [{ kind: 'dynamic', label: 'batch', size: 1 }, { kind: 'fixed', size: 4 }])
  assert.deepEqual(model.fields[1]!.dims, [{ kind: 'dynamic', label: 'dim 0', size: 1 }, { kind: 'dynamic', label: 'dim 1', size: 1 }])
  assert.equal(model.fields[2]!.dtype, 'float32')
  assert.equal(model.fields[2]!.dtypeDeclared, false)
  assert.deepEqual(fieldShape(model.fields[2]!), [1])
  assert.deepEqual(formModelFromSchema(null), { fields: [] })
})

test('setDim changes only dynamic dimensions', () => {
  const field = formModelFromSchema(schema).fields[0]!
  assert.deepEqual(fieldShape(setDim(field, 0, 3)), [3, 4])
  assert.deepEqual(fieldShape(setDim(field, 1, 9)), [1, 4])
})

test('fill example produces nested arrays of the field shape that build into a valid request', () => {
  let model = formModelFromSchema(schema)
  model = { fields: model.fields.map((f, i) => fillExample(i === 0 ? setDim(f, 0, 2) : f)) }
  assert.deepEqual(JSON.parse(model.fields[0]!.data).length, 2)
  assert.deepEqual(JSON.parse(model.fields[0]!.data)[0].length, 4)
  const built = buildInferInput(model)
  assert.ok(built.ok)
  assert.deepEqual(built.input.input!.shape, [2, 4])
  assert.equal((built.input.input as { data: unknown[] }).data.length, 8)
  assert.equal(built.input.ids!.dtype, 'int64')
  assert.ok((built.input.ids as { data: unknown[] }).data.every((v) => Number.isInteger(v)))
})

test('fill example refuses absurd sizes with a message naming the input', () => {
  const field = setDim(formModelFromSchema(schema).fields[0]!, 0, 1_000_000)
  assert.throws(() => fillExample(field), /input: shape \[1000000, 4\] has 4000000 elements/)
})

test('bad data gets one message per field: empty, not JSON, ragged, wrong shape; a flat array of the right size is accepted', () => {
  const [a, b, c] = formModelFromSchema(schema).fields
  const result = buildInferInput({ fields: [{ ...a!, data: '' }, { ...b!, data: '[[1, 2' }, { ...c!, data: '[[1], 2]' }] })
  assert.equal(result.ok, false)
  if (result.ok) return
  assert.match(result.errors.input!, /Enter the data of input .* shape \[1, 4\]/)
  assert.match(result.errors.ids!, /not valid JSON/)
  assert.match(result.errors.mystery!, /ragged/)
  const wrong = buildInferInput({ fields: [{ ...a!, data: '[[1, 2, 3]]' }] })
  assert.ok(!wrong.ok && /has shape \[1, 3\] \(3 elements\), but the form says \[1, 4\]/.test(wrong.errors.input!))
  const flat = buildInferInput({ fields: [{ ...a!, data: '[1, 2, 3, 4]' }] })
  assert.ok(flat.ok && 'data' in flat.input.input! && flat.input.input.data.length === 4)
})

test('nest reshapes row-major data', () => {
  assert.deepEqual(nest([1, 2, 3, 4, 5, 6], [2, 3]), [[1, 2, 3], [4, 5, 6]])
  assert.deepEqual(nest([1, 2, 3, 4], [2, 1, 2]), [[[1, 2]], [[3, 4]]])
  assert.equal(nest([7], []), 7)
})
