import { useMemo, useState } from 'react'
import type { StatsResponse } from '@verity/protocol'
import { bars, linePath, niceMax, seriesFromStats } from '../lib/chart.ts'
import { formatCount } from '../lib/format.ts'
import { Problem } from '../components/Problem.tsx'
import { useApi } from '../useApi.ts'

const W = 640
const H = 140

const hhmm = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

function Axis({ max, unit, first, last }: { max: number; unit: string; first: string; last: string }) {
  return (
    <>
      <line x1={0} y1={H} x2={W} y2={H} className="axis" />
      <text x={0} y={-4} className="tick">{formatCount(max)} {unit}</text>
      <text x={0} y={H + 14} className="tick">{hhmm(first)}</text>
      <text x={W} y={H + 14} className="tick" textAnchor="end">{hhmm(last)}</text>
    </>
  )
}

function Chart({ title, summary, height = H, children }: { title: string; summary: string; height?: number; children: React.ReactNode }) {
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`-4 -16 ${W + 8} ${height + 34}`} role="img" aria-label={`${title}: ${summary}`}>{children}</svg>
      <p className="muted">{summary}</p>
    </figure>
  )
}

export default function StatsPage() {
  const [minutes, setMinutes] = useState(60)
  const stats = useApi<StatsResponse>(`/v1/stats?minutes=${minutes}`)
  const series = useMemo(() => (stats.state === 'ready' ? seriesFromStats(stats.data) : null), [stats])
  return (
    <>
      <h1 tabIndex={-1}>Activity</h1>
      <p className="lead">Receipts this node issued, minute by minute, how long inference took, and which modes vouched for the outputs.</p>
      <div className="field inline">
        <label htmlFor="window">Window</label>
        <select id="window" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          <option value={60}>last hour</option><option value={360}>last 6 hours</option><option value={1440}>last 24 hours</option>
        </select>
      </div>
      {stats.state === 'loading' ? <p role="status">Loading activity…</p> : null}
      {stats.state === 'error' ? <Problem error={stats.error} what="Activity could not be loaded." /> : null}
      {stats.state === 'ready' && series ? (() => {
        const maxCount = niceMax(Math.max(0, ...series.counts))
        const maxLatency = niceMax(Math.max(0, ...series.latencyAvgMs.map((v) => v ?? 0)))
        const maxMode = niceMax(Math.max(0, ...series.byMode.map((m) => m.count)))
        const first = series.minutes[0] ?? stats.data.from
        const last = series.minutes.at(-1) ?? stats.data.to
        const totals = stats.data.totals
        return (
          <div className="charts">
            <Chart title="Requests per minute" summary={`${formatCount(totals.receipts)} receipts in the window; busiest minute ${formatCount(Math.max(0, ...series.counts))}.`}>
              <Axis max={maxCount} unit="/ min" first={first} last={last} />
              {bars(series.counts, W, H, maxCount).map((b, i) => <rect key={i} x={b.x} y={b.y} width={b.w} height={b.h} className="bar" />)}
            </Chart>
            <Chart title="Inference latency (average per minute)" summary={totals.latencyAvgMs === null ? 'No latency recorded in the window.' : `Average ${totals.latencyAvgMs} ms from request to signed receipt.`}>
              <Axis max={maxLatency} unit="ms" first={first} last={last} />
              <path d={linePath(series.latencyAvgMs, W, H, maxLatency)} className="line" />
              {series.latencyAvgMs.map((v, i) => (v === null ? null : (
                <circle key={i} cx={series.minutes.length === 1 ? W / 2 : (i / (series.minutes.length - 1)) * W} cy={H - (v / maxLatency) * H} r={3} className="dot" />
              )))}
            </Chart>
            <Chart title="Proofs by mode" height={Math.max(1, series.byMode.length) * 30 - 16} summary={series.byMode.length === 0 ? 'No receipts in the window.' : series.byMode.map((m) => `${m.mode} ${formatCount(m.count)}`).join(', ')}>
              {series.byMode.map((m, i) => {
                const w = (m.count / maxMode) * (W - 160)
                return (
                  <g key={m.mode} transform={`translate(0 ${i * 30})`}>
                    <text x={0} y={16} className="tick">{m.mode}</text>
                    <rect x={90} y={2} width={Math.max(1, w)} height={20} className={`bar mode-${m.mode.toLowerCase()}`} />
                    <text x={96 + w} y={16} className="tick">{formatCount(m.count)}</text>
                  </g>
                )
              })}
            </Chart>
            <details>
              <summary>Show the numbers as a table</summary>
              <table>
                <thead><tr><th scope="col">Minute</th><th scope="col">Mode</th><th scope="col">Receipts</th><th scope="col">Average latency</th><th scope="col">Max latency</th></tr></thead>
                <tbody>{stats.data.buckets.map((b) => <tr key={`${b.minute}:${b.mode}`}><td>{hhmm(b.minute)}</td><td>{b.mode}</td><td>{b.count}</td><td>{b.latencyAvgMs ?? '—'} ms</td><td>{b.latencyMaxMs ?? '—'} ms</td></tr>)}</tbody>
              </table>
            </details>
          </div>
        )
      })() : null}
    </>
  )
}
