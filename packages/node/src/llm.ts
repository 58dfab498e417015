/**
 * The node's OpenAI-compatible LLM routes: POST /v1/chat/completions and POST /v1/completions.
 * Each request goes through @verity/llm-gateway to the upstream its "provider/model" names; each
 * answer leaves with a mode-TEE receipt signed by the node's attested key (proofHash = the
 * attestation digest), stored like inference receipts, and settled as the request asks:
 * `private` (never posted), `batch` (the Merkle batch queue, default) or `individual` (alone on chain).
 * Wire format: @verity/protocol api.ts (LlmVerity). A node without an attestation refuses (TEE_NOT_CONFIGURED).
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  buildReceiptFields, chatChunkToCompletionChunk, chatToCompletionResponse, completionToChatRequest, completionToChatResponse, createLlmGateway, hashOutput,
  type ChatCompletionChunk, type Exchange, type GatewayLogEvent, type LlmGateway, type UpstreamProvider,
} from '@verity/llm-gateway'
import {
  bytesToHex, receiptDigest, signReceipt, VerityError,
  type Hex, type LlmRequestOptions, type LlmSettlementJson, type LlmSettlementMode, type LlmVerity, type Receipt,
} from '@verity/protocol'
import type { AttestationEvidence } from '@verity/tee'
import type { NodeKey } from './key.ts'
import type { ReceiptEntry } from './receipts.ts'

/** The node's attestation as the routes need it (structurally attestation.ts's NodeAttestation). */
export type LlmAttestation = { provider: string; evidence: AttestationEvidence; digest: Hex; measurement: Hex }

export type LlmRoutesParameters = {
  gateway: LlmGateway
  /**
   * The node's attestor (attestation.ts) as it is now; null: the node has no TEE, and every LLM
   * request is refused with TEE_NOT_CONFIGURED. `current()` re-attests when the evidence is getting old.
   */
  attestor: () => { current(): Promise<LlmAttestation> } | null
  key: NodeKey
  chainId: number
  saveReceipt: (entry: ReceiptEntry) => Promise<void>
  /** Settles the receipt as asked: individual settles it alone on chain now (a failure is reported, not thrown). */
  settle: (mode: LlmSettlementMode, receipt: Receipt, signature: Hex) => Promise<LlmSettlementJson>
  /** Whether the node is on a chain now (settlement "individual" needs one). */
  onChain: () => boolean
  /** Milliseconds for receipt timestamps (the network agent's clock). */
  now?: () => number
}

const settlementModes: readonly LlmSettlementMode[] = ['private', 'batch', 'individual']

/**
 * Upstreams from config: "NAME=BASE_URL" strings or provider objects. A provider without apiKeyEnv
 * reads its key from VERITY_LLM_KEY_<NAME> (upper case, [^A-Z0-9] → _) when that variable is set.
 */
export function resolveLlmProviders(specs: ReadonlyArray<string | UpstreamProvider>, env: Record<string, string | undefined> = process.env): UpstreamProvider[] {
  if (!Array.isArray(specs)) throw new VerityError('BAD_REQUEST', 'llmProviders: expected an array of "NAME=BASE_URL" strings or { name, baseUrl } objects', { details: { field: 'llmProviders' } })
  return specs.map((spec) => {
    let provider: UpstreamProvider
    if (typeof spec === 'string') {
      const eq = spec.indexOf('=')
      provider = { name: spec.slice(0, Math.max(0, eq)).trim(), baseUrl: spec.slice(eq + 1).trim() }
      if (eq <= 0 || provider.baseUrl === '') throw new VerityError('BAD_REQUEST', `LLM provider ${JSON.stringify(spec)}: expected NAME=BASE_URL, e.g. openai=https://api.openai.com/v1`, { details: { provider: spec } })
    } else if (spec !== null && typeof spec === 'object' && typeof spec.name === 'string' && typeof spec.baseUrl === 'string') {
      provider = { ...spec }
    } else {
      throw new VerityError('BAD_REQUEST', `LLM provider ${JSON.stringify(spec)}: expected "NAME=BASE_URL" or { name, baseUrl }`, { details: { provider: spec } })
    }
    if (!/^[a-z0-9._-]+$/.test(provider.name)) throw new VerityError('BAD_REQUEST', `LLM provider name ${JSON.stringify(provider.name)}: expected [a-z0-9._-]+ (it is the prefix of "provider/model")`, { details: { provider: provider.name } })
    try {
      new URL(provider.baseUrl)
    } catch {
      throw new VerityError('BAD_REQUEST', `LLM provider ${provider.name}: base URL ${JSON.stringify(provider.baseUrl)} is not a URL`, { details: { provider: provider.name } })
    }
    const keyEnv = llmKeyEnv(provider.name)
    if (provider.apiKeyEnv === undefined && env[keyEnv]) provider.apiKeyEnv = keyEnv
    return provider
  })
}

/** The environment variable holding provider `name`'s API key. */
export const llmKeyEnv = (name: string): string => `VERITY_LLM_KEY_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`

/** The gateway for the node's configured upstreams; its events go to the node log at debug level (never a key). */
export function createNodeLlmGateway(p: { providers: readonly UpstreamProvider[]; timeoutMs?: number; maxRetries?: number; log: (event: GatewayLogEvent) => void }): LlmGateway {
  return createLlmGateway({ providers: p.providers, timeoutMs: p.timeoutMs, maxRetries: p.maxRetries, log: p.log })
}

function settlementOf(request: FastifyRequest, body: Record<string, unknown>): LlmSettlementMode {
  const options = body.verity as LlmRequestOptions | undefined
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new VerityError('BAD_REQUEST', 'verity: expected an object like { "settlement": "batch" }', { details: { field: 'verity' } })
  }
  const header = request.headers['x-verity-settlement']
  const value = options?.settlement ?? (typeof header === 'string' ? header.trim().toLowerCase() : undefined) ?? 'batch'
  if (!settlementModes.includes(value as LlmSettlementMode)) {
    throw new VerityError('BAD_REQUEST', `verity.settlement: expected one of ${settlementModes.join(', ')}, got ${JSON.stringify(value)}`, { details: { field: 'verity.settlement' } })
  }
  return value as LlmSettlementMode
}

export function registerLlmRoutes(app: FastifyInstance, p: LlmRoutesParameters): void {
  const now = p.now ?? Date.now

  /** Refuses early, before any upstream call: no TEE, unknown provider, or a settlement the node cannot do. */
  function admit(request: FastifyRequest, body: Record<string, unknown>): { attestor: { current(): Promise<LlmAttestation> }; settlement: LlmSettlementMode } {
    const attestor = p.attestor()
    if (attestor === null) {
      throw new VerityError('TEE_NOT_CONFIGURED', 'This node has no TEE attestation, so it serves no LLM requests: their receipts are mode TEE and must name an attestation.', { details: { node: p.key.address } })
    }
    const settlement = settlementOf(request, body)
    if (settlement === 'individual' && !p.onChain()) {
      throw new VerityError('SETTLEMENT_UNAVAILABLE', 'verity.settlement "individual": this node is on no chain, so it cannot settle a receipt alone.', { details: { field: 'verity.settlement' } })
    }
    if (typeof body.model === 'string' && body.model.includes('/')) {
      try {
        p.gateway.resolveModel(body.model)
      } catch (error) {
        // Another node may have this provider: a client spreading requests fails over on MODEL_NOT_FOUND.
        const e = error as VerityError
        throw new VerityError('MODEL_NOT_FOUND', e.message, { details: e.details, hint: e.hint })
      }
    }
    return { attestor, settlement }
  }

  /** Signs, stores and settles the receipt of a finished exchange. */
  async function seal(exchange: Exchange, outputHash: Hex, attestation: LlmAttestation, settlement: LlmSettlementMode, started: number): Promise<LlmVerity> {
    const receipt = buildReceiptFields({ ...exchange, outputHash }, {
      node: p.key.address, attestationHash: attestation.digest, chainId: p.chainId,
      requestId: bytesToHex(randomBytes(32)) as Hex, timestamp: Math.floor(now() / 1000),
    })
    const signature = signReceipt(receipt, p.key.privateKey)
    const receiptId = receiptDigest(receipt)
    await p.saveReceipt({ id: receiptId, model: `llm:${exchange.request.model}`, receipt, signature, latencyMs: performance.now() - started, settlement, proof: attestation.evidence })
    const settled = await p.settle(settlement, receipt, signature)
    return {
      receipt, signature, receiptId,
      attestation: { provider: attestation.provider, digest: attestation.digest, measurement: attestation.measurement, evidence: attestation.evidence },
      settlement: settled,
    }
  }

  type Kind = 'chat' | 'completion'

  async function handle(kind: Kind, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const started = performance.now()
    const raw = request.body
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new VerityError('BAD_REQUEST', 'body: expected a JSON object', { details: { field: 'body' } })
    const body = raw as Record<string, unknown>
    const { attestor, settlement } = admit(request, body)
    const chat = kind === 'chat' ? body : completionToChatRequest(body)
    // A completion's receipt commits to the answer as a completion carries it (completions.ts), so
    // a client re-deriving it from `text` gets the same hash.
    const outputHashOf = (exchange: Exchange): Hex => kind === 'chat' ? exchange.outputHash : hashOutput(completionToChatResponse(chatToCompletionResponse(exchange.response)))
    const abort = new AbortController()
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) abort.abort(new VerityError('BAD_REQUEST', 'the client closed the connection')) })

    if (chat.stream !== true) {
      const exchange = await p.gateway.chatCompletion(chat, { signal: abort.signal })
      const verity = await seal(exchange, outputHashOf(exchange), await attestor.current(), settlement, started)
      const answer = kind === 'chat' ? exchange.response : chatToCompletionResponse(exchange.response)
      return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ ...answer, verity }))
    }

    const stream = p.gateway.streamChatCompletion(chat, { signal: abort.signal })
    const iterator = stream[Symbol.asyncIterator]()
    // Errors before the first event still leave as a JSON error with the right status.
    let next = await iterator.next()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    const send = (event: unknown) => res.write(`data: ${JSON.stringify(event)}\n\n`)
    const shape = (chunk: ChatCompletionChunk) => (kind === 'chat' ? chunk : chatChunkToCompletionChunk(chunk))
    let last: ChatCompletionChunk | null = null
    try {
      for (; !next.done; next = await iterator.next()) {
        last = next.value
        send(shape(next.value))
      }
      const exchange = await stream.exchange
      const verity = await seal(exchange, outputHashOf(exchange), await attestor.current(), settlement, started)
      send({ ...shape({ id: last?.id ?? exchange.response.id, object: 'chat.completion.chunk', created: last?.created ?? exchange.response.created, model: exchange.request.model, choices: [] }), verity })
      res.write('data: [DONE]\n\n')
    } catch (error) {
      const e = error instanceof VerityError ? error : new VerityError('INTERNAL', 'The stream failed; the node log has the details.')
      if (!(error instanceof VerityError)) request.log.error({ err: error }, 'LLM stream failed')
      if (!res.destroyed) send(e.toJSON())
    } finally {
      res.end()
    }
    return reply
  }

  const body = { type: 'object', additionalProperties: true, description: 'The OpenAI request body; model is "provider/model"; optional verity: { settlement }' } as const
  const headers = { type: 'object', properties: { 'x-verity-settlement': { type: 'string', enum: [...settlementModes] } } } as const
  app.post('/v1/chat/completions', {
    schema: { tags: ['llm'], summary: 'OpenAI-compatible chat completion with a TEE receipt (verity member; streams end with a verity event)', body, headers },
  }, (request, reply) => handle('chat', request, reply))
  app.post('/v1/completions', {
    schema: { tags: ['llm'], summary: 'OpenAI-compatible completion (served as one chat turn) with a TEE receipt', body, headers },
  }, (request, reply) => handle('completion', request, reply))
}
