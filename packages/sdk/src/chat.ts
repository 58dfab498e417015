/**
 * Verifiable LLM answers from Verity TEE nodes (OpenAI-compatible chat and completions). Every
 * answer is verified before you see it, and a failed check throws VerificationError naming it:
 *
 *   format, model, input-hash, output-hash, mode, signature   @verity/llm-gateway verifyLlmReceipt
 *   signer        the receipt's node is the one asked (network: its registered address), when pinned
 *   attestation   the evidence the answer carries hashes to the receipt's proofHash and verifies
 *                 (@verity/tee verifyAttestation at the receipt's time; the INSECURE dev provider
 *                 only with `allowDevTee`)
 *   binding       the attestation's report data commits to the receipt's signing key (checkBinding)
 *   + on chain    with a network client: the node's attestation is recorded on chain and its
 *                 measurement still allowed (`onchainCheck`, e.g. checkAttestation)
 *
 * Also exported from `@verity/sdk`; `@verity/sdk/chat` imports only this module.
 *
 * @example
 *   const llm = createLlmClient({ url: 'http://127.0.0.1:8420', allowDevTee: true })
 *   const answer = await llm.chat({ model: 'local/llama', messages: [{ role: 'user', content: 'Hi' }] })
 *   for await (const event of llm.chatStream({ model: 'local/llama', messages })) {
 *     if (event.object === 'chat.completion.chunk') process.stdout.write(event.choices[0]?.delta.content ?? '')
 *     else console.log(event.verification.checks)   // the last event: the verified result
 *   }
 */
import {
  ChunkAssembler, completionToChatRequest, completionToChatResponse, takeSseEvents, verifyLlmReceipt,
  type ChatCompletionChunk, type ChatCompletionRequest, type ChatCompletionResponse, type CompletionChunk, type CompletionRequest, type CompletionResponse,
} from '@verity/llm-gateway'
import { attestationDigest, checkBinding, verifyAttestation, type AttestationEvidence, type VerifiedAttestation } from '@verity/tee'
import { sameAddress, type CheckOutcome, type LlmRequestOptions, type LlmResultJson, type LlmVerity, type Receipt } from '@verity/protocol'
import { NodeRequestError, VerificationError } from './errors.ts'
import { request, type Transport } from './http.ts'
import type { TeeOptions } from './tee.ts'

export type LlmEndpoint = LlmResultJson['endpoint']

/** What a network client offers the LLM client (`createNetworkClient` from @verity/sdk/network). */
export type LlmNetwork = {
  failover<T>(attempt: (node: { address: string; url: string }) => Promise<T>, p: { tee?: boolean }): Promise<T>
  /** When present (createNetworkClient has it), answers are also checked on chain by default. */
  checkAttestation?: ((p: { receipt: Receipt }) => Promise<CheckOutcome>) | undefined
}

/** `allowDevTee` and `teePolicy` as for inference results (tee.ts), and optionally pinned signers. */
export type VerifyLlmOptions = TeeOptions & {
  /** Accept only receipts signed by these node addresses. */
  trustedSigners?: readonly string[] | undefined
}

export type LlmClientOptions = VerifyLlmOptions & {
  /** One node; default `VERITY_NODE` or http://127.0.0.1:8420. Ignored with `network`. */
  url?: string | undefined
  /** Spread requests over the network's active TEE nodes with a valid recorded attestation, failing over (createNetworkClient). */
  network?: LlmNetwork | undefined
  /**
   * Extra check after the offline ones. Default with a network client: its checkAttestation (the
   * node is attested on chain and its measurement still allowed).
   */
  onchainCheck?: ((result: LlmResultJson) => Promise<CheckOutcome>) | undefined
  /** Per request, ms (streams: the whole stream); default 120000. */
  timeoutMs?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
}

export type VerifiedLlmResult = LlmResultJson & { verification: { ok: true; checks: CheckOutcome[] } }

/** The last event of a stream: the whole answer, verified. */
export type VerifiedLlmEvent = VerifiedLlmResult & { object: 'verity.result' }

export type ChatParameters = Omit<ChatCompletionRequest, 'stream'> & { verity?: LlmRequestOptions }
export type CompleteParameters = Omit<CompletionRequest, 'stream'> & { verity?: LlmRequestOptions }

/**
 * Checks a saved or received LLM result offline. Never throws for a bad result: every problem is a
 * failed check.
 */
export function verifyLlmResult(result: unknown, options: VerifyLlmOptions = {}): { ok: boolean; checks: CheckOutcome[] } {
  const r = result as Partial<LlmResultJson> | null
  const fail = (message: string) => ({ ok: false, checks: [{ check: 'format' as const, ok: false, message }] })
  if (r === null || typeof r !== 'object' || r.kind !== 'verity-llm-result' || r.version !== 1) return fail('This is not a Verity LLM result (kind "verity-llm-result", version 1).')
  if (r.endpoint !== 'chat' && r.endpoint !== 'completion') return fail(`Unknown endpoint ${JSON.stringify(r.endpoint)}: expected chat or completion.`)
  if (!r.request || !r.response || !r.verity || typeof r.verity !== 'object') return fail('The result lacks its request, response or verity member.')
  let chatRequest: ChatCompletionRequest
  let chatResponse: Pick<ChatCompletionResponse, 'model' | 'choices'>
  try {
    chatRequest = r.endpoint === 'chat' ? (r.request as ChatCompletionRequest) : completionToChatRequest(r.request)
    chatResponse = r.endpoint === 'chat' ? (r.response as unknown as ChatCompletionResponse) : completionToChatResponse(r.response as unknown as CompletionResponse)
    if (!Array.isArray(chatResponse.choices) || !Array.isArray(chatRequest.messages ?? [])) throw new Error('choices must be an array')
  } catch (error) {
    return fail(`The request or answer is malformed: ${(error as Error).message}`)
  }
  const { receipt, signature } = r.verity
  const base = verifyLlmReceipt({ request: chatRequest, response: chatResponse, receipt, signature })
  const checks: CheckOutcome[] = [...base.checks]
  if (!checks[0]?.ok) return { ok: false, checks }
  if (options.trustedSigners !== undefined) {
    const ok = options.trustedSigners.some((s) => sameAddress(s, receipt.node))
    checks.push({ check: 'signer', ok, message: ok ? `Node ${receipt.node} is a signer you trust.` : `Node ${receipt.node} is not among the signers you trust (${options.trustedSigners.join(', ')}).` })
  }
  checks.push(...attestationChecks(receipt, r.verity.attestation?.evidence, options))
  return { ok: checks.every((c) => c.ok), checks }
}

/** The attestation and binding checks of a TEE receipt against the evidence it came with. */
export function attestationChecks(receipt: Receipt, evidence: unknown, options: VerifyLlmOptions = {}): CheckOutcome[] {
  if (evidence === undefined || evidence === null || typeof evidence !== 'object') {
    return [{ check: 'attestation', ok: false, message: 'The result carries no attestation evidence (verity.attestation.evidence).' }]
  }
  let verified: VerifiedAttestation
  try {
    const digest = attestationDigest(evidence as AttestationEvidence)
    if (digest !== receipt.proofHash) {
      return [{ check: 'attestation', ok: false, message: `The attached attestation hashes to ${digest}, not to the receipt's proofHash ${receipt.proofHash}.` }]
    }
    // At the receipt's time: the evidence had to be fresh when the node signed, not when you check.
    verified = verifyAttestation(evidence as AttestationEvidence, {
      now: receipt.timestamp * 1000, policy: { ...options.teePolicy, allowInsecureDev: options.allowDevTee === true || options.teePolicy?.allowInsecureDev === true },
    })
  } catch (error) {
    return [{ check: 'attestation', ok: false, message: `The attached attestation cannot be read: ${(error as Error).message}` }]
  }
  const failed = verified.checks.filter((c) => !c.ok)
  const attestation: CheckOutcome = failed.length === 0
    ? { check: 'attestation', ok: true, message: `A ${verified.provider} attestation (measurement ${verified.measurementHash.slice(0, 18)}…) verifies and is the one the receipt's proofHash names.` }
    : { check: 'attestation', ok: false, message: `The ${verified.provider} attestation does not verify: ${failed.map((c) => c.message).join(' ')}${verified.kind === 'dev' && !options.allowDevTee ? ' (allow it on local networks with allowDevTee / --allow-dev-tee)' : ''}` }
  const binding = checkBinding(verified, receipt.node)
  return [attestation, { check: 'binding', ok: binding.ok, message: binding.message }]
}

/** Server-sent events' data fields from a response body. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    const taken = takeSseEvents(buffer + decoder.decode(part, { stream: true }))
    buffer = taken.rest
    yield* taken.data
  }
}

/** Merges completion stream events into one completion (text concatenated per choice). */
function assembleCompletion(chunks: CompletionChunk[]): CompletionResponse {
  const choices = new Map<number, { text: string; finish: string | null }>()
  for (const c of chunks) {
    for (const choice of c.choices) {
      const acc = choices.get(choice.index) ?? { text: '', finish: null }
      acc.text += choice.text ?? ''
      if (choice.finish_reason) acc.finish = choice.finish_reason
      choices.set(choice.index, acc)
    }
  }
  const first = chunks[0]
  const usage = chunks.findLast((c) => c.usage)?.usage ?? undefined
  return {
    id: first?.id ?? '', object: 'text_completion', created: first?.created ?? 0, model: first?.model ?? '',
    choices: [...choices].sort(([a], [b]) => a - b).map(([index, acc]) => ({ index, text: acc.text, finish_reason: acc.finish, logprobs: null })),
    ...(usage ? { usage } : {}),
  }
}

const defaultUrl = (): string => (typeof process !== 'undefined' && process.env?.VERITY_NODE) || 'http://127.0.0.1:8420'

export function createLlmClient(options: LlmClientOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 120_000
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const transport = (url: string): Transport => ({ url, timeoutMs, fetch: fetchImpl, headers: {} })
  const path = (endpoint: LlmEndpoint) => (endpoint === 'chat' ? '/v1/chat/completions' : '/v1/completions')
  const network = options.network
  const onchainCheck = options.onchainCheck ?? (network?.checkAttestation ? (r: LlmResultJson) => network.checkAttestation!({ receipt: r.verity.receipt }) : undefined)

  /** Runs `attempt` on the one node, or on the network's nodes with failover. */
  const onNodes = <T>(attempt: (node: { url: string; address?: string }) => Promise<T>): Promise<T> =>
    options.network ? options.network.failover(attempt, { tee: true }) : attempt({ url: options.url ?? defaultUrl() })

  async function finish(result: LlmResultJson, signer: string | undefined): Promise<VerifiedLlmResult> {
    const trustedSigners = options.trustedSigners ?? (signer ? [signer] : undefined)
    const verification = verifyLlmResult(result, { ...options, trustedSigners })
    if (verification.ok && onchainCheck) verification.checks.push(await onchainCheck(result))
    if (!verification.checks.every((c) => c.ok)) throw new VerificationError(verification.checks)
    return { ...result, verification: { ok: true, checks: verification.checks } }
  }

  async function whole(endpoint: LlmEndpoint, body: Record<string, unknown>): Promise<VerifiedLlmResult> {
    return onNodes(async (node) => {
      const response = await request(transport(node.url), path(endpoint), { body: { ...body, stream: false } })
      const { verity, ...answer } = (await response.json()) as Record<string, unknown> & { verity: LlmVerity }
      const { stream: _s, ...asked } = body
      return finish({ kind: 'verity-llm-result', version: 1, endpoint, request: asked, response: answer, verity, source: { node: node.url } }, node.address)
    })
  }

  async function* streamed<C>(endpoint: LlmEndpoint, body: Record<string, unknown>): AsyncGenerator<C | VerifiedLlmEvent> {
    // Fail over only while nothing has reached the caller: until the first event arrived.
    const { node, events, first } = await onNodes(async (node) => {
      const response = await request(transport(node.url), path(endpoint), { body: { ...body, stream: true } })
      if (response.body === null) throw new NodeRequestError(502, 'UPSTREAM_ERROR', `${node.url} answered a stream request without a body.`)
      const events = sseData(response.body)
      const first = await events.next()
      return { node, events, first }
    })
    const chunks: C[] = []
    let verity: LlmVerity | null = null
    for (let next = first; !next.done; next = await events.next()) {
      if (next.value === '[DONE]') break
      const event = JSON.parse(next.value) as Record<string, unknown>
      if (event.error) {
        const e = event.error as { code?: string; message?: string; details?: Record<string, unknown>; hint?: string }
        throw new NodeRequestError(502, e.code ?? 'UPSTREAM_ERROR', e.message ?? 'The stream failed.', e.details ?? {}, e.hint)
      }
      if (event.verity) {
        verity = event.verity as LlmVerity
        continue
      }
      chunks.push(event as C)
      yield event as C
    }
    if (verity === null) throw new VerificationError([{ check: 'format', ok: false, message: `The stream from ${node.url} ended without its verity event (receipt).` }])
    let response: Record<string, unknown>
    if (endpoint === 'chat') {
      const assembler = new ChunkAssembler()
      for (const c of chunks) assembler.add(c as ChatCompletionChunk)
      response = assembler.response()
    } else {
      response = assembleCompletion(chunks as CompletionChunk[])
    }
    const { stream: _s, stream_options: _o, ...asked } = body
    const result = await finish({ kind: 'verity-llm-result', version: 1, endpoint, request: asked, response, verity, source: { node: node.url } }, node.address)
    yield { ...result, object: 'verity.result' }
  }

  return {
    /** A chat completion, verified. @throws VerificationError naming the failed check. */
    chat: (p: ChatParameters): Promise<VerifiedLlmResult> => whole('chat', p),
    /** A streamed chat completion: the chunks, then one `verity.result` event with the verified answer. */
    chatStream: (p: ChatParameters): AsyncGenerator<ChatCompletionChunk | VerifiedLlmEvent> => streamed<ChatCompletionChunk>('chat', p),
    /** A completion (served as one chat turn, see @verity/llm-gateway completions.ts), verified. */
    complete: (p: CompleteParameters): Promise<VerifiedLlmResult> => whole('completion', p),
    completeStream: (p: CompleteParameters): AsyncGenerator<CompletionChunk | VerifiedLlmEvent> => streamed<CompletionChunk>('completion', p),
    /** Re-checks a saved result (offline checks, then the on-chain check when configured). */
    async verify(result: unknown): Promise<{ ok: boolean; checks: CheckOutcome[] }> {
      const verification = verifyLlmResult(result, options)
      if (verification.ok && onchainCheck) verification.checks.push(await onchainCheck(result as LlmResultJson))
      return { ok: verification.checks.every((c) => c.ok), checks: verification.checks }
    },
  }
}

export type LlmClient = ReturnType<typeof createLlmClient>
