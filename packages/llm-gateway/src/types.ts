/** The subset of the OpenAI chat completions API the gateway understands (extra fields pass through). */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool'

export type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } }

export type ChatMessage = {
  role: ChatRole
  content?: string | null | Array<Record<string, unknown>>
  name?: string
  tool_calls?: ToolCall[]
  tool_call_id?: string
  [extra: string]: unknown
}

export type ToolDefinition = { type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean } }

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean; description?: string } }

export type ChatCompletionRequest = {
  /** "provider/model", e.g. "openai/gpt-4o-mini" or "local/llama-3.1-8b". */
  model: string
  messages: ChatMessage[]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  tools?: ToolDefinition[]
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } }
  response_format?: ResponseFormat
  temperature?: number
  top_p?: number
  max_tokens?: number
  max_completion_tokens?: number
  seed?: number
  stop?: string | string[]
  [extra: string]: unknown
}

export type ChatCompletionChoice = {
  index: number
  message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; refusal?: string | null }
  finish_reason: string | null
}

export type ChatCompletionResponse = {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: ChatCompletionChoice[]
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
  [extra: string]: unknown
}

export type ChatCompletionChunk = {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: Array<{
    index: number
    delta: { role?: 'assistant'; content?: string | null; refusal?: string | null; tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function?: { name?: string; arguments?: string } }> }
    finish_reason: string | null
  }>
  usage?: ChatCompletionResponse['usage'] | null
  [extra: string]: unknown
}
