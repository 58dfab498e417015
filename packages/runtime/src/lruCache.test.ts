import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LruCache } from './lruCache.ts'
import * as api from './index.ts'

test('evicts least recently used entries past the byte budget, oldest first', () => {
  const cache = new LruCache<string>(100)
  assert.deepEqual(cache.set('a', 'A', 40), [])
  assert.deepEqual(cache.set('b', 'B', 40), [])
  assert.equal(cache.get('a'), 'A') // a is now the most recent
  assert.deepEqual(cache.set('c', 'C', 40), [{ key: 'b', value: 'B', bytes: 40 }])
  assert.deepEqual(cache.keys(), ['a', 'c'])
  assert.equal(cache.bytes, 80)
})

test('an entry larger than the budget stays alone; replacing a key returns the old value', () => {
  const cache = new LruCache<number>(10)
  cache.set('a', 1, 5)
  cache.set('b', 2, 5)
  assert.deepEqual(cache.set('big', 3, 50).map((e) => e.key), ['a', 'b'])
  assert.deepEqual(cache.keys(), ['big'])
  assert.deepEqual(cache.set('big', 4, 5), [{ key: 'big', value: 3, bytes: 50 }])
  assert.equal(cache.bytes, 5)
  assert.deepEqual(cache.delete('big'), { key: 'big', value: 4, bytes: 5 })
  assert.equal(cache.size, 0)
  assert.throws(() => new LruCache(-1), RangeError)
})

test('the public API is exactly this list (update it when the API changes on purpose)', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'LruCache', 'ONNXRUNTIME_VERSION', 'SESSION_BYTES_FACTOR', 'SESSION_OPTIONS', 'assertRunnable', 'checkInputs', 'createRuntime', 'defaultInputLimits', 'prepareInputs',
  ])
})
