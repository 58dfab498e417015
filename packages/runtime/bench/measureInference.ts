/**
 * Latency and throughput of any async inference function, so different paths to the same model
 * (raw onnxruntime, the runtime pool, the HTTP node) are measured the same way and printed side by
 * side. Import it as `@verity/runtime/bench`.
 */
import { load, summarize, type Cell } from '@verity/bench'

export type MeasureInferenceParameters = {
  /** One inference; called `warmup + requests` times. Make it self-contained (fresh inputs each call). */
  infer: () => Promise<unknown>
  /** Calls in flight at once. */
  concurrency: number
  /** Timed calls. */
  requests: number
  /** Untimed calls first (at the same concurrency). Default: 2 × concurrency. */
  warmup?: number
}

export type MeasureInferenceReturnType = {
  concurrency: number
  requests: number
  p50Ms: number
  p95Ms: number
  meanMs: number
  /** Completed calls per second. */
  throughput: number
}

/**
 * @example
 * import { measureInference, inferenceColumns, inferenceRow } from '@verity/runtime/bench'
 * const m = await measureInference({ infer: () => fetch(url, init).then((r) => r.json()), concurrency: 8, requests: 200 })
 * ctx.printTable('HTTP', inferenceColumns, [inferenceRow('http', m)])
 */
export async function measureInference(p: MeasureInferenceParameters): Promise<MeasureInferenceReturnType> {
  const warmup = p.warmup ?? 2 * p.concurrency
  if (warmup > 0) await load(p.infer, warmup, p.concurrency)
  const { latencies, throughput } = await load(p.infer, p.requests, p.concurrency)
  const stats = summarize(latencies)
  return { concurrency: p.concurrency, requests: p.requests, p50Ms: stats.p50, p95Ms: stats.p95, meanMs: stats.mean, throughput }
}

export const inferenceColumns = ['path', 'concurrency', 'p50 ms', 'p95 ms', 'throughput /s']

export function inferenceRow(path: string, m: MeasureInferenceReturnType): Cell[] {
  return [path, String(m.concurrency), m.p50Ms, m.p95Ms, m.throughput]
}
