/** Chart data from GET /v1/stats, and SVG path geometry (pure, so it is tested without a browser). */
import type { StatsResponse } from '@verity/protocol'

export type MinuteSeries = { minutes: string[]; counts: number[]; latencyAvgMs: Array<number | null>; byMode: Array<{ mode: string; count: number }> }

/** One value per minute of the window (zero when nothing happened), and totals by mode. */
export function seriesFromStats(stats: StatsResponse): MinuteSeries {
  const from = Date.parse(stats.from)
  const to = Date.parse(stats.to)
  const step = stats.bucketSeconds * 1000
  const minutes: string[] = []
  for (let t = from; t < to; t += step) minutes.push(new Date(t).toISOString())
  const index = new Map(minutes.map((m, i) => [m, i]))
  const counts = minutes.map(() => 0)
  const latencySum = minutes.map(() => 0)
  const latencyN = minutes.map(() => 0)
  for (const b of stats.buckets) {
    const i = index.get(new Date(b.minute).toISOString())
    if (i === undefined) continue
    counts[i]! += b.count
    if (b.latencyAvgMs !== null) { latencySum[i]! += b.latencyAvgMs * b.count; latencyN[i]! += b.count }
  }
  const latencyAvgMs = latencySum.map((s, i) => (latencyN[i]! > 0 ? Math.round((s / latencyN[i]!) * 10) / 10 : null))
  const byMode = Object.entries(stats.totals.byMode).map(([mode, count]) => ({ mode, count: count ?? 0 })).sort((a, b) => b.count - a.count || a.mode.localeCompare(b.mode))
  return { minutes, counts, latencyAvgMs, byMode }
}

/** A round upper bound for an axis: 1, 2, 5 × 10^k. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) if (m * p >= value) return m * p
  return 10 * p
}

/** SVG path for a line through the values; gaps (null) lift the pen. */
export function linePath(values: ReadonlyArray<number | null>, width: number, height: number, max = niceMax(Math.max(0, ...values.map((v) => v ?? 0)))): string {
  const n = values.length
  if (n === 0) return ''
  const x = (i: number) => (n === 1 ? width / 2 : (i / (n - 1)) * width)
  const y = (v: number) => height - (v / max) * height
  let d = ''
  let pen = false
  values.forEach((v, i) => {
    if (v === null) { pen = false; return }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`
    pen = true
  })
  return d
}

/** Bars for the values: x, y, width and height of each, in a width × height box. */
export function bars(values: readonly number[], width: number, height: number, max = niceMax(Math.max(0, ...values))): Array<{ x: number; y: number; w: number; h: number }> {
  const slot = values.length > 0 ? width / values.length : width
  const w = Math.max(1, slot * 0.8)
  return values.map((v, i) => {
    const h = (v / max) * height
    return { x: i * slot + (slot - w) / 2, y: height - h, w, h }
  })
}
