/**
 * Serves the built explorer (@verity/explorer, `packages/explorer/dist`) at `/`: hashed assets cached
 * forever, index.html for every client route (`/models/…`, `/receipts/…`). API paths (/v1, /openapi.json)
 * never fall back to the page: an unknown API path stays a JSON 404.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { VerityError } from '@verity/protocol'

/** Where `npm run build -w @verity/explorer` writes the app, inside this repository. */
export const defaultExplorerDir = fileURLToPath(new URL('../../explorer/dist', import.meta.url))

// The page verifies everything with its own scripts and talks only to this node — and, on a chain, to
// the chain's RPC endpoint, which it reads itself rather than taking the node's word for: nothing else may load.
const cspFor = (connect: readonly string[]) =>
  `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${["'self'", ...connect].join(' ')}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`

/** Where the page reads the chain (GET /v1/explorer/chain): the node's RPC endpoint and contract addresses. */
export type ExplorerChain = { rpcUrl: string; chainId: number; nodeRegistry: string; settlement: string; deployedAtBlock: number }

/** True for a path the single-page app routes itself (no API prefix, no file extension). */
export function isClientRoute(url: string): boolean {
  const path = url.split(/[?#]/, 1)[0] ?? '/'
  if (path === '/v1' || path.startsWith('/v1/') || path === '/openapi.json') return false
  return !/\.[A-Za-z0-9]+$/.test(path)
}

export async function explorerPlugin(app: FastifyInstance, options: { dir: string | null; chain?: ExplorerChain | undefined }): Promise<void> {
  const dir = options.dir
  const chain = options.chain
  app.get('/v1/explorer/chain', { schema: { tags: ['node'], summary: "The chain this node settles on, for the explorer to read itself: RPC URL, chain id, registry and settlement addresses" } }, async () => {
    if (!chain) throw new VerityError('NOT_FOUND', 'This node is not on a chain: it was started without a network (rpcUrl and deployment).')
    return chain
  })
  const contentSecurityPolicy = cspFor(chain ? [new URL(chain.rpcUrl).origin] : [])
  if (dir === null) return
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.info({ dir }, 'explorer not built, not serving it at / (run `npm run build -w @verity/explorer`)')
    return
  }
  await app.register(fastifyStatic, {
    root: dir, prefix: '/', wildcard: false, index: 'index.html', cacheControl: false, etag: true,
    setHeaders(reply, path) {
      if (path.includes(`${join(dir, 'assets')}`)) reply.header('cache-control', 'public, max-age=31536000, immutable')
      else reply.header('cache-control', 'no-cache')
      if (path.endsWith('.html')) reply.header('content-security-policy', contentSecurityPolicy)
    },
  })
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    if (!isClientRoute(request.url)) return reply.callNotFound()
    return reply.header('cache-control', 'no-cache').header('content-security-policy', contentSecurityPolicy).sendFile('index.html')
  })
}
