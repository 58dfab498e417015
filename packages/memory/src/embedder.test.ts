import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHashingEmbedder, createSentenceEncoder } from './embedder.ts'

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0)

test('the sentence encoder runs offline from the npm package and places paraphrases closer', async () => {
  const e = createSentenceEncoder()
  const [a, b, c] = await e.embed(['I adopted a puppy last week', 'We got a new dog recently', 'The quarterly tax filing is due'])
  assert.equal(a!.length, 512)
  assert.ok(Math.abs(dot(a!, a!) - 1) < 1e-4)
  assert.ok(dot(a!, b!) > dot(a!, c!) + 0.1, `${dot(a!, b!)} vs ${dot(a!, c!)}`)
})

test('the default (ONNX) sentence encoder gives the TF.js backend\'s vectors through the worker thread', async () => {
  const texts = ['where did I park the car?', 'My sister moved to Porto last spring.']
  const onnx = createSentenceEncoder()
  const tfjs = createSentenceEncoder({ backend: 'tfjs' })
  try {
    const [a, b] = await Promise.all([onnx.embed(texts), tfjs.embed(texts)])
    assert.equal(onnx.id, tfjs.id)
    a.forEach((v, i) => assert.ok(dot(v, b[i]!) > 1 - 1e-6, `cosine ${dot(v, b[i]!)}`))
  } finally {
    await Promise.all([onnx.close?.(), tfjs.close?.()])
  }
})

test('texts batched by length come back in their own order, equal to embedding each alone', async () => {
  const texts = Array.from({ length: 40 }, (_, i) => `${'word '.repeat((i * 7) % 23)}item ${i}`)
  const batched = createSentenceEncoder({ batchSize: 8, cacheSize: 0 })
  try {
    const all = await batched.embed(texts)
    for (const i of [0, 5, 17, 39]) {
      const [alone] = await batched.embed([texts[i]!])
      assert.ok(dot(all[i]!, alone!) > 1 - 1e-6, `text ${i}: cosine ${dot(all[i]!, alone!)}`)
    }
  } finally {
    await batched.close?.()
  }
})

test('the hashing embedder is deterministic and unit length', async () => {
  const e = createHashingEmbedder(64)
  const [x] = await e.embed(['hello world'])
  const [y] = await e.embed(['hello world'])
  assert.deepEqual(x, y)
  assert.ok(Math.abs(dot(x!, x!) - 1) < 1e-5)
})
