import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { encodeTensorSet, hashTensorSet, tensorFromJson, tensorMapFromJson, tensorMapToJson, tensorFromValues, bytesToHex, VerityError, type TensorMapJson } from './index.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/tensors.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string; tensors: TensorMapJson; encoding: string; hash: string }>
}

test('tensor-set vectors: encoding and hash are frozen', () => {
  for (const c of vectors.cases) {
    const map = tensorMapFromJson(c.tensors)
    assert.equal(bytesToHex(encodeTensorSet(map)), c.encoding, c.name)
    assert.equal(hashTensorSet(map), c.hash, c.name)
    // Independent hash: node's OpenSSL sha256 over the same bytes.
    assert.equal(`0x${createHash('sha256').update(encodeTensorSet(map)).digest('hex')}`, c.hash)
  }
})

test('the framing is exactly as specified (hand-built bytes)', () => {
  const map = tensorMapFromJson({ x: { dtype: 'int16', shape: [2], data: [1, -2] } })
  const expected = Buffer.concat([
    Buffer.from('VTS1'), Buffer.from([1, 0, 0, 0]), Buffer.from([1, 0, 0, 0]), Buffer.from('x'), Buffer.from([4]),
    Buffer.from([1, 0, 0, 0]), Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([1, 0, 0xfe, 0xff]),
  ])
  assert.deepEqual(Buffer.from(encodeTensorSet(map)), expected)
})

test('hash is independent of key order; NaN payloads canonicalise', () => {
  const a = tensorMapFromJson({ a: { dtype: 'float32', shape: [1], data: [1] }, b: { dtype: 'float32', shape: [1], data: ['NaN'] } })
  const b = tensorMapFromJson({ b: { dtype: 'float32', shape: [1], data: ['NaN'] }, a: { dtype: 'float32', shape: [1], data: [1] } })
  assert.equal(hashTensorSet(a), hashTensorSet(b))
  const weirdNaN = new Float32Array(new Uint32Array([0x7fa00001]).buffer)
  assert.equal(hashTensorSet({ b: { dtype: 'float32', shape: [1], data: weirdNaN }, a: a.a! }), hashTensorSet(a))
  assert.notEqual(hashTensorSet({ a: { dtype: 'float32', shape: [1], data: Float32Array.of(-0) } }), hashTensorSet({ a: { dtype: 'float32', shape: [1], data: Float32Array.of(0) } }))
})

test('JSON round trip keeps 64-bit integers, non-finite floats, bools and strings exactly', () => {
  const json: TensorMapJson = {
    big: { dtype: 'int64', shape: [2], data: ['-9223372036854775808', '9223372036854775807'] },
    f: { dtype: 'float64', shape: [3], data: ['NaN', 'Infinity', 0.1] },
    flag: { dtype: 'bool', shape: [2], data: [true, false] },
    s: { dtype: 'string', shape: [2], data: ['héllo', ''] },
  }
  assert.deepEqual(tensorMapToJson(tensorMapFromJson(json)), json)
})

test('nested data is flattened row-major; ragged and wrong-size data are clear errors', () => {
  const t = tensorFromJson({ dtype: 'float32', shape: [2, 2], data: [[1, 2], [3, 4]] })
  assert.deepEqual([...t.data as Float32Array], [1, 2, 3, 4])
  assert.throws(() => tensorFromJson({ dtype: 'float32', shape: [2, 2], data: [[1, 2], [3]] }, 'input.x'), (e: unknown) => e instanceof VerityError && e.code === 'INVALID_INPUT' && /input.x: ragged/.test(e.message))
  assert.throws(() => tensorFromValues('float32', [2, 3], [1, 2], 'input.x'), /needs 6 elements, got 2/)
  assert.throws(() => tensorFromValues('uint8', [1], [256], 'input.x'), /expected an integer in uint8 range/)
  assert.throws(() => tensorFromJson({ dtype: 'float16', shape: [1], data: [1] }, 'input.x'), /unknown dtype "float16"/)
  assert.throws(() => tensorFromValues('int64', [1], ['1.5'], 'input.x'), /expected a int64 integer/)
})
