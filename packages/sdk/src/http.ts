/** The one place the SDK talks HTTP: timeouts, error decoding, no hidden retries. */
import { ConnectionError, NodeRequestError, TimeoutError } from './errors.ts'

export type Transport = {
  url: string
  timeoutMs: number
  fetch: typeof globalThis.fetch
  headers: Record<string, string>
}

export type RequestOptions = {
  method?: string
  body?: unknown
  /** Raw body (uploads); sent as application/octet-stream. */
  raw?: NonNullable<RequestInit['body']>
  headers?: Record<string, string>
  timeoutMs?: number
  signal?: AbortSignal
}

export async function request(t: Transport, path: string, options: RequestOptions = {}): Promise<Response> {
  const url = `${t.url.replace(/\/+$/, '')}${path}`
  const timeoutMs = options.timeoutMs ?? t.timeoutMs
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  const headers: Record<string, string> = { ...t.headers, ...options.headers }
  let body: RequestInit['body'] | undefined
  if (options.raw !== undefined) {
    body = options.raw
    headers['content-type'] ??= 'application/octet-stream'
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  let response: Response
  try {
    const init: RequestInit & { duplex?: 'half' } = { method: options.method ?? (body ? 'POST' : 'GET'), headers, signal }
    if (body !== undefined) init.body = body
    // Streaming request bodies need half-duplex in Node's fetch.
    if (body instanceof ReadableStream) init.duplex = 'half'
    response = await t.fetch(url, init)
  } catch (error) {
    if (timeout.aborted) throw new TimeoutError(url, timeoutMs)
    if ((error as Error)?.name === 'AbortError') throw error
    throw new ConnectionError(t.url, (error as Error & { cause?: unknown }).cause ?? error)
  }
  if (!response.ok) {
    let payload: { error?: { code?: string; message?: string; details?: Record<string, unknown>; hint?: string } } = {}
    try {
      payload = (await response.json()) as typeof payload
    } catch {
      // Not JSON (a proxy's page): fall through with the status text.
    }
    const e = payload.error
    throw new NodeRequestError(response.status, e?.code ?? `HTTP_${response.status}`, e?.message ?? `${response.status} ${response.statusText} from ${url}`, e?.details ?? {}, e?.hint)
  }
  return response
}

export async function requestJson<T>(t: Transport, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(t, path, options)
  return (await response.json()) as T
}
