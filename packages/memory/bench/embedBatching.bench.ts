/**
 * Embedding many texts at once (extraction, re-embedding, bulk import): batches in arrival order vs
 * the encoder's batches of like length, side by side on LoCoMo's dialogue turns (real lengths, 5 to
 * 100+ words). A batch is padded to its longest text, so arrival order wastes most of each batch.
 * Env: LOCOMO_PATH (default /work/shared/datasets/locomo/locomo-dev.json).
 */
import { readFileSync } from 'node:fs'
import type { BenchContext } from '@verity/bench'
import { createSentenceEncoder } from '../src/index.ts'

export default async function embedBatching(ctx: BenchContext): Promise<void> {
  const path = process.env.LOCOMO_PATH ?? '/work/shared/datasets/locomo/locomo-dev.json'
  const turns: string[] = []
  for (const sample of JSON.parse(readFileSync(path, 'utf8')) as Array<{ conversation: Record<string, unknown> }>) {
    for (let s = 1; Array.isArray(sample.conversation[`session_${s}`]); s++) {
      for (const turn of sample.conversation[`session_${s}`] as Array<{ text: string }>) turns.push(turn.text)
    }
  }
  const texts = [...new Set(turns)].slice(0, ctx.quick ? 512 : 2048)
  const encoder = createSentenceEncoder({ cacheSize: 0 })
  try {
    await encoder.embed(texts.slice(0, 64))
    const times = { arrival: 0, byLength: 0 }
    const rounds = 2
    for (let round = 0; round < rounds; round++) {
      ctx.progress(`round ${round + 1} of ${rounds}`)
      let t0 = performance.now()
      // Each call holds one batch, so the encoder cannot regroup: the arrival order.
      for (let i = 0; i < texts.length; i += 32) await encoder.embed(texts.slice(i, i + 32))
      times.arrival += performance.now() - t0
      t0 = performance.now()
      await encoder.embed(texts)
      times.byLength += performance.now() - t0
    }
    const rate = (ms: number) => (texts.length * rounds) / (ms / 1000)
    const mean = texts.reduce((a, t) => a + t.length, 0) / texts.length
    ctx.printTable(`USE-lite (ONNX, worker thread): ${texts.length} LoCoMo turns (mean ${mean.toFixed(0)} characters), batches of 32`, ['batches', 'texts/s', 'ms per text', 'speed-up'], [
      ['in arrival order', rate(times.arrival), times.arrival / (texts.length * rounds), '—'],
      ['of like length (one embed call)', rate(times.byLength), times.byLength / (texts.length * rounds), `${(times.arrival / times.byLength).toFixed(2)}×`],
    ])
  } finally {
    await encoder.close?.()
  }
}
