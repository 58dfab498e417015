import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { loadSentenceEncoderModel } from './sentenceEncoderModel.ts'
import { createSentencePieceTokenizer } from './sentencePiece.ts'
import { buildUseLiteOnnx, readUseLiteFiles, tokenGrid, USE_LITE_MAX_TOKENS } from './useLiteOnnx.ts'
import { describeModel } from '@verity/onnx'

// Texts as the embedder sees them (it maps '' to ' ' and cuts at 2,000 characters).
const TEXTS: string[] = [
  ' ',
  '  ',
  '?',
  '...',
  'a',
  'hi',
  'Hello!',
  'ok thx',
  'lol 😂😂😂',
  'where do I live?',
  'What did I do last weekend?',
  'When is my sister\'s birthday?',
  'what food am i allergic to',
  'favourite band',
  'Did Caroline go to the LGBTQ support group?',
  'How many kids does Melanie have?',
  'my dog\'s name',
  'I adopted a puppy last week',
  'We got a new dog recently',
  'The quarterly tax filing is due on April 15th.',
  'I moved to Lisbon in 2019 and started working at a fintech startup as a backend engineer.',
  'My flight to Tokyo leaves at 6:45am on Friday, gate B12, seat 34C — don\'t let me forget the passport!!!',
  'She said: "I\'ll be there by 8 p.m., unless the train is late (again)."',
  'e-mail me at john.doe+test@example.com or call +1 (555) 010-9999',
  'C++ vs. Rust vs. TypeScript: which one should I learn first?',
  'SELECT * FROM users WHERE id = 42; -- why is this slow?',
  'https://example.com/path?query=1&other=two#fragment',
  '$1,234.56 + 7.8% tax = $1,330.84',
  '10/12/2024 14:30 UTC',
  'ALL CAPS SENTENCE ABOUT NOTHING IN PARTICULAR',
  'tHiS iS wEiRd CaSiNg',
  'Ünïcödé façade naïve café résumé coöperate',
  'Straße, Größe, Fußball',
  '東京でラーメンを食べました',
  '我喜欢在周末去爬山',
  'Привет, как дела?',
  'مرحبا بالعالم',
  'שלום עולם',
  'नमस्ते दुनिया',
  'Γειά σου Κόσμε',
  '🙂🙃😉 emoji only 🎉🎂🥳',
  '👨‍👩‍👧‍👦 family emoji with zero-width joiners',
  'ﬁ ﬂ ½ ① ｆｕｌｌｗｉｄｔｈ (NFKC changes these)',
  'tabs\tand\nnewlines\r\nmixed',
  '   leading and trailing spaces   ',
  'repeated repeated repeated repeated repeated repeated',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z',
  '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20',
  '!!!???...,,,;;;:::',
  '\u200b\u200bzero width spaces\u200b',
  'The mitochondria is the powerhouse of the cell, converting nutrients into adenosine triphosphate through oxidative phosphorylation.',
  'Caroline: I went to a LGBTQ support group yesterday and it was so powerful. Melanie: That\'s amazing, I\'m so proud of you!',
  'I think I\'ll start running again — maybe a 5k in the spring; my knee feels better since physio.',
  'Remind me to buy milk, eggs, bread, butter, cheese, apples, bananas, and coffee beans on the way home.',
  'The quick brown fox jumps over the lazy dog. '.repeat(45).trim(),
  'x'.repeat(2000),
  Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ').slice(0, 2000),
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '.repeat(16).slice(0, 2000),
  'Über die Brücke gehen wir morgen früh, wenn es nicht regnet. '.repeat(30).slice(0, 2000),
  '日本語のテキスト。'.repeat(200).slice(0, 2000),
]

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}
const maxAbsDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0)

test('the sentencepiece port produces the reference tokenizer\'s ids', () => {
  const require = createRequire(import.meta.url)
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as { EmbeddingsModel: new (d: { vocabulary: unknown; model: unknown }) => { tokenizer: { encode(t: string): number[] } } }
  const { vocabulary } = readUseLiteFiles()
  const reference = new EmbeddingsModel({ vocabulary, model: null }).tokenizer
  const port = createSentencePieceTokenizer(vocabulary)
  for (const text of [...TEXTS, '', 'a\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral', '▁▁ literal separators ▁']) {
    assert.deepEqual(port.encode(text), reference.encode(text), JSON.stringify(text.slice(0, 40)))
  }
  assert.ok(TEXTS.some((t) => port.encode(t).length > USE_LITE_MAX_TOKENS), 'some text is longer than the model reads')
})

test('the converted model is a small standard-op graph', () => {
  const described = describeModel(buildUseLiteOnnx(readUseLiteFiles()))
  assert.deepEqual(described.inputs.map((i) => [i.name, i.dtype]), [['token_ids', 'int32']])
  assert.deepEqual(described.outputs.map((o) => [o.name, o.dtype, o.shape]), [['embeddings', 'float32', ['batch', 512]]])
  assert.ok(described.nodeCount < 100, `${described.nodeCount} nodes`)
  assert.ok(described.parameterCount > 6_000_000 && described.parameterCount < 8_000_000, `${described.parameterCount} parameters`)
})

test('ONNX vectors equal the TensorFlow.js vectors, one text at a time and in batches', async () => {
  assert.ok(TEXTS.length >= 60)
  const [onnx, tfjs] = await Promise.all([loadSentenceEncoderModel('onnx'), loadSentenceEncoderModel('tfjs')])
  let worstCosine = 1
  let worstComponent = 0
  const single: Float32Array[] = []
  for (const text of TEXTS) {
    const [mine] = await onnx.embed([text])
    const [reference] = await tfjs.embed([text])
    single.push(mine!)
    const c = cosine(mine!, reference!)
    const d = maxAbsDifference(mine!, reference!)
    worstCosine = Math.min(worstCosine, c)
    worstComponent = Math.max(worstComponent, d)
    // The brief allows 0.9999; the conversion reaches float32 rounding, so hold it to that.
    assert.ok(c >= 1 - 1e-6, `cosine ${c} for ${JSON.stringify(text.slice(0, 40))}`)
    assert.ok(d <= 5e-6, `max component difference ${d} for ${JSON.stringify(text.slice(0, 40))}`)
  }
  // Mixed lengths in one call pad the short texts; padding must not move any vector.
  let worstBatched = 0
  for (const size of [TEXTS.length, 32, 7]) {
    for (let start = 0; start < TEXTS.length; start += size) {
      const batch = await onnx.embed(TEXTS.slice(start, start + size))
      batch.forEach((v, j) => {
        const d = maxAbsDifference(v, single[start + j]!)
        worstBatched = Math.max(worstBatched, d)
        assert.ok(d <= 1e-6, `batch of ${size}: text ${start + j} differs by ${d}`)
      })
    }
  }
  console.log(`ONNX vs TF.js over ${TEXTS.length} texts: 1 - min cosine ${(1 - worstCosine).toExponential(2)}, max component difference ${worstComponent.toExponential(2)}; batched vs single max difference ${worstBatched.toExponential(2)}`)
})

test('two sessions give bitwise-identical vectors (fixed thread count and optimization level)', async () => {
  const texts = TEXTS.slice(15, 25)
  const [a, b] = await Promise.all([loadSentenceEncoderModel('onnx'), loadSentenceEncoderModel('onnx')])
  const [x, y] = await Promise.all([a.embed(texts), b.embed(texts)])
  x.forEach((v, i) => assert.deepEqual(v, y[i]))
})

test('a token grid pads with -1 and keeps the first 128 pieces', () => {
  const grid = tokenGrid([[5, 6], Array.from({ length: 200 }, (_, i) => 10 + i)])
  assert.deepEqual(grid.dims, [2, 128])
  assert.deepEqual([...grid.data.subarray(0, 3)], [5, 6, -1])
  assert.equal(grid.data[128 + 127], 10 + 127)
  assert.deepEqual(tokenGrid([[]]).dims, [1, 1])
})
