/**
 * Canonical hashes of an LLM exchange, specified once, here. Both use @verity/protocol's canonical
 * JSON (RFC 8785) and sha2-256, written as 0x-hex bytes32.
 *
 *   requestHash = sha256(utf8("verity-llm-request-v1\n" + canonicalJson(canonicalRequest)))
 *     canonicalRequest = the request as sent by the client, with
 *       - model kept as the full "provider/model" name,
 *       - stream and stream_options removed (they change the transport, not the question),
 *       - verity removed (the Verity options, e.g. { settlement }, say how the receipt is handled,
 *         not what was asked; they are never sent upstream),
 *       - undefined members dropped (canonicalJson does so).
 *
 *   outputHash = sha256(utf8("verity-llm-output-v1\n" + canonicalJson(canonicalOutput)))
 *     canonicalOutput = { model: "provider/model", choices: [ per choice, sorted by index:
 *       { index, finish_reason, message: { role: "assistant", content (string or null),
 *         refusal (only when non-null), tool_calls (only when present:
 *         [{ id, type: "function", function: { name, arguments } }] in order) } } ] }
 *     Volatile fields (id, created, system_fingerprint, usage) are left out, so a streamed answer
 *     and the same answer returned whole hash equally.
 */
import { bytesToHex, canonicalJson, utf8, type Hex } from '@verity/protocol'
import { createHash } from 'node:crypto'
import type { ChatCompletionRequest, ChatCompletionResponse } from './types.ts'

export const REQUEST_HASH_DOMAIN = 'verity-llm-request-v1\n'
export const OUTPUT_HASH_DOMAIN = 'verity-llm-output-v1\n'
export const MODEL_DIGEST_DOMAIN = 'verity-llm-model-v1\n'

const sha256Hex = (text: string): Hex => bytesToHex(new Uint8Array(createHash('sha256').update(utf8.encode(text)).digest()))

export function canonicalRequest(request: ChatCompletionRequest): Record<string, unknown> {
  const { stream: _stream, stream_options: _options, verity: _verity, ...rest } = request
  return rest
}

export function hashRequest(request: ChatCompletionRequest): Hex {
  return sha256Hex(REQUEST_HASH_DOMAIN + canonicalJson(canonicalRequest(request)))
}

export function canonicalOutput(response: Pick<ChatCompletionResponse, 'model' | 'choices'>): Record<string, unknown> {
  const choices = [...response.choices].sort((a, b) => a.index - b.index).map((choice) => {
    const message: Record<string, unknown> = { role: 'assistant', content: choice.message.content ?? null }
    if (choice.message.refusal !== undefined && choice.message.refusal !== null) message.refusal = choice.message.refusal
    if (choice.message.tool_calls !== undefined && choice.message.tool_calls.length > 0) {
      message.tool_calls = choice.message.tool_calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }))
    }
    return { index: choice.index, finish_reason: choice.finish_reason ?? null, message }
  })
  return { model: response.model, choices }
}

export function hashOutput(response: Pick<ChatCompletionResponse, 'model' | 'choices'>): Hex {
  return sha256Hex(OUTPUT_HASH_DOMAIN + canonicalJson(canonicalOutput(response)))
}

/** The receipt's modelDigest for an LLM: sha256(utf8("verity-llm-model-v1\n" + "provider/model")). */
export function llmModelDigest(model: string): Hex {
  return sha256Hex(MODEL_DIGEST_DOMAIN + model)
}
