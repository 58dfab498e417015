/**
 * @verity/memory — agent memory that follows an agent across sessions, with provenance.
 * Messages go in (`add`), a durable job queue turns them into memories (an LLM when configured, the
 * offline segmenter otherwise), `search` finds them with hybrid lexical + dense retrieval, and every
 * memory operation lands in a per-user, hash-chained, signed log (`verifyMemoryLog`). No HTTP here:
 * @verity/memory-api exposes it.
 */
export { createMemoryStore, redactUrl, type MemoryStore, type Sql, type CreateMemoryStoreParameters } from './store.ts'
export {
  createMemoryService, defaultRetrievalOptions, type MemoryService, type CreateMemoryServiceParameters, type AddParameters, type AddReturnType,
  type SearchParameters, type SearchReturnType, type ListParameters, type ListReturnType, type UpdateParameters, type TraceReturnType,
  type ExportReturnType, type RetrievalOptions,
} from './service.ts'
export { createSentenceEncoder, createHashingEmbedder, type Embedder } from './embedder.ts'
export { createOpenAiLlm, LlmError, type Llm, type CreateOpenAiLlmParameters } from './llm.ts'
export {
  verifyMemoryLog, createLocalSigner, hashLogEntry, logSubject, contentHash, sourcesHash, recoverLogSigner, type LogEntry, type LogOp,
  type SignedLogEntry, type Signer, type VerifyMemoryLogReturnType,
} from './log.ts'
export { createAuth, ensureAdminKey, scopes, type Auth, type Principal, type Scope, type ApiKeyInfo } from './keys.ts'
export { defaultSegmentOptions, segmentMessages, type SegmentOptions } from './segmenter.ts'
export { resolveTimeExpressions, type TimeWindow } from './temporal.ts'
export { limits } from './validate.ts'
export { categories, type Category, type Memory, type MemoryType, type MessageInput, type Profile, type ScoredMemory, type StoredMessage, type Extractor, type CategorySummary } from './types.ts'
