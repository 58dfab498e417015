/**
 * Shared benchmark helpers. Each package may ship `bench/*.bench.ts` files whose default export is
 * `async (ctx: BenchContext) => void`; `npm run bench [filter]` runs them in one process, in order,
 * so ratios are measured side by side on the same machine state.
 */
import { performance } from 'node:perf_hooks'

export type Stats = { n: number; mean: number; p50: number; p95: number; p99: number; min: number; max: number }

export function summarize(samplesMs: readonly number[]): Stats {
  if (samplesMs.length === 0) throw new RangeError('summarize needs at least one sample')
  const s = [...samplesMs].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(50), p95: q(95), p99: q(99), min: s[0]!, max: s.at(-1)! }
}

/** Times `fn` `iterations` times after `warmup` runs; returns per-call milliseconds. */
export async function sample(fn: () => unknown, iterations: number, warmup = Math.min(5, iterations)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn()
  const out: number[] = []
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out
}

/** Runs `fn` with `concurrency` workers for `total` calls; returns latencies and throughput (calls/s). */
export async function load(fn: () => Promise<unknown>, total: number, concurrency: number): Promise<{ latencies: number[]; throughput: number }> {
  const latencies: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++
      const s = performance.now()
      await fn()
      latencies.push(performance.now() - s)
    }
  }))
  return { latencies, throughput: total / ((performance.now() - t0) / 1000) }
}

export type Cell = string | number
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 1000) return value.toFixed(0)
  return value.toFixed(digits)
}

/** Prints a fixed-width table with a title. */
export function printTable(title: string, columns: string[], rows: Cell[][]): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(line(columns))
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`)
  for (const r of cells) console.log(line(r))
}

export type BenchContext = {
  /** True for `npm run bench -- --quick`: fewer iterations, smaller sizes (for smoke runs). */
  quick: boolean
  /** A scratch directory for this run (removed afterwards). */
  tmpDir: string
  printTable: typeof printTable
  progress: (message: string) => void
}
