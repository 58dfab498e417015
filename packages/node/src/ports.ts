/**
 * What the HTTP layer needs from the capabilities, in wire types. server.ts adapts @verity/hub,
 * @verity/runtime and the receipt store to these; routes never touch the capabilities directly.
 */
import type { Readable } from 'node:stream'
import type { BinaryInferenceResult, FileJson, Hex, InferRequest, InferenceResult, ModelCardJson, ReleaseJson, RepositoryJson, SearchResponse, StoredReceipt } from '@verity/protocol'

export type HubPort = {
  createRepository(p: { owner: string; name: string; description?: string; task?: string; license?: string; tags?: string[]; visibility?: 'public' | 'private' }): Promise<RepositoryJson>
  modelCard(owner: string, name: string): Promise<ModelCardJson>
  createRelease(p: { owner: string; name: string; release: string; notes?: string }): Promise<ReleaseJson>
  publishRelease(p: { owner: string; name: string; release: string }): Promise<ReleaseJson>
  uploadFile(p: { owner: string; name: string; release: string; path: string; source: Readable; expectedCid?: string; size?: number }): Promise<FileJson>
  listFiles(p: { owner: string; name: string; release: string }): Promise<FileJson[]>
  openBlob(cid: string): Promise<{ size: number; stream: Readable }>
  search(p: { q?: string; task?: string; tags?: string[]; owner?: string; sort?: string; limit: number; cursor?: string }): Promise<SearchResponse>
  countModels(): Promise<number>
}

export type InferencePort = {
  /** `binary`: a BinaryInferenceResult (head and typed outputs, for a binary message); otherwise JSON tensors as request.encoding. */
  infer(request: InferRequest, encoding?: 'binary'): Promise<InferenceResult | BinaryInferenceResult | { status: 'pending'; id: string; statusUrl: string }>
  getReceipt(id: Hex): Promise<StoredReceipt>
}

/** What GET /v1/stats and GET /v1/network read from the receipt store. */
export type StatsPort = {
  receiptsPerMinute(p: { fromSeconds: number; toSeconds: number }): Promise<Array<{ minute: number; mode: import('@verity/protocol').Mode; count: number; latencyAvgMs: number | null; latencyMaxMs: number | null }>>
  receiptCount(): Promise<number>
}

/** Other nodes this node knows of (e.g. from the chain registry); fields it does not know stay absent. */
export type NetworkPort = {
  knownNodes(): Promise<import('@verity/protocol').NetworkResponse>
}
