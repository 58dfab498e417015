/**
 * The legacy completions API (POST /v1/completions) mapped onto chat completions, specified once,
 * here. A completion is served as the chat completion below, so its receipt commits to the chat
 * canonical forms (hashing.ts) of the mapped request and answer; a client re-derives them with the
 * same functions. No second canonical form exists to drift apart.
 *
 *   request  { model, prompt, ...params }   →  { model, messages: [{ role: "user", content: prompt }], ...params }
 *            prompt: a string, or an array holding exactly one string; every other parameter is
 *            carried over unchanged (stream, stream_options and verity are ignored by the hash).
 *            echo, suffix, logprobs, best_of and token-id prompts have no chat equivalent: refused.
 *   answer   choices[i].message.content     ↔  choices[i].text   (finish_reason and index unchanged)
 *
 * So the upstream answers the prompt as one user turn of its chat template: this is a chat model
 * behind the old API, not raw text continuation.
 */
import { VerityError } from '@verity/protocol'
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from './types.ts'

export type CompletionRequest = {
  /** "provider/model". */
  model: string
  prompt: string | [string]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  max_tokens?: number
  temperature?: number
  top_p?: number
  seed?: number
  stop?: string | string[]
  [extra: string]: unknown
}

export type CompletionChoice = { index: number; text: string; finish_reason: string | null; logprobs: null }

export type CompletionResponse = {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: CompletionChoice[]
  usage?: ChatCompletionResponse['usage']
  [extra: string]: unknown
}

export type CompletionChunk = {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: CompletionChoice[]
  usage?: ChatCompletionResponse['usage'] | null
  [extra: string]: unknown
}

const unsupported = ['echo', 'suffix', 'logprobs', 'best_of'] as const

function bad(field: string, message: string): VerityError {
  return new VerityError('BAD_REQUEST', `${field}: ${message}`, { details: { field } })
}

/** The prompt as one string; throws BAD_REQUEST naming the field for forms chat cannot express. */
function promptOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  throw bad('prompt', 'expected a string (or an array of exactly one string); token-id and batched prompts are not served')
}

/**
 * The chat request a completion request is served as. @throws VerityError BAD_REQUEST naming the
 * field when the request is not an object, has no usable prompt, or uses a parameter chat lacks.
 */
export function completionToChatRequest(value: unknown): ChatCompletionRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('body', 'expected a JSON object')
  const { prompt, ...rest } = value as Record<string, unknown>
  for (const field of unsupported) {
    if (rest[field] !== undefined && rest[field] !== null && rest[field] !== false && !(field === 'best_of' && rest[field] === 1)) {
      throw bad(field, `has no chat equivalent and is not served; remove it`)
    }
  }
  if ('messages' in rest) throw bad('messages', 'belongs to POST /v1/chat/completions; completions take a prompt')
  return { ...rest, messages: [{ role: 'user', content: promptOf(prompt) }] } as ChatCompletionRequest
}

/** The completion answer for a chat answer (content → text). */
export function chatToCompletionResponse(response: ChatCompletionResponse): CompletionResponse {
  const { object: _object, choices, ...rest } = response
  return {
    ...rest,
    object: 'text_completion',
    choices: choices.map((c) => ({ index: c.index, text: c.message.content ?? '', finish_reason: c.finish_reason, logprobs: null })),
  }
}

/** The completion stream event for a chat stream chunk (delta.content → text). */
export function chatChunkToCompletionChunk(chunk: ChatCompletionChunk): CompletionChunk {
  const { object: _object, choices, ...rest } = chunk
  return {
    ...rest,
    object: 'text_completion',
    choices: (choices ?? []).map((c) => ({ index: c.index, text: c.delta?.content ?? '', finish_reason: c.finish_reason, logprobs: null })),
  }
}

/**
 * The chat answer a completion answer stands for (text → content), for verification: hashOutput of
 * this is what the receipt's outputHash commits to.
 */
export function completionToChatResponse(response: Pick<CompletionResponse, 'model' | 'choices'>): Pick<ChatCompletionResponse, 'model' | 'choices'> {
  return {
    model: response.model,
    choices: response.choices.map((c) => ({ index: c.index, finish_reason: c.finish_reason, message: { role: 'assistant' as const, content: c.text } })),
  }
}
