/**
 * GET /v1/stats: what this node has done, for the explorer's charts — receipts issued per minute and
 * mode over a window, with inference latency (request to signed receipt) where it was recorded.
 */
import type { FastifyInstance } from 'fastify'
import type { StatsBucketJson, StatsResponse } from '@verity/protocol'
import type { StatsPort } from './ports.ts'

const bucketSchema = {
  type: 'object',
  properties: { minute: { type: 'string' }, mode: { type: 'string' }, count: { type: 'integer' }, latencyAvgMs: { type: ['number', 'null'] }, latencyMaxMs: { type: ['number', 'null'] } },
} as const

export const statsRouteSchema = {
  tags: ['node'], summary: 'Receipts issued per minute and mode, with inference latency, over the last `minutes` minutes',
  querystring: { type: 'object', additionalProperties: false, properties: { minutes: { type: 'integer', minimum: 1, maximum: 10_080, default: 60 } } },
  response: {
    200: {
      type: 'object',
      properties: {
        from: { type: 'string' }, to: { type: 'string' }, bucketSeconds: { type: 'integer' }, buckets: { type: 'array', items: bucketSchema },
        totals: { type: 'object', properties: { receipts: { type: 'integer' }, byMode: { type: 'object', additionalProperties: { type: 'integer' } }, latencyAvgMs: { type: ['number', 'null'] } } },
      },
    },
  },
} as const

/** Summarises per-minute buckets into totals (pure; exported for tests). */
export function statsTotals(buckets: readonly StatsBucketJson[]): StatsResponse['totals'] {
  const byMode: StatsResponse['totals']['byMode'] = {}
  let receipts = 0
  let timed = 0
  let latencySum = 0
  for (const b of buckets) {
    receipts += b.count
    byMode[b.mode] = (byMode[b.mode] ?? 0) + b.count
    if (b.latencyAvgMs !== null) {
      timed += b.count
      latencySum += b.latencyAvgMs * b.count
    }
  }
  return { receipts, byMode, latencyAvgMs: timed > 0 ? Math.round((latencySum / timed) * 10) / 10 : null }
}

export async function statsRoutes(app: FastifyInstance, options: { stats: StatsPort; now?: () => number }): Promise<void> {
  app.get<{ Querystring: { minutes: number } }>('/v1/stats', { schema: statsRouteSchema }, async (request): Promise<StatsResponse> => {
    const toSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000 / 60) * 60 + 60
    const fromSeconds = toSeconds - request.query.minutes * 60
    const rows = await options.stats.receiptsPerMinute({ fromSeconds, toSeconds })
    const buckets = rows.map((r) => ({ ...r, minute: new Date(r.minute * 1000).toISOString() }))
    return {
      from: new Date(fromSeconds * 1000).toISOString(), to: new Date(toSeconds * 1000).toISOString(), bucketSeconds: 60,
      buckets, totals: statsTotals(buckets),
    }
  })
}
