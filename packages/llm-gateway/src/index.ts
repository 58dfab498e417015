/**
 * @verity/llm-gateway — an OpenAI-compatible gateway capability for TEE nodes: forwards chat
 * completions to configured upstreams (streamed or whole, tools, JSON-schema response formats),
 * hashes each request and answer canonically, and builds the receipt fields the node signs.
 */
export {
  createLlmGateway, ChunkAssembler,
  type LlmGateway, type LlmGatewayOptions, type UpstreamProvider, type Exchange, type ChatCompletionStream, type GatewayLogEvent,
} from './gateway.ts'
export {
  hashRequest, hashOutput, canonicalRequest, canonicalOutput, llmModelDigest, REQUEST_HASH_DOMAIN, OUTPUT_HASH_DOMAIN, MODEL_DIGEST_DOMAIN,
} from './hashing.ts'
export { assertChatCompletionRequest } from './validate.ts'
export {
  completionToChatRequest, chatToCompletionResponse, chatChunkToCompletionChunk, completionToChatResponse,
  type CompletionRequest, type CompletionResponse, type CompletionChunk, type CompletionChoice,
} from './completions.ts'
export { buildReceiptFields, type BuildReceiptParameters } from './receipt.ts'
export { verifyLlmReceipt, type VerifyLlmReceiptParameters, type LlmReceiptCheck } from './verifyLlmReceipt.ts'
export { takeSseEvents } from './sse.ts'
export type * from './types.ts'
