/**
 * LLM access through any OpenAI-compatible chat completions endpoint, asking for JSON that matches a
 * schema (`response_format: { type: 'json_schema' }`). Model output is never trusted: it is parsed,
 * checked against the schema by hand, and a bad answer (invalid JSON, wrong shape, HTTP error, timeout)
 * is retried, then reported as an `LlmError` so the caller can fall back without touching state.
 */
import { categories, type Category, type MemoryType } from './types.ts'

export type Llm = {
  readonly model: string
  /** Returns the validated JSON answer, or throws LlmError after the retries. */
  completeJson<T>(request: { system: string; user: string; schemaName: string; schema: Record<string, unknown>; validate: (value: unknown) => T | null }): Promise<T>
}

export class LlmError extends Error {
  override name = 'LlmError'
}

export type CreateOpenAiLlmParameters = {
  /** e.g. http://127.0.0.1:8080/v1 — `/chat/completions` is appended. */
  baseUrl: string
  model: string
  apiKey?: string | undefined
  timeoutMs?: number | undefined
  /** Extra attempts after the first (default 2). */
  retries?: number | undefined
}

export function createOpenAiLlm(params: CreateOpenAiLlmParameters): Llm {
  const url = `${params.baseUrl.replace(/\/+$/, '')}/chat/completions`
  const timeoutMs = params.timeoutMs ?? 30_000
  const retries = params.retries ?? 2
  return {
    model: params.model,
    async completeJson({ system, user, schemaName, schema, validate }) {
      let lastError = 'no attempt'
      for (let attempt = 0; attempt <= retries; attempt++) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(params.apiKey ? { authorization: `Bearer ${params.apiKey}` } : {}) },
            body: JSON.stringify({
              model: params.model,
              temperature: 0,
              messages: [{ role: 'system', content: system }, { role: 'user', content: user }],
              response_format: { type: 'json_schema', json_schema: { name: schemaName, strict: true, schema } },
            }),
            signal: AbortSignal.timeout(timeoutMs),
          })
          if (!res.ok) {
            lastError = `HTTP ${res.status}`
            continue
          }
          const body = (await res.json()) as { choices?: { message?: { content?: unknown } }[] }
          const content = body.choices?.[0]?.message?.content
          if (typeof content !== 'string') {
            lastError = 'no message content'
            continue
          }
          let parsed: unknown
          try {
            parsed = JSON.parse(content.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, ''))
          } catch {
            lastError = 'invalid JSON'
            continue
          }
          const value = validate(parsed)
          if (value === null) {
            lastError = `answer does not match schema ${schemaName}`
            continue
          }
          return value
        } catch (error) {
          lastError = (error as Error).name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (error as Error).message
        }
      }
      throw new LlmError(`LLM ${params.model} gave no valid ${schemaName} after ${retries + 1} attempts: ${lastError}`)
    },
  }
}

export type ExtractedMemory = { text: string; categories: Category[]; type: MemoryType; importance: number; event_time: string | null; source_ids: string[] }

export const extractionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['memories'],
  properties: {
    memories: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['text', 'categories', 'type', 'importance', 'event_time', 'source_ids'],
        properties: {
          text: { type: 'string' },
          categories: { type: 'array', items: { type: 'string', enum: [...categories] } },
          type: { type: 'string', enum: ['semantic', 'episodic'] },
          importance: { type: 'number' },
          event_time: { type: ['string', 'null'] },
          source_ids: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const

export function validateExtraction(value: unknown, messageIds: ReadonlySet<string>): ExtractedMemory[] | null {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { memories?: unknown }).memories)) return null
  const out: ExtractedMemory[] = []
  for (const item of (value as { memories: unknown[] }).memories) {
    if (typeof item !== 'object' || item === null) return null
    const m = item as Record<string, unknown>
    if (typeof m.text !== 'string' || m.text.trim() === '' || m.text.length > 4000) return null
    if (!Array.isArray(m.categories) || !m.categories.every((c) => (categories as readonly unknown[]).includes(c))) return null
    if (m.type !== 'semantic' && m.type !== 'episodic') return null
    if (typeof m.importance !== 'number' || !Number.isFinite(m.importance)) return null
    if (m.event_time !== null && m.event_time !== undefined && (typeof m.event_time !== 'string' || !Number.isFinite(Date.parse(m.event_time)))) return null
    if (!Array.isArray(m.source_ids) || m.source_ids.length === 0 || !m.source_ids.every((s) => typeof s === 'string' && messageIds.has(s))) return null
    out.push({
      text: m.text.trim(),
      categories: [...new Set(m.categories as Category[])],
      type: m.type,
      importance: Math.min(1, Math.max(0, m.importance)),
      event_time: (m.event_time as string | null | undefined) ?? null,
      source_ids: [...new Set(m.source_ids as string[])],
    })
  }
  return out
}

export type Decision = { action: 'CREATE' | 'UPDATE' | 'REINFORCE' | 'DELETE'; target_id: string | null; text: string | null }

export const decisionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'target_id', 'text'],
  properties: {
    action: { type: 'string', enum: ['CREATE', 'UPDATE', 'REINFORCE', 'DELETE'] },
    target_id: { type: ['string', 'null'] },
    text: { type: ['string', 'null'] },
  },
} as const

export function validateDecision(value: unknown, candidateIds: ReadonlySet<string>): Decision | null {
  if (typeof value !== 'object' || value === null) return null
  const d = value as Record<string, unknown>
  if (d.action !== 'CREATE' && d.action !== 'UPDATE' && d.action !== 'REINFORCE' && d.action !== 'DELETE') return null
  const target = d.target_id ?? null
  const text = d.text ?? null
  if (target !== null && typeof target !== 'string') return null
  if (text !== null && (typeof text !== 'string' || text.trim() === '')) return null
  if (d.action !== 'CREATE' && (target === null || !candidateIds.has(target))) return null
  if (d.action === 'UPDATE' && text === null) return null
  return { action: d.action, target_id: d.action === 'CREATE' ? null : target, text: text === null ? null : text.trim() }
}

export const extractionSystemPrompt = `You extract lasting memories about the user from a conversation.
Return JSON {"memories":[...]}; each memory is one self-contained fact in the third person, with:
categories (any of: ${categories.join(', ')}), type "semantic" (lasting fact or preference) or "episodic" (time-bound event),
importance 0..1, event_time (ISO 8601, resolve relative dates like "last Saturday" against the message timestamps) or null,
source_ids: the ids of the messages the fact comes from. Return {"memories":[]} when nothing is worth remembering.`

export const decisionSystemPrompt = `You maintain a user's memory store. Given a NEW memory and similar EXISTING memories, decide:
CREATE (new information), UPDATE (an existing memory should be replaced by merged text; give target_id and text),
REINFORCE (an existing memory already says this; give target_id), DELETE (the new information contradicts and retires an existing memory; give target_id).
Answer JSON {"action","target_id","text"}.`
