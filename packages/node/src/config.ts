/** Node configuration with documented defaults. */
import { resolve } from 'node:path'
import { availableParallelism } from 'node:os'

export type NodeConfig = {
  /** Where keys, blobs, the embedded database and logs live. Default `./.verity`. */
  dataDir: string
  host: string
  /** Default 8420. 0 picks a free port. */
  port: number
  /** PostgreSQL URL; the embedded PGlite database under dataDir when absent. */
  databaseUrl: string | undefined
  /** EIP-712 domain chain id receipts are signed under (anvil's 31337 by default). */
  chainId: number
  /** Runtime worker threads (default: one per core). */
  workers: number
  /** Memory bound of the model session cache, bytes. */
  sessionCacheBytes: number
  inferTimeoutMs: number
  /** Largest JSON inference request body, bytes. */
  maxInputBytes: number
  /** Largest model upload, bytes. */
  maxUploadBytes: number
  /** Accept NaN/Infinity in float inputs (rejected by default: they usually mean a bug upstream). */
  allowNonFinite: boolean
  /** pino log level; 'silent' for tests. */
  logLevel: string
  /** Seed the hub with the sample models on start. */
  seedSamples: boolean
  /** Serve agent memory (MemSync-style API). */
  memory: boolean
  /** Dense embeddings for memory: the Universal Sentence Encoder (offline, from npm) or a fast hashing embedder. */
  memoryEmbedder: 'use-lite' | 'hashing'
  /** OpenAI-compatible endpoint for memory extraction (base URL ending in /v1); none = segmenter only. */
  memoryLlmUrl: string | undefined
  memoryLlmModel: string | undefined
  /** ZKML proving processes (started on the first ZKML request); 0 serves no ZKML. Default 1. */
  zkWorkers: number
  /** How long a synchronous ZKML request waits for its proof before answering 202 with a proof id. */
  zkWaitMs: number
  /**
   * 'after-response' (default): answer as soon as the receipt is signed and commit receipts in groups
   * within 20 ms; 'before-response': answer only once the receipt is committed (see ReceiptStoreOptions).
   */
  receiptDurability: 'before-response' | 'after-response'
}

export function resolveConfig(partial: Partial<NodeConfig> = {}): NodeConfig {
  const env = process.env
  return {
    dataDir: resolve(partial.dataDir ?? env.VERITY_DATA_DIR ?? '.verity'),
    host: partial.host ?? env.VERITY_HOST ?? '127.0.0.1',
    port: partial.port ?? (env.VERITY_PORT ? Number(env.VERITY_PORT) : 8420),
    databaseUrl: partial.databaseUrl ?? env.DATABASE_URL ?? undefined,
    chainId: partial.chainId ?? (env.VERITY_CHAIN_ID ? Number(env.VERITY_CHAIN_ID) : 31337),
    workers: partial.workers ?? Math.max(1, availableParallelism()),
    sessionCacheBytes: partial.sessionCacheBytes ?? 2 * 1024 ** 3,
    inferTimeoutMs: partial.inferTimeoutMs ?? 30_000,
    maxInputBytes: partial.maxInputBytes ?? 32 * 1024 ** 2,
    maxUploadBytes: partial.maxUploadBytes ?? 2 * 1024 ** 3,
    allowNonFinite: partial.allowNonFinite ?? false,
    logLevel: partial.logLevel ?? env.VERITY_LOG_LEVEL ?? 'info',
    seedSamples: partial.seedSamples ?? false,
    memory: partial.memory ?? env.VERITY_MEMORY !== 'off',
    memoryEmbedder: partial.memoryEmbedder ?? (env.VERITY_MEMORY_EMBEDDER === 'hashing' ? 'hashing' : 'use-lite'),
    memoryLlmUrl: partial.memoryLlmUrl ?? env.VERITY_MEMORY_LLM_URL ?? undefined,
    memoryLlmModel: partial.memoryLlmModel ?? env.VERITY_MEMORY_LLM_MODEL ?? undefined,
    zkWorkers: partial.zkWorkers ?? (env.VERITY_ZK_WORKERS ? Number(env.VERITY_ZK_WORKERS) : 1),
    zkWaitMs: partial.zkWaitMs ?? 120_000,
    receiptDurability: partial.receiptDurability ?? receiptDurabilityFromEnv(env.VERITY_RECEIPT_DURABILITY),
  }
}

function receiptDurabilityFromEnv(value: string | undefined): NodeConfig['receiptDurability'] {
  if (value === undefined || value === '' || value === 'after-response') return 'after-response'
  if (value === 'before-response') return value
  throw new Error(`VERITY_RECEIPT_DURABILITY must be 'before-response' or 'after-response', got ${JSON.stringify(value)}`)
}
