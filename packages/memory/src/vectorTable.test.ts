import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VectorTable } from './vectorTable.ts'
import { TopK } from './searchIndex.ts'

function rand(seed: number, n: number): Float32Array {
  let x = seed >>> 0 || 1
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    return (x >>> 0) / 4294967296 - 0.5
  })
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0)

test('the SIMD table scores like a plain dot product, across growth, clears and odd dimensions', () => {
  for (const dims of [512, 37, 8]) {
    const table = new VectorTable(dims, 4)
    const rows = Array.from({ length: 3000 }, (_, i) => rand(i + 1, dims))
    rows.forEach((v, i) => table.set(i, v))
    table.clear(7)
    rows[7] = new Float32Array(dims)
    const q = rand(99, dims)
    const all = table.scan(q, rows.length)
    assert.equal(all.length, rows.length)
    for (const i of [0, 7, 1234, 2999]) assert.ok(Math.abs(all[i]! - dot(q, rows[i]!)) < 1e-4, `dims ${dims} row ${i}`)
    const picked = table.gather(q, Int32Array.from([2999, 0, 1500]))
    assert.deepEqual([...picked].map((s) => s.toFixed(4)), [2999, 0, 1500].map((i) => dot(q, rows[i]!).toFixed(4)))
  }
})

test('TopK keeps the k best, best first', () => {
  const scores = Array.from(rand(5, 10_000))
  const top = new TopK(25)
  scores.forEach((s, i) => top.offer(i, s))
  const expected = scores.map((s, i): [number, number] => [i, s]).sort((a, b) => b[1] - a[1]).slice(0, 25)
  assert.deepEqual(top.entries().map(([i]) => i), expected.map(([i]) => i))
  const few = new TopK(5)
  few.offer(1, 0.5)
  assert.deepEqual(few.entries(), [[1, 0.5]])
})
