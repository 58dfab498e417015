/**
 * The gateway capability: routes "provider/model" to a configured OpenAI-compatible upstream,
 * forwards chat completions (whole or streamed as server-sent events), retries transient failures
 * with exponential backoff, and returns each finished exchange with its canonical hashes. It has no
 * HTTP server of its own: the node mounts routes that call it.
 *
 * API keys are read from environment variables named in the provider config, sent only in the
 * Authorization header, and scrubbed from every error and log event.
 */
import { VerityError } from '@verity/protocol'
import { hashOutput, hashRequest } from './hashing.ts'
import { assertChatCompletionRequest } from './validate.ts'
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ToolCall } from './types.ts'
import { takeSseEvents } from './sse.ts'

export type UpstreamProvider = {
  /** The prefix clients use: "openai" in "openai/gpt-4o-mini". [a-z0-9._-]+ */
  name: string
  /** OpenAI-compatible base URL, e.g. https://api.openai.com/v1 (the gateway appends /chat/completions). */
  baseUrl: string
  /** Environment variable holding the API key; none for keyless local servers. */
  apiKeyEnv?: string | undefined
  /** Extra headers (never secrets: they are not scrubbed). */
  headers?: Record<string, string> | undefined
  timeoutMs?: number | undefined
  maxRetries?: number | undefined
}

export type GatewayLogEvent =
  | { event: 'upstream.request'; provider: string; model: string; attempt: number; stream: boolean }
  | { event: 'upstream.retry'; provider: string; attempt: number; delayMs: number; reason: string }
  | { event: 'upstream.done'; provider: string; status: number; ms: number; stream: boolean }
  | { event: 'upstream.error'; provider: string; message: string }

export type LlmGatewayOptions = {
  providers: readonly UpstreamProvider[]
  /** Where API keys are read from. Default process.env. */
  env?: Record<string, string | undefined> | undefined
  fetch?: typeof fetch | undefined
  /** Per attempt: time to the whole answer (non-streaming), or to the first byte and between chunks (streaming). Default 120 s. */
  timeoutMs?: number | undefined
  /** Retries after the first attempt for network errors, timeouts, 408/409/429/5xx. Default 2. */
  maxRetries?: number | undefined
  /** First backoff; doubles per retry; Retry-After wins when the upstream sends it. Default 250 ms. */
  backoffMs?: number | undefined
  maxBackoffMs?: number | undefined
  log?: ((event: GatewayLogEvent) => void) | undefined
  now?: (() => number) | undefined
}

/** A finished exchange: what was asked, what came back, and their canonical hashes. */
export type Exchange = {
  provider: string
  /** The model name the upstream was asked for (without the provider prefix). */
  upstreamModel: string
  request: ChatCompletionRequest
  requestHash: `0x${string}`
  /** The complete answer; for streams, assembled from the chunks. `model` is the full "provider/model". */
  response: ChatCompletionResponse
  outputHash: `0x${string}`
  streamed: boolean
  attempts: number
  startedAt: number
  finishedAt: number
}

export type ChatCompletionStream = AsyncIterable<ChatCompletionChunk> & {
  /** Resolves with the exchange once the stream has been read to the end. */
  exchange: Promise<Exchange>
}

export type LlmGateway = {
  readonly providers: readonly string[]
  resolveModel(model: string): { provider: UpstreamProvider; upstreamModel: string }
  chatCompletion(request: unknown, options?: { signal?: AbortSignal | undefined }): Promise<Exchange>
  streamChatCompletion(request: unknown, options?: { signal?: AbortSignal | undefined }): ChatCompletionStream
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504])

/** Creates the gateway capability. */
export function createLlmGateway(options: LlmGatewayOptions): LlmGateway {
  const byName = new Map<string, UpstreamProvider>()
  for (const p of options.providers) {
    if (!/^[a-z0-9._-]+$/.test(p.name)) throw new TypeError(`provider name expected [a-z0-9._-]+, got ${JSON.stringify(p.name)}`)
    if (byName.has(p.name)) throw new TypeError(`provider ${p.name} is configured twice`)
    try {
      new URL(p.baseUrl)
    } catch {
      throw new TypeError(`provider ${p.name}: baseUrl ${JSON.stringify(p.baseUrl)} is not a URL`)
    }
    byName.set(p.name, p)
  }
  const env = options.env ?? process.env
  const doFetch = options.fetch ?? globalThis.fetch
  const now = options.now ?? Date.now
  const log = options.log ?? (() => undefined)
  const backoffMs = options.backoffMs ?? 250
  const maxBackoffMs = options.maxBackoffMs ?? 8_000

  function resolveModel(model: string): { provider: UpstreamProvider; upstreamModel: string } {
    const slash = model.indexOf('/')
    const provider = slash > 0 ? byName.get(model.slice(0, slash)) : undefined
    if (provider === undefined) {
      throw new VerityError('BAD_REQUEST', `model ${JSON.stringify(model)}: no upstream provider "${model.slice(0, Math.max(0, slash))}" is configured`, {
        details: { field: 'model', providers: [...byName.keys()] }, hint: `Name the model as provider/model with one of: ${[...byName.keys()].join(', ')}.`,
      })
    }
    return { provider, upstreamModel: model.slice(slash + 1) }
  }

  function secretOf(provider: UpstreamProvider): string | undefined {
    if (provider.apiKeyEnv === undefined) return undefined
    const key = env[provider.apiKeyEnv]
    if (key === undefined || key === '') {
      throw new VerityError('UPSTREAM_ERROR', `provider ${provider.name}: the API key variable ${provider.apiKeyEnv} is not set`, {
        details: { provider: provider.name, env: provider.apiKeyEnv }, hint: `Set ${provider.apiKeyEnv} in the node's environment.`,
      })
    }
    return key
  }

  const scrub = (text: string, secret: string | undefined): string => (secret ? text.split(secret).join('[redacted]') : text)

  function upstreamError(provider: UpstreamProvider, secret: string | undefined, message: string, details: Record<string, unknown>, cause?: unknown): VerityError {
    const clean = scrub(message, secret)
    log({ event: 'upstream.error', provider: provider.name, message: clean })
    const safeDetails = JSON.parse(scrub(JSON.stringify({ provider: provider.name, ...details }), secret)) as Record<string, unknown>
    const safeCause = cause instanceof Error ? new Error(scrub(cause.message, secret)) : undefined
    return new VerityError('UPSTREAM_ERROR', clean, { details: safeDetails, cause: safeCause })
  }

  const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    }, { once: true })
  })

  /** One POST with retries; returns the response once its headers arrived with status 2xx. */
  async function send(provider: UpstreamProvider, body: Record<string, unknown>, stream: boolean, callerSignal: AbortSignal | undefined): Promise<{ response: Response; attempts: number; controller: AbortController; timeoutMs: number; secret: string | undefined; release: () => void }> {
    const secret = secretOf(provider)
    const url = `${provider.baseUrl.replace(/\/+$/, '')}/chat/completions`
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...provider.headers }
    if (secret !== undefined) headers.authorization = `Bearer ${secret}`
    const timeoutMs = provider.timeoutMs ?? options.timeoutMs ?? 120_000
    const maxRetries = provider.maxRetries ?? options.maxRetries ?? 2
    for (let attempt = 1; ; attempt++) {
      const controller = new AbortController()
      const onAbort = () => controller.abort(callerSignal?.reason)
      callerSignal?.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => controller.abort(new VerityError('TIMEOUT', `provider ${provider.name} did not answer within ${timeoutMs} ms`, { details: { provider: provider.name, timeoutMs } })), timeoutMs)
      log({ event: 'upstream.request', provider: provider.name, model: String(body.model), attempt, stream })
      let retryReason: string
      let retryAfterMs: number | null = null
      let finalError: VerityError
      try {
        const response = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal })
        if (response.ok) {
          if (stream) clearTimeout(timer) // the stream reader takes over with an idle timeout
          else controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
          return { response, attempts: attempt, controller, timeoutMs, secret, release: () => callerSignal?.removeEventListener('abort', onAbort) }
        }
        clearTimeout(timer)
        const text = await response.text().catch(() => '')
        let upstream: unknown = text.slice(0, 2000)
        let upstreamMessage = text.slice(0, 300)
        try {
          upstream = JSON.parse(text)
          const err = (upstream as { error?: { message?: unknown } | string }).error
          upstreamMessage = typeof err === 'string' ? err : typeof err?.message === 'string' ? err.message : upstreamMessage
        } catch {
          // not JSON: keep the text
        }
        finalError = upstreamError(provider, secret, `provider ${provider.name} answered ${response.status}: ${upstreamMessage || response.statusText}`, { status: response.status, upstream })
        if (!RETRYABLE.has(response.status)) throw finalError
        retryReason = `status ${response.status}`
        const retryAfter = response.headers.get('retry-after')
        // Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3).
        if (retryAfter !== null && retryAfter.trim() !== '') {
          const seconds = Number(retryAfter)
          const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now()
          if (Number.isFinite(ms)) retryAfterMs = Math.max(0, ms)
        }
      } catch (error) {
        clearTimeout(timer)
        callerSignal?.removeEventListener('abort', onAbort)
        if (error instanceof VerityError && error.code === 'UPSTREAM_ERROR' && !RETRYABLE.has(Number(error.details.status))) throw error
        if (callerSignal?.aborted) throw callerSignal.reason
        if (controller.signal.aborted && controller.signal.reason instanceof VerityError) {
          finalError = controller.signal.reason
          retryReason = 'timeout'
        } else if (error instanceof VerityError) {
          finalError = error
          retryReason = error.message
        } else {
          finalError = upstreamError(provider, secret, `provider ${provider.name} could not be reached: ${(error as Error).message}`, { url }, error)
          retryReason = 'network error'
        }
      }
      callerSignal?.removeEventListener('abort', onAbort)
      if (attempt > maxRetries) {
        if (attempt > 1) finalError.details.attempts = attempt
        throw finalError
      }
      const delayMs = Math.min(maxBackoffMs, retryAfterMs ?? backoffMs * 2 ** (attempt - 1))
      log({ event: 'upstream.retry', provider: provider.name, attempt, delayMs, reason: retryReason })
      await sleep(delayMs, callerSignal)
    }
  }

  function prepare(request: unknown): { req: ChatCompletionRequest; provider: UpstreamProvider; upstreamModel: string } {
    assertChatCompletionRequest(request)
    const { provider, upstreamModel } = resolveModel(request.model)
    return { req: request, provider, upstreamModel }
  }

  function finish(req: ChatCompletionRequest, provider: UpstreamProvider, upstreamModel: string, response: ChatCompletionResponse, streamed: boolean, attempts: number, startedAt: number): Exchange {
    const normalized: ChatCompletionResponse = { ...response, model: req.model, upstream_model: response.model }
    return {
      provider: provider.name, upstreamModel, request: req, requestHash: hashRequest(req), response: normalized, outputHash: hashOutput(normalized),
      streamed, attempts, startedAt, finishedAt: now(),
    }
  }

  async function chatCompletion(request: unknown, callOptions: { signal?: AbortSignal | undefined } = {}): Promise<Exchange> {
    const { req, provider, upstreamModel } = prepare(request)
    const startedAt = now()
    const body = { ...req, model: upstreamModel, stream: false }
    delete (body as Record<string, unknown>).stream_options
    delete (body as Record<string, unknown>).verity
    const sent = await send(provider, body, false, callOptions.signal)
    let parsed: ChatCompletionResponse
    try {
      parsed = (await sent.response.json()) as ChatCompletionResponse
    } catch (error) {
      if (sent.controller.signal.reason instanceof VerityError) throw sent.controller.signal.reason
      throw upstreamError(provider, sent.secret, `provider ${provider.name} sent a body that is not JSON`, { status: sent.response.status }, error)
    } finally {
      sent.controller.abort() // clears the timer
      sent.release()
    }
    if (!Array.isArray(parsed?.choices) || parsed.choices.some((c) => c?.message === undefined)) {
      throw upstreamError(provider, sent.secret, `provider ${provider.name} sent a chat completion without choices[].message`, { status: sent.response.status })
    }
    log({ event: 'upstream.done', provider: provider.name, status: sent.response.status, ms: now() - startedAt, stream: false })
    return finish(req, provider, upstreamModel, parsed, false, sent.attempts, startedAt)
  }

  function streamChatCompletion(request: unknown, callOptions: { signal?: AbortSignal | undefined } = {}): ChatCompletionStream {
    const { req, provider, upstreamModel } = prepare(request)
    let resolveExchange!: (e: Exchange) => void
    let rejectExchange!: (e: unknown) => void
    const exchange = new Promise<Exchange>((resolve, reject) => {
      resolveExchange = resolve
      rejectExchange = reject
    })
    exchange.catch(() => undefined) // the iterator reports the same error; do not also crash the process
    async function* iterate(): AsyncGenerator<ChatCompletionChunk> {
      const startedAt = now()
      const { verity: _verity, ...forwarded } = req
      const sent = await send(provider, { ...forwarded, model: upstreamModel, stream: true }, true, callOptions.signal)
      const assembler = new ChunkAssembler()
      let idle: NodeJS.Timeout | undefined
      const arm = () => {
        clearTimeout(idle)
        idle = setTimeout(() => sent.controller.abort(new VerityError('TIMEOUT', `provider ${provider.name} sent nothing for ${sent.timeoutMs} ms mid-stream`, { details: { provider: provider.name } })), sent.timeoutMs)
      }
      try {
        arm()
        for await (const data of sseData(sent.response, sent.controller.signal)) {
          arm()
          if (data === '[DONE]') break
          let chunk: ChatCompletionChunk & { error?: { message?: string } }
          try {
            chunk = JSON.parse(data) as typeof chunk
          } catch (error) {
            throw upstreamError(provider, sent.secret, `provider ${provider.name} sent a stream event that is not JSON`, { data: data.slice(0, 200) }, error)
          }
          if (chunk.error !== undefined) throw upstreamError(provider, sent.secret, `provider ${provider.name} failed mid-stream: ${chunk.error.message ?? 'unknown error'}`, { upstream: chunk.error })
          assembler.add(chunk)
          yield { ...chunk, model: req.model }
        }
        log({ event: 'upstream.done', provider: provider.name, status: sent.response.status, ms: now() - startedAt, stream: true })
        resolveExchange(finish(req, provider, upstreamModel, assembler.response(), true, sent.attempts, startedAt))
      } catch (error) {
        const reason = sent.controller.signal.reason
        const final = reason instanceof VerityError ? reason : error instanceof VerityError || callOptions.signal?.aborted ? error
          : upstreamError(provider, sent.secret, `provider ${provider.name} stream broke: ${(error as Error).message}`, {}, error)
        rejectExchange(final)
        throw final
      } finally {
        clearTimeout(idle)
        sent.release()
        if (!sent.controller.signal.aborted) sent.controller.abort()
      }
    }
    let started: AsyncGenerator<ChatCompletionChunk> | null = null
    return {
      exchange,
      [Symbol.asyncIterator]() {
        if (started !== null) throw new TypeError('a chat completion stream can be read once')
        started = iterate()
        const inner = started
        return {
          next: () => inner.next().catch((e: unknown) => {
            rejectExchange(e)
            throw e
          }),
          return: (value?: unknown) => {
            rejectExchange(new VerityError('BAD_REQUEST', 'the stream was closed before it finished'))
            return inner.return(value as never)
          },
          [Symbol.asyncIterator]() {
            return this
          },
        }
      },
    }
  }

  return { providers: [...byName.keys()], resolveModel, chatCompletion, streamChatCompletion }
}

/** Yields the data of each server-sent event (multi-line data joined by \n). */
async function* sseData(response: Response, signal: AbortSignal): AsyncGenerator<string> {
  if (response.body === null) return
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = response.body.getReader()
  const onAbort = () => reader.cancel(signal.reason).catch(() => undefined)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (signal.aborted) throw signal.reason
      const taken = takeSseEvents(buffer + decoder.decode(value, { stream: !done }))
      buffer = taken.rest
      yield* taken.data
      if (done) break
    }
    const tail = buffer.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n')
    if (tail !== '') yield tail
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Merges stream deltas into one chat completion: content and arguments concatenated, tool calls by index. */
export class ChunkAssembler {
  #id = ''
  #created = 0
  #model = ''
  #usage: ChatCompletionResponse['usage'] | undefined
  #choices = new Map<number, { content: string | null; refusal: string | null; finish: string | null; tools: Map<number, ToolCall> }>()

  add(chunk: ChatCompletionChunk): void {
    this.#id ||= chunk.id
    this.#created ||= chunk.created
    this.#model ||= chunk.model
    if (chunk.usage) this.#usage = chunk.usage
    for (const c of chunk.choices ?? []) {
      let acc = this.#choices.get(c.index)
      if (acc === undefined) this.#choices.set(c.index, (acc = { content: null, refusal: null, finish: null, tools: new Map() }))
      if (typeof c.delta?.content === 'string') acc.content = (acc.content ?? '') + c.delta.content
      if (typeof c.delta?.refusal === 'string') acc.refusal = (acc.refusal ?? '') + c.delta.refusal
      for (const t of c.delta?.tool_calls ?? []) {
        let call = acc.tools.get(t.index)
        if (call === undefined) acc.tools.set(t.index, (call = { id: '', type: 'function', function: { name: '', arguments: '' } }))
        if (t.id) call.id = t.id
        if (t.function?.name) call.function.name += t.function.name
        if (t.function?.arguments) call.function.arguments += t.function.arguments
      }
      if (c.finish_reason) acc.finish = c.finish_reason
    }
  }

  response(): ChatCompletionResponse {
    const choices = [...this.#choices].sort(([a], [b]) => a - b).map(([index, acc]) => {
      const tools = [...acc.tools].sort(([a], [b]) => a - b).map(([, call]) => call)
      return {
        index, finish_reason: acc.finish,
        message: { role: 'assistant' as const, content: acc.content, ...(acc.refusal !== null ? { refusal: acc.refusal } : {}), ...(tools.length > 0 ? { tool_calls: tools } : {}) },
      }
    })
    return { id: this.#id, object: 'chat.completion', created: this.#created, model: this.#model, choices, ...(this.#usage ? { usage: this.#usage } : {}) }
  }
}
