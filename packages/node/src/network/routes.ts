/** HTTP routes of the network half: inclusion proofs of settled receipts. */
import type { FastifyInstance } from 'fastify'
import { isBytes32, VerityError, type Hex } from '@verity/protocol'
import type { NetworkAgent } from './agent.ts'

const inclusionSchema = {
  tags: ['inference'], summary: 'Where a receipt sits in the Merkle batch this node settled on chain',
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  response: {
    200: {
      type: 'object',
      properties: {
        id: { type: 'string' }, settled: { type: 'boolean' }, root: { type: ['string', 'null'] }, proof: { type: 'array', items: { type: 'string' } },
        batchTx: { type: ['string', 'null'] }, count: { type: ['integer', 'null'] },
      },
    },
  },
}

export function registerNetworkRoutes(app: FastifyInstance, agent: () => NetworkAgent | null): void {
  app.get<{ Params: { id: string } }>('/v1/receipts/:id/inclusion', { schema: inclusionSchema }, async (request) => {
    const id = request.params.id.toLowerCase()
    if (!isBytes32(id)) throw new VerityError('BAD_REQUEST', `Receipt id ${JSON.stringify(request.params.id)} must be 0x + 64 hex digits (the receipt's EIP-712 digest).`)
    const a = agent()
    if (a === null) throw new VerityError('NOT_FOUND', 'This node is not configured with a chain, so it settles no receipts.', { hint: 'Start it on a network (`verity up`, or startNode({ network }))' })
    return a.inclusion(id as Hex)
  })
}
