import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  BINARY_MESSAGE_MEDIA_TYPE, bytesToHex, decodeBinaryMessage, decodeTensorSet, encodeBinaryMessage, encodeTensorSet, hashTensorSet, hexToBytes,
  tensorMapFromJson, tensorMapToJson, VerityError, type TensorMapJson,
} from './index.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/tensors.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string; tensors: TensorMapJson; encoding: string; hash: string }>
}

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof VerityError && e.code === 'INVALID_INPUT' && message.test(e.message))

test('decodeTensorSet reads every frozen vector back to the same tensors', () => {
  for (const c of vectors.cases) {
    const decoded = decodeTensorSet(hexToBytes(c.encoding as `0x${string}`))
    assert.deepEqual(tensorMapToJson(decoded, 'base64'), tensorMapToJson(tensorMapFromJson(c.tensors), 'base64'), c.name)
    assert.equal(hashTensorSet(decoded), c.hash, c.name)
  }
})

test('decodeTensorSet copies into aligned memory (the source may sit at any offset)', () => {
  const bytes = encodeTensorSet(tensorMapFromJson({ x: { dtype: 'float64', shape: [2], data: [1.5, -2] } }))
  const shifted = new Uint8Array(bytes.length + 1)
  shifted.set(bytes, 1)
  const out = decodeTensorSet(shifted.subarray(1))
  assert.deepEqual([...(out.x!.data as Float64Array)], [1.5, -2])
  shifted.fill(0)
  assert.deepEqual([...(out.x!.data as Float64Array)], [1.5, -2])
})

test('decodeTensorSet refuses what is not canonical, saying what and where', () => {
  const a = tensorMapFromJson({ a: { dtype: 'int8', shape: [1], data: [1] } })
  const b = tensorMapFromJson({ b: { dtype: 'int8', shape: [1], data: [2] } })
  const ab = encodeTensorSet({ ...a, ...b })
  invalid(() => decodeTensorSet(ab.subarray(0, ab.length - 1)), /tensor "b"'s data runs past the end/)
  invalid(() => decodeTensorSet(new Uint8Array([...ab, 0])), /1 bytes after the last tensor/)
  invalid(() => decodeTensorSet(new Uint8Array([0x58, ...ab.subarray(1)])), /does not start with "VTS1"/)
  // Same tensors, names swapped into the wrong order.
  const swapped = new Uint8Array(ab)
  swapped[12] = 0x62
  swapped[12 + 1 + 1 + 4 + 8 + 1 + 4] = 0x61
  invalid(() => decodeTensorSet(swapped), /"a" is out of order or repeated/)
  const badDtype = new Uint8Array(ab)
  badDtype[13] = 99
  invalid(() => decodeTensorSet(badDtype), /tensor "a" has unknown dtype code 99/)
  const bool = encodeTensorSet(tensorMapFromJson({ m: { dtype: 'bool', shape: [1], data: [true] } }))
  bool[bool.length - 1] = 2
  invalid(() => decodeTensorSet(bool), /bool element 0 is 2/)
  // A shape claiming far more elements than the bytes: refused before anything is allocated.
  const huge = encodeTensorSet(tensorMapFromJson({ h: { dtype: 'float32', shape: [1], data: [1] } }))
  new DataView(huge.buffer).setBigUint64(8 + 4 + 1 + 1 + 4, 1n << 40n, true)
  invalid(() => decodeTensorSet(huge), /dimension 0 is 1099511627776, more than the message could hold/)
})

test('binary messages: frozen bytes, round trip, and clear errors', () => {
  const tensors = tensorMapFromJson({ x: { dtype: 'int16', shape: [2], data: [1, -2] } })
  const bytes = encodeBinaryMessage({ model: 'verity/m@1.00' }, tensors)
  const head = Buffer.from('{"model":"verity/m@1.00"}')
  assert.deepEqual(Buffer.from(bytes), Buffer.concat([Buffer.from('VRB1'), Buffer.from([head.length, 0, 0, 0]), head, Buffer.from(encodeTensorSet(tensors))]))
  assert.equal(bytesToHex(bytes), '0x5652423119000000' + head.toString('hex') + bytesToHex(encodeTensorSet(tensors)).slice(2))
  const back = decodeBinaryMessage(bytes)
  assert.deepEqual(back.head, { model: 'verity/m@1.00' })
  assert.equal(hashTensorSet(back.tensors), hashTensorSet(tensors))
  assert.equal(BINARY_MESSAGE_MEDIA_TYPE, 'application/vnd.verity.vrb1')
  invalid(() => decodeBinaryMessage(bytes.subarray(0, 5)), /too short/)
  invalid(() => decodeBinaryMessage(new Uint8Array([...Buffer.from('VRB1'), 255, 0, 0, 0])), /head \(255 bytes\) runs past the end/)
  invalid(() => decodeBinaryMessage(encodeBinaryMessageRaw('[1]')), /head must be a JSON object/)
  invalid(() => decodeBinaryMessage(encodeBinaryMessageRaw('{"a":')), /head is not UTF-8 JSON/)
  invalid(() => decodeBinaryMessage(new Uint8Array([...bytes, 1]), 'request'), /request tensors: 1 bytes after the last tensor/)
})

function encodeBinaryMessageRaw(head: string): Uint8Array {
  const h = Buffer.from(head)
  return new Uint8Array(Buffer.concat([Buffer.from('VRB1'), Buffer.from([h.length, 0, 0, 0]), h, Buffer.from(encodeTensorSet({}))]))
}
