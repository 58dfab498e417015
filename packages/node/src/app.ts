/**
 * The node's HTTP API (Fastify). Routes are thin: validate at the edge with JSON schemas, call a port,
 * shape the answer. Every error leaves as `{ error: { code, message, details, hint } }`.
 */
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify'
import swagger from '@fastify/swagger'
import { memoryRoutes, type MemoryRoutesOptions } from '@verity/memory-api'
import type { Readable } from 'node:stream'
import {
  BINARY_MESSAGE_MEDIA_TYPE, decodeBinaryMessage, encodeBinaryMessage, isBytes32, VerityError,
  type BinaryInferenceResult, type HealthResponse, type Hex, type InferRequest, type Mode,
} from '@verity/protocol'
import type { HubPort, InferencePort, NetworkPort, StatsPort } from './ports.ts'
import { routes } from './schemas.ts'
import { explorerPlugin, type ExplorerChain } from './explorer.ts'
import { networkRoutes } from './network.ts'
import { statsRoutes } from './stats.ts'

export type BuildAppParameters = {
  hub: HubPort
  inference: InferencePort
  health: () => Promise<Omit<HealthResponse, 'status' | 'uptimeSeconds' | 'models'>>
  maxInputBytes: number
  logger?: boolean | object
  /** Receipt counts for GET /v1/stats and GET /v1/network (both absent without it). */
  stats?: StatsPort
  /** Other nodes for GET /v1/network, e.g. from the chain registry. */
  network?: NetworkPort
  /** The built explorer to serve at `/`; null or a directory without index.html skips it. */
  explorerDir?: string | null
  /** The chain the explorer reads (GET /v1/explorer/chain, and its origin allowed in the page's CSP). */
  explorerChain?: ExplorerChain
  /** Agent memory (MemSync-style API under /v1/memories, /v1/profile, /v1/api-keys). */
  memory?: MemoryRoutesOptions
}

export async function buildApp(p: BuildAppParameters): Promise<FastifyInstance> {
  const started = Date.now()
  const app = Fastify({
    logger: p.logger ?? false,
    bodyLimit: p.maxInputBytes,
    // Validation errors list every failing field, not just the first.
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Verity node API', version: '0.1.0', description: 'Model hub and verifiable inference. Every inference result carries an EIP-712 receipt signed by the node.' },
      tags: [{ name: 'node' }, { name: 'hub' }, { name: 'inference' }],
    },
  })

  // Uploads stream straight to the blob store; the hub enforces the size limit while streaming.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload))
  // Binary inference messages (@verity/protocol binaryMessage.ts): the head's fields, the tensors as `input`.
  app.addContentTypeParser(BINARY_MESSAGE_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: p.maxInputBytes }, (_request, body, done) => {
    try {
      const { head, tensors } = decodeBinaryMessage(body as Buffer, 'request')
      for (const field of ['input', 'encoding']) {
        if (field in head) throw new VerityError('BAD_REQUEST', `A binary request's head must not carry "${field}": its tensors follow the head, and the answer is binary too.`, { details: { field } })
      }
      done(null, { ...head, input: tensors })
    } catch (error) {
      done(error as Error)
    }
  })

  app.setErrorHandler((error: FastifyError | VerityError, request, reply) => {
    if (error instanceof VerityError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.status(error.status).send(error.toJSON())
    }
    if (error.validation) {
      const details = { problems: error.validation.map((v) => ({ path: `${error.validationContext ?? 'body'}${v.instancePath}`, message: v.message ?? 'invalid' })) }
      const first = details.problems[0]
      return reply.status(400).send(new VerityError('BAD_REQUEST', `Invalid request: ${first ? `${first.path || error.validationContext} ${first.message}` : error.message}`, { details }).toJSON())
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(new VerityError('INPUT_TOO_LARGE', `The request body is larger than this node accepts (${p.maxInputBytes} bytes).`, { details: { limit: p.maxInputBytes } }).toJSON())
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(new VerityError('BAD_REQUEST', error.message).toJSON())
    }
    // Never leak internals: log the error, answer with a generic message.
    request.log.error({ err: error }, 'unexpected error')
    return reply.status(500).send(new VerityError('INTERNAL', 'An unexpected error occurred; the node log has the details.', { details: { requestId: request.id } }).toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new VerityError('NOT_FOUND', `No route ${request.method} ${request.url}; see /openapi.json for the API.`).toJSON())
  })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const health = async (): Promise<HealthResponse> => ({
    status: 'ok', ...(await p.health()), uptimeSeconds: (Date.now() - started) / 1000, models: await p.hub.countModels(),
  })
  app.get('/v1/health', { schema: routes.health }, health)

  type RepoParams = { owner: string; name: string }
  type ReleaseParams = RepoParams & { release: string }

  app.post('/v1/repos', { schema: routes.createRepository }, async (request, reply) => {
    const repo = await p.hub.createRepository(request.body as Parameters<HubPort['createRepository']>[0])
    return reply.status(201).send(repo)
  })
  app.get<{ Params: RepoParams }>('/v1/repos/:owner/:name', { schema: routes.modelCard }, async (request) => p.hub.modelCard(request.params.owner, request.params.name))
  app.post<{ Params: RepoParams; Body: { release: string; notes?: string } }>('/v1/repos/:owner/:name/releases', { schema: routes.createRelease }, async (request, reply) => {
    return reply.status(201).send(await p.hub.createRelease({ ...request.params, ...request.body }))
  })
  app.post<{ Params: ReleaseParams }>('/v1/repos/:owner/:name/releases/:release/publish', { schema: routes.publishRelease }, async (request) => p.hub.publishRelease(request.params))
  app.get<{ Params: ReleaseParams }>('/v1/repos/:owner/:name/releases/:release/files', { schema: routes.listFiles }, async (request) => p.hub.listFiles(request.params))
  app.put<{ Params: ReleaseParams & { '*': string } }>('/v1/repos/:owner/:name/releases/:release/files/*', { schema: routes.uploadFile }, async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
      throw new VerityError('BAD_REQUEST', 'Upload the file as the raw request body with content-type application/octet-stream.')
    }
    const expected = request.headers['x-expected-cid']
    const size = request.headers['content-length'] ? Number(request.headers['content-length']) : undefined
    const file = await p.hub.uploadFile({
      owner: request.params.owner, name: request.params.name, release: request.params.release, path: request.params['*'],
      source: request.body as Readable, ...(typeof expected === 'string' ? { expectedCid: expected } : {}), ...(size !== undefined ? { size } : {}),
    })
    return reply.status(201).send(file)
  })
  app.get<{ Params: { cid: string } }>('/v1/blobs/:cid', { schema: routes.download }, async (request, reply) => {
    const blob = await p.hub.openBlob(request.params.cid)
    reply.header('content-type', 'application/octet-stream').header('content-length', blob.size).header('cache-control', 'public, max-age=31536000, immutable')
    return reply.send(blob.stream)
  })
  app.get<{ Querystring: { q?: string; task?: string; tags?: string; owner?: string; sort?: string; limit: number; cursor?: string } }>('/v1/search', { schema: routes.search }, async (request) => {
    const { tags, ...rest } = request.query
    return p.hub.search({ ...rest, ...(tags ? { tags: tags.split(',').map((t) => t.trim()).filter(Boolean) } : {}) })
  })

  app.post<{ Body: InferRequest }>('/v1/infer', { schema: routes.infer }, async (request, reply) => {
    const binary = request.headers['content-type']?.startsWith(BINARY_MESSAGE_MEDIA_TYPE) === true
    const result = await p.inference.infer(request.body, binary ? 'binary' : undefined)
    // A ZKML proof still running (asked for with `async`, or past the wait budget): poll GET /v1/proofs/:id.
    if ('status' in result && result.status === 'pending') return reply.status(202).send(result)
    if (binary) {
      const { head, outputs } = result as BinaryInferenceResult
      const bytes = encodeBinaryMessage(head, outputs)
      return reply.type(BINARY_MESSAGE_MEDIA_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    }
    // V8's JSON.stringify, not the schema's generated serializer: that one escapes strings character by
    // character in JavaScript, ≈4 ms per megabyte of base64 tensor data. The schema still documents it.
    return reply.serializer(JSON.stringify).send(result)
  })
  app.get<{ Params: { id: string } }>('/v1/receipts/:id', { schema: routes.receipt }, async (request) => {
    const id = request.params.id.toLowerCase()
    if (!isBytes32(id)) throw new VerityError('BAD_REQUEST', `Receipt id ${JSON.stringify(request.params.id)} must be 0x + 64 hex digits (the receipt's EIP-712 digest).`)
    return p.inference.getReceipt(id as Hex)
  })

  if (p.stats) {
    await app.register(statsRoutes, { stats: p.stats })
    await app.register(networkRoutes, { health, stats: p.stats, network: p.network })
  }
  if (p.memory) await app.register(memoryRoutes, p.memory)
  await app.register(explorerPlugin, { dir: p.explorerDir ?? null, chain: p.explorerChain })

  return app
}

export type { Mode }
