/**
 * GET /v1/network: the nodes this node knows — itself always, plus whatever a `NetworkPort` supplies
 * (e.g. the chain registry). Fields a node does not know are absent, never guessed.
 */
import type { FastifyInstance } from 'fastify'
import { sameAddress, type HealthResponse, type NetworkNodeJson, type NetworkResponse } from '@verity/protocol'
import type { NetworkPort, StatsPort } from './ports.ts'

const nodeSchema = {
  type: 'object',
  properties: {
    address: { type: 'string' }, self: { type: 'boolean' }, endpoint: { type: 'string' }, version: { type: 'string' }, chainId: { type: 'integer' },
    modes: { type: 'array', items: { type: 'string' } }, models: { type: 'integer' }, uptimeSeconds: { type: 'number' }, receiptsServed: { type: 'integer' },
    attestation: { type: 'object', properties: { status: { type: 'string', enum: ['verified', 'failed', 'none'] }, kind: { type: 'string' }, measurement: { type: 'string' }, checkedAt: { type: 'string' } } },
    heartbeatAgeSeconds: { type: 'number' }, stake: { type: 'string' },
    disputes: { type: 'object', properties: { open: { type: 'integer' }, total: { type: 'integer' } } },
  },
} as const

export const networkRouteSchema = {
  tags: ['node'], summary: 'Nodes this node knows: itself, plus registry data when it has a chain connection',
  response: {
    200: {
      type: 'object',
      properties: { nodes: { type: 'array', items: nodeSchema }, registry: { type: 'object', properties: { chainId: { type: 'integer' }, address: { type: 'string' } } } },
    },
  },
} as const

/** Merges what a node says about itself with what the network knows of it; self comes first. */
export function mergeNetwork(self: NetworkNodeJson, known: NetworkResponse): NetworkResponse {
  const fromRegistry = known.nodes.find((n) => sameAddress(n.address, self.address))
  const others = known.nodes.filter((n) => !sameAddress(n.address, self.address)).map((n) => ({ ...n, self: false }))
  return { ...known, nodes: [{ ...fromRegistry, ...self, self: true }, ...others] }
}

export async function networkRoutes(app: FastifyInstance, options: { health: () => Promise<HealthResponse>; stats: StatsPort; network?: NetworkPort | undefined }): Promise<void> {
  app.get('/v1/network', { schema: networkRouteSchema }, async (request): Promise<NetworkResponse> => {
    const health = await options.health()
    const self: NetworkNodeJson = {
      address: health.address, self: true, endpoint: `${request.protocol}://${request.host}`, version: health.version, chainId: health.chainId,
      modes: health.modes, models: health.models, uptimeSeconds: health.uptimeSeconds, receiptsServed: await options.stats.receiptCount(),
    }
    return mergeNetwork(self, options.network ? await options.network.knownNodes() : { nodes: [] })
  })
}
