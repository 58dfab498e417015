/**
 * Wire types of the node's HTTP API, shared by the node (which produces them) and every client (SDK,
 * CLI, explorer). The OpenAPI document the node serves at /openapi.json describes the same shapes.
 */
import type { Address } from './address.ts'
import type { Hex } from './bytes.ts'
import type { Mode } from './receipt.ts'
import type { DType, TensorMap, TensorMapJson } from './tensor.ts'
import type { InferenceResult } from './result.ts'

export type Dim = number | string | null
export type TensorSpecJson = { name: string; dtype: DType | null; shape: Dim[] | null }
export type IoSchema = { inputs: TensorSpecJson[]; outputs: TensorSpecJson[]; operators: string[]; parameterCount: number; opsets: Array<{ domain: string; version: number }> }

export type HealthResponse = {
  status: 'ok'
  version: string
  /** The address that signs this node's receipts. */
  address: Address
  chainId: number
  modes: Mode[]
  uptimeSeconds: number
  models: number
  /** Present when the node is configured with a chain: registration and settlement state. */
  network?: NodeNetworkStatus
}

export type NodeNetworkStatus = {
  rpcUrl: string
  chainId: number
  registry: Address
  registered: boolean
  active: boolean
  stake: string
  lastHeartbeat: number | null
  settlement: { pendingReceipts: number; pendingBatches: number; postedBatches: number; lastPostedRoot: Hex | null; lastPostedTx: Hex | null; lastError: string | null }
}

/** GET /v1/receipts/:id/inclusion: where a receipt sits in the node's settled Merkle batches. */
export type InclusionResponse = {
  id: Hex
  settled: boolean
  root: Hex | null
  proof: Hex[]
  batchTx: Hex | null
  /** Receipts in the batch. */
  count: number | null
}

export type RepositoryJson = {
  owner: string
  name: string
  description: string
  task: string
  license: string
  tags: string[]
  visibility: 'public' | 'private'
  createdAt: string
  updatedAt: string
  downloads: number
  latestRelease: string | null
}

export type FileJson = { path: string; cid: string; size: number; mediaType: string; schema: IoSchema | null }
export type ReleaseJson = { release: string; published: boolean; createdAt: string; publishedAt: string | null; files: FileJson[]; vkHash?: Hex | null }
export type ModelCardJson = RepositoryJson & { releases: ReleaseJson[] }
export type SearchResponse = { items: RepositoryJson[]; nextCursor: string | null }

export type InferRequest = {
  /** A CID, `owner/name` (latest release) or `owner/name@1.02`. */
  model: string
  /** `{name: {dtype, shape, data}}` or `{name: nestedArrays}` (dtype taken from the model). */
  input: Record<string, unknown>
  mode?: Lowercase<Mode>
  /** Lets a client run the same request on several nodes (QUORUM). 0x + 64 hex. */
  requestId?: Hex
  timeoutMs?: number
  /** How to encode tensors in the answer: `json` arrays (default) or compact `base64` (see TensorJson). */
  encoding?: 'json' | 'base64'
  /** Mode zkml: answer 202 `{status: 'pending', id}` at once and let the client poll GET /v1/proofs/:id. */
  async?: boolean
  /** How the receipt is settled (as for LLM requests, LlmSettlementMode); default batch. ZKML receipts are always batched. */
  settlement?: LlmSettlementMode
}

/** A result answered as a binary message (binaryMessage.ts): the head, with the outputs as typed tensors. */
export type BinaryInferenceResult = {
  head: Omit<InferenceResult, 'input' | 'output'>
  outputs: TensorMap
}

export type StoredReceipt = {
  id: Hex; model: string; receipt: import('./receipt.ts').Receipt; signature: Hex; createdAt: string; input?: TensorMapJson; output?: TensorMapJson
  /** The result's mode evidence (ZK proof, TEE attestation), as InferenceResult.proof; absent for VANILLA or when too large to keep. */
  proof?: unknown
}

/**
 * One node as GET /v1/network lists it. Only `address` and `self` are always present: every other
 * field is absent when the answering node does not know it (chain fields need a registry).
 */
export type NetworkNodeJson = {
  /** The address that signs this node's receipts. */
  address: Address
  /** True for the node answering the request. */
  self: boolean
  /** Base URL the node is reached at. */
  endpoint?: string
  version?: string
  chainId?: number
  modes?: Mode[]
  models?: number
  uptimeSeconds?: number
  /** Receipts the node has issued. */
  receiptsServed?: number
  /** The node's TEE attestation as last checked: 'verified', 'failed', or 'none' (no attestation). */
  attestation?: { status: 'verified' | 'failed' | 'none'; kind?: string; measurement?: Hex; checkedAt?: string }
  /** Seconds since the node's last heartbeat on chain. */
  heartbeatAgeSeconds?: number
  /** Stake bonded in the registry, in wei as a decimal string. */
  stake?: string
  disputes?: { open: number; total: number }
}
export type NetworkResponse = { nodes: NetworkNodeJson[]; registry?: { chainId: number; address: Address } }

/** GET /v1/stats: receipts this node issued, per minute and mode, with inference latency when recorded. */
export type StatsBucketJson = { minute: string; mode: Mode; count: number; latencyAvgMs: number | null; latencyMaxMs: number | null }
export type StatsResponse = {
  from: string
  to: string
  bucketSeconds: number
  buckets: StatsBucketJson[]
  totals: { receipts: number; byMode: Partial<Record<Mode, number>>; latencyAvgMs: number | null }
}

/**
 * LLM gateway (POST /v1/chat/completions, POST /v1/completions; OpenAI-compatible, served only by TEE
 * nodes). Requests are the OpenAI bodies with `model` as "provider/model", plus an optional
 * `verity` member (or header `x-verity-settlement`) that is never sent upstream nor hashed.
 *
 * Whole answers are the OpenAI answer plus a `verity` member (LlmVerity). Streams are the OpenAI
 * server-sent events; the last event before `data: [DONE]` is a chunk with `choices: []` and the
 * `verity` member: `{ id, object, created, model, choices: [], verity }`. A failure after the first
 * event arrives as `data: {"error": {code, message, details, hint}}` and the stream ends.
 * Hashes and receipt fields: @verity/llm-gateway (hashing.ts, completions.ts, receipt.ts).
 */
export type LlmSettlementMode = 'private' | 'batch' | 'individual'

/** The `verity` member a client may add to an LLM request body. */
export type LlmRequestOptions = {
  /**
   * private: the receipt is kept by the node and never posted; batch (default): it goes into the
   * node's next Merkle batch root on chain; individual: the node settles it alone on chain
   * (Settlement.settleReceipt) before answering.
   */
  settlement?: LlmSettlementMode
}

/** What the node did with the receipt. */
export type LlmSettlementJson =
  | { mode: 'private' | 'batch' }
  | { mode: 'individual'; status: 'settled'; tx: Hex }
  /** `fallback: 'batch'`: the receipt went into the node's next Merkle batch instead. */
  | { mode: 'individual'; status: 'failed'; error: string; fallback?: 'batch' }

/**
 * The attestation a TEE receipt's proofHash names: `digest` = attestationDigest(evidence) (@verity/tee),
 * `measurement` the bytes32 measurement hash registered on chain. The evidence travels with every
 * answer: nodes re-attest every few minutes, so GET /v1/attestation may already serve a newer one.
 */
export type AttestationRefJson = { provider: string; digest: Hex; measurement: Hex; evidence: unknown }

/** The `verity` member of every LLM answer (and of the final stream event). */
export type LlmVerity = {
  /** Mode TEE; proofHash = attestation.digest; inputHash/outputHash per @verity/llm-gateway hashing. */
  receipt: import('./receipt.ts').Receipt
  signature: Hex
  /** The receipt's EIP-712 digest: GET /v1/receipts/:id serves it. */
  receiptId: Hex
  attestation: AttestationRefJson
  settlement: LlmSettlementJson
}

/**
 * An LLM answer as `verity chat --out` saves it, for `verity verify`. `request` is exactly what was
 * asked (a chat or a completion body); `response` is the whole answer (streams assembled), without
 * the `verity` member, which is kept apart (it carries the attestation evidence, so the file verifies offline).
 */
export type LlmResultJson = {
  kind: 'verity-llm-result'
  version: 1
  endpoint: 'chat' | 'completion'
  request: Record<string, unknown>
  response: Record<string, unknown>
  verity: LlmVerity
  /** Where it came from (informational, never trusted by the checks). */
  source?: { node?: string }
}
