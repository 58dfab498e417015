/** Node configuration with documented defaults. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { availableParallelism } from 'node:os'
import { VerityError, type Hex } from '@verity/protocol'
import { parseTeeSetting, type NodeTeeSetting } from './attestation.ts'
import type { UpstreamProvider } from '@verity/llm-gateway'
import { resolveLlmProviders } from './llm.ts'

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
  /** TEE attestation (see attestation.ts): none (default), dev (INSECURE, local networks), auto, nitro, configfs-tsm, sev-guest. */
  tee: NodeTeeSetting
  /** Re-attest this often, seconds (default 300: half the usual 600 s verifier freshness window). */
  teeRefreshSeconds: number
  /** argv of the Nitro NSM helper (tee nitro/auto); env VERITY_TEE_NITRO_HELPER, split on spaces. */
  teeNitroHelper: string[] | undefined
  /** tee dev only: the measurement to report (0x-hex); default DEV_TEE_MEASUREMENT. */
  teeDevMeasurement: Hex | undefined
  /**
   * 'after-response' (default): answer as soon as the receipt is signed and commit receipts in groups
   * within 20 ms; 'before-response': answer only once the receipt is committed (see ReceiptStoreOptions).
   */
  receiptDurability: 'before-response' | 'after-response'
  /**
   * Upstream LLM providers for POST /v1/chat/completions and /v1/completions (TEE nodes only): in a
   * config file objects { name, baseUrl, apiKeyEnv?, timeoutMs?, maxRetries? } or "NAME=BASE_URL"
   * strings; env VERITY_LLM_PROVIDERS "NAME=URL,NAME=URL". A provider's API key is read from
   * VERITY_LLM_KEY_<NAME> unless apiKeyEnv names another variable; keys never reach logs or errors.
   */
  llmProviders: UpstreamProvider[]
  /** Per upstream attempt (streams: to the first byte and between chunks). Default 120 000 ms. */
  llmTimeoutMs: number
  /** Retries with exponential backoff on network errors, timeouts, 408/409/429/5xx. Default 2. */
  llmMaxRetries: number
}

/** Keys a config file may set (JSON object, `configFile` / VERITY_CONFIG); flags win over it, it wins over the environment. */
const fileKeys = ['host', 'port', 'databaseUrl', 'chainId', 'workers', 'sessionCacheBytes', 'inferTimeoutMs', 'maxInputBytes', 'maxUploadBytes', 'allowNonFinite', 'logLevel',
  'seedSamples', 'memory', 'memoryEmbedder', 'memoryLlmUrl', 'memoryLlmModel', 'zkWorkers', 'zkWaitMs', 'tee', 'teeRefreshSeconds', 'teeNitroHelper', 'teeDevMeasurement', 'receiptDurability',
  'llmProviders', 'llmTimeoutMs', 'llmMaxRetries'] as const

/** Reads a node config file; unknown keys are refused (a typo must not silently mean the default). */
export function readConfigFile(path: string): Partial<NodeConfig> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new VerityError('BAD_REQUEST', `Config file ${path} cannot be read as JSON: ${(cause as Error).message}`, { cause, details: { path } })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new VerityError('BAD_REQUEST', `Config file ${path} must hold a JSON object`, { details: { path } })
  const unknown = Object.keys(parsed).filter((k) => !(fileKeys as readonly string[]).includes(k))
  if (unknown.length > 0) throw new VerityError('BAD_REQUEST', `Config file ${path}: unknown key(s) ${unknown.join(', ')}`, { details: { path, unknown, known: fileKeys } })
  const config = parsed as Partial<NodeConfig>
  if (config.tee !== undefined) parseTeeSetting(config.tee, `Config file ${path}: tee`)
  return config
}

export function resolveConfig(given: Partial<NodeConfig> & { configFile?: string | undefined } = {}): NodeConfig {
  const env = process.env
  const { configFile = env.VERITY_CONFIG, ...flags } = given
  // Precedence, every field alike: explicit values (flags), then the config file (named explicitly,
  // so more specific than the ambient environment), then the environment, then the default.
  const partial: Partial<NodeConfig> = { ...(configFile ? readConfigFile(configFile) : {}), ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) }
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
    tee: parseTeeSetting(partial.tee ?? (env.VERITY_TEE || 'none'), partial.tee !== undefined ? 'tee' : 'VERITY_TEE'),
    teeRefreshSeconds: partial.teeRefreshSeconds ?? (env.VERITY_TEE_REFRESH_SECONDS ? Number(env.VERITY_TEE_REFRESH_SECONDS) : 300),
    teeNitroHelper: partial.teeNitroHelper ?? (env.VERITY_TEE_NITRO_HELPER ? env.VERITY_TEE_NITRO_HELPER.split(/\s+/).filter(Boolean) : undefined),
    teeDevMeasurement: partial.teeDevMeasurement ?? ((env.VERITY_TEE_DEV_MEASUREMENT as Hex | undefined) || undefined),
    receiptDurability: partial.receiptDurability ?? receiptDurabilityFromEnv(env.VERITY_RECEIPT_DURABILITY),
    llmProviders: resolveLlmProviders(partial.llmProviders ?? (env.VERITY_LLM_PROVIDERS ? env.VERITY_LLM_PROVIDERS.split(',').filter((s) => s.trim() !== '') : []), env),
    llmTimeoutMs: partial.llmTimeoutMs ?? (env.VERITY_LLM_TIMEOUT_MS ? Number(env.VERITY_LLM_TIMEOUT_MS) : 120_000),
    llmMaxRetries: partial.llmMaxRetries ?? (env.VERITY_LLM_MAX_RETRIES ? Number(env.VERITY_LLM_MAX_RETRIES) : 2),
  }
}

function receiptDurabilityFromEnv(value: string | undefined): NodeConfig['receiptDurability'] {
  if (value === undefined || value === '' || value === 'after-response') return 'after-response'
  if (value === 'before-response') return value
  throw new Error(`VERITY_RECEIPT_DURABILITY must be 'before-response' or 'after-response', got ${JSON.stringify(value)}`)
}
