/** Calls to the node serving the page (same origin). Errors keep the node's code, message and hint. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly hint: string | undefined
  constructor(status: number, code: string, message: string, hint?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.hint = hint
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    })
  } catch (error) {
    throw new ApiError(0, 'NODE_UNREACHABLE', `The node could not be reached (${(error as Error).message}).`)
  }
  const text = await response.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    throw new ApiError(response.status, 'BAD_RESPONSE', `The node answered ${path} with something that is not JSON (HTTP ${response.status}).`)
  }
  if (!response.ok) {
    const e = (json as { error?: { code?: string; message?: string; hint?: string } } | null)?.error
    throw new ApiError(response.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${response.status} from ${path}`, e?.hint)
  }
  return json as T
}
