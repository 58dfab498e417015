/** Request validation at the gateway's edge: every error names the field and what is valid. */
import { VerityError } from '@verity/protocol'
import type { ChatCompletionRequest } from './types.ts'

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool'])

function bad(field: string, message: string): VerityError {
  return new VerityError('BAD_REQUEST', `${field}: ${message}`, { details: { field } })
}

/** Throws VerityError BAD_REQUEST naming the first invalid field. */
export function assertChatCompletionRequest(value: unknown): asserts value is ChatCompletionRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('body', 'expected a JSON object')
  const r = value as Record<string, unknown>
  if (typeof r.model !== 'string' || !/^[^/\s]+\/\S+$/.test(r.model)) throw bad('model', `expected "provider/model", got ${JSON.stringify(r.model)}`)
  if (!Array.isArray(r.messages) || r.messages.length === 0) throw bad('messages', 'expected a non-empty array')
  r.messages.forEach((m: unknown, i) => {
    if (m === null || typeof m !== 'object') throw bad(`messages[${i}]`, 'expected an object')
    const msg = m as Record<string, unknown>
    if (!roles.has(msg.role as string)) throw bad(`messages[${i}].role`, `expected one of ${[...roles].join(', ')}, got ${JSON.stringify(msg.role)}`)
    const content = msg.content
    if (!(content === undefined || content === null || typeof content === 'string' || Array.isArray(content))) throw bad(`messages[${i}].content`, 'expected a string, an array of parts, or null')
    if (msg.role === 'tool' && typeof msg.tool_call_id !== 'string') throw bad(`messages[${i}].tool_call_id`, 'tool messages need the id of the call they answer')
  })
  if (r.stream !== undefined && typeof r.stream !== 'boolean') throw bad('stream', 'expected a boolean')
  if (r.tools !== undefined) {
    if (!Array.isArray(r.tools)) throw bad('tools', 'expected an array')
    r.tools.forEach((t: unknown, i) => {
      const tool = t as { type?: unknown; function?: { name?: unknown; parameters?: unknown } } | null
      if (tool?.type !== 'function' || typeof tool.function?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.function.name)) {
        throw bad(`tools[${i}]`, 'expected { type: "function", function: { name: [a-zA-Z0-9_-]{1,64}, parameters?: JSON Schema } }')
      }
      if (tool.function.parameters !== undefined && (tool.function.parameters === null || typeof tool.function.parameters !== 'object')) throw bad(`tools[${i}].function.parameters`, 'expected a JSON Schema object')
    })
  }
  if (r.response_format !== undefined) {
    const f = r.response_format as { type?: unknown; json_schema?: { name?: unknown; schema?: unknown } } | null
    if (f === null || !['text', 'json_object', 'json_schema'].includes(f.type as string)) throw bad('response_format.type', 'expected text, json_object or json_schema')
    if (f.type === 'json_schema') {
      if (typeof f.json_schema?.name !== 'string' || f.json_schema.name === '') throw bad('response_format.json_schema.name', 'expected a non-empty string')
      if (f.json_schema.schema === null || typeof f.json_schema.schema !== 'object' || Array.isArray(f.json_schema.schema)) throw bad('response_format.json_schema.schema', 'expected a JSON Schema object')
    }
  }
  for (const field of ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'seed'] as const) {
    if (r[field] !== undefined && (typeof r[field] !== 'number' || !Number.isFinite(r[field]))) throw bad(field, 'expected a finite number')
  }
}
