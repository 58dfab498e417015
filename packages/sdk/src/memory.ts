/**
 * Agent memory over HTTP (the node's MemSync-style API). Keys go in `Authorization: Bearer KEY`; a
 * user key acts on its own user, the admin key names the user. `log()` returns the user's signed,
 * hash-chained operation log already verified against the node's address.
 */
import { verifyMemoryLog, type SignedLogEntry, type VerifyMemoryLogReturnType } from '@verity/memory/log'
import { requestJson, type Transport } from './http.ts'

export type MemoryMessage = { id?: string; role: string; content: string; name?: string; timestamp?: string | number }
export type MemoryJson = {
  id: string; user_id: string; text: string; categories: string[]; type: string; importance: number; event_time: string; record_time: string
  updated_at?: string; sources: string[]; extractor: string; agent_id: string | null; thread_id: string | null; metadata: Record<string, unknown> | null
  reinforced?: number; score?: number
}
export type MemoryClientOptions = { url?: string; apiKey: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }

const q = (params: Record<string, unknown>): string => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, Array.isArray(v) ? v.join(',') : String(v))
  const text = s.toString()
  return text ? `?${text}` : ''
}

export function createMemoryClient(options: MemoryClientOptions) {
  const t: Transport = {
    url: options.url ?? ((typeof process !== 'undefined' && process.env?.VERITY_NODE) || 'http://127.0.0.1:8420'),
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    headers: { authorization: `Bearer ${options.apiKey}` },
  }
  const enc = encodeURIComponent
  return {
    /** Stores messages; extraction runs in the node's durable queue (`wait: true` waits for it). */
    add(p: { messages: MemoryMessage[]; user_id?: string; agent_id?: string; thread_id?: string; source?: string; metadata?: Record<string, unknown> }, o: { wait?: boolean } = {}) {
      return requestJson<{ messages: number; job_id?: string; memories?: MemoryJson[] } & Record<string, unknown>>(t, `/v1/memories${o.wait ? '?wait=true' : ''}`, { body: p })
    },
    search(p: { query: string; user_id?: string; limit?: number; categories?: string[]; agent_id?: string; thread_id?: string; as_of?: string; include_profile?: boolean }) {
      return requestJson<{ memories: MemoryJson[]; profile?: unknown } & Record<string, unknown>>(t, '/v1/memories/search', { body: p })
    },
    list(p: { user_id?: string; limit?: number; cursor?: string; categories?: string[] } = {}) {
      return requestJson<{ memories: MemoryJson[]; next_cursor: string | null }>(t, `/v1/memories${q(p)}`)
    },
    get(id: string, user_id?: string) {
      return requestJson<MemoryJson>(t, `/v1/memories/${enc(id)}${q({ user_id })}`)
    },
    update(id: string, p: { text?: string; categories?: string[]; importance?: number; user_id?: string }) {
      const { user_id, ...body } = p
      return requestJson<MemoryJson>(t, `/v1/memories/${enc(id)}${q({ user_id })}`, { method: 'PATCH', body })
    },
    delete(id: string, user_id?: string) {
      return requestJson<unknown>(t, `/v1/memories/${enc(id)}${q({ user_id })}`, { method: 'DELETE' })
    },
    export(user_id?: string) {
      return requestJson<unknown>(t, `/v1/memories/export${q({ user_id })}`)
    },
    trace(id: string, user_id?: string) {
      return requestJson<unknown>(t, `/v1/memories/${enc(id)}/trace${q({ user_id })}`)
    },
    profile(user_id?: string) {
      return requestJson<unknown>(t, `/v1/profile${q({ user_id })}`)
    },
    eraseUser(user_id: string) {
      return requestJson<unknown>(t, `/v1/users/${enc(user_id)}`, { method: 'DELETE' })
    },
    createKey(p: { user_id: string; scopes: string[]; rate_limit?: number }) {
      return requestJson<{ key: string } & Record<string, unknown>>(t, '/v1/api-keys', { body: p })
    },
    /** The user's operation log, checked end to end (hash chain + every signature by the node). */
    async log(user_id?: string): Promise<{ node: string; entries: SignedLogEntry[]; verification: VerifyMemoryLogReturnType }> {
      const log = await requestJson<{ node: string; entries: SignedLogEntry[] }>(t, `/v1/memories/log${q({ user_id })}`)
      return { ...log, verification: verifyMemoryLog(log.entries, log.node) }
    },
  }
}

export type MemoryClient = ReturnType<typeof createMemoryClient>
