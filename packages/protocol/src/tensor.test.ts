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

test('base64 form carries the same tensor and hash as the array form, for every dtype', () => {
  const json: TensorMapJson = {
    f32: { dtype: 'float32', shape: [2, 2], data: [0.1, -2, 'NaN', 'Infinity'] },
    f64: { dtype: 'float64', shape: [2], data: [Math.PI, -0] },
    i8: { dtype: 'int8', shape: [2], data: [-128, 127] }, u16: { dtype: 'uint16', shape: [1], data: [65535] },
    i64: { dtype: 'int64', shape: [2], data: ['-9223372036854775808', '42'] }, u64: { dtype: 'uint64', shape: [1], data: ['18446744073709551615'] },
    b: { dtype: 'bool', shape: [3], data: [true, false, true] }, s: { dtype: 'string', shape: [3], data: ['', 'héllo', 'x'] },
    empty: { dtype: 'float32', shape: [0], data: [] },
  }
  const map = tensorMapFromJson(json)
  const compact = tensorMapToJson(map, 'base64')
  for (const t of Object.values(compact)) assert.ok('base64' in t)
  const back = tensorMapFromJson(compact)
  assert.equal(hashTensorSet(back), hashTensorSet(map))
  assert.deepEqual(tensorMapToJson(back), tensorMapToJson(map))
  assert.throws(() => tensorFromJson({ dtype: 'float32', shape: [3], base64: 'AAAAAA==' }, 'input.x'), /needs 12 bytes, base64 holds 4/)
  assert.throws(() => tensorFromJson({ dtype: 'float32', shape: [1], base64: 'not base64!' }, 'input.x'), /not valid standard base64/)
  assert.throws(() => tensorFromJson({ dtype: 'bool', shape: [1], base64: 'Ag==' }, 'input.x'), /bool element 0 is 2/)
  assert.throws(() => tensorFromJson({ dtype: 'string', shape: [2], base64: 'AQAAAGE=' }, 'input.x'), /holds 1 strings, shape needs 2/)
})

test('the Node and portable sha2-256 implementations agree', async () => {
  const { sha256: portable } = await import('./sha256.ts')
  const { sha256: fast } = await import('./sha256.node.ts')
  for (const size of [0, 1, 55, 56, 64, 1000, 1 << 20]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
    assert.deepEqual(fast(bytes), portable(bytes))
  }
})

test('incremental sha2-256 (Node and portable) equals hashing the concatenation', async () => {
  const portable = await import('./sha256.ts')
  const fast = await import('./sha256.node.ts')
  const parts = [0, 3, 64, 1000, 70_000].map((size) => new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff))
  const whole = portable.sha256(Uint8Array.from(parts.flatMap((p) => [...p])))
  for (const impl of [portable, fast]) {
    const hash = impl.createSha256()
    for (const p of parts) hash.update(p)
    assert.deepEqual(hash.digest(), whole)
  }
})

test('hashing a tensor in place does not change it, and canonicalises NaN and bool only in the hash', () => {
  const nan = new Float32Array([1, Number.NaN, 2])
  new Uint32Array(nan.buffer)[1] = 0x7fc00001 // a NaN with a payload
  const before = Buffer.from(nan.buffer).toString('hex')
  const canonical = tensorFromValues('float32', [3], [1, Number.NaN, 2])
  assert.equal(hashTensorSet({ x: { dtype: 'float32', shape: [3], data: nan } }), hashTensorSet({ x: canonical }))
  assert.equal(Buffer.from(nan.buffer).toString('hex'), before, 'the caller\'s tensor is untouched')
  const bools = Uint8Array.of(0, 7, 1)
  assert.equal(hashTensorSet({ b: { dtype: 'bool', shape: [3], data: bools } }), hashTensorSet({ b: { dtype: 'bool', shape: [3], data: Uint8Array.of(0, 1, 1) } }))
  assert.deepEqual([...bools], [0, 7, 1])
  const sub = new Float32Array([9, 1, 2, 9]).subarray(1, 3)
  assert.equal(hashTensorSet({ x: { dtype: 'float32', shape: [2], data: sub } }), hashTensorSet({ x: tensorFromValues('float32', [2], [1, 2]) }))
})
