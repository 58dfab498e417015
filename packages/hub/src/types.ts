/** Public shapes the hub returns; timestamps are ISO 8601 strings so they survive JSON unchanged. */
import type { ModelDescription } from '@verity/onnx'
import type { Visibility } from './schema.ts'
import type { BlobSource } from './blobStore.ts'

export type { Visibility }

export type Repository = {
  /** `owner/name`. */
  repo: string
  owner: string
  name: string
  /** Markdown. */
  description: string
  task: string | null
  /** SPDX identifier or expression. */
  license: string | null
  tags: string[]
  visibility: Visibility
  downloads: number
  createdAt: string
  updatedAt: string
}

export type ReleaseInfo = {
  repo: string
  /** MAJOR.MINOR, e.g. `1.02`. */
  version: string
  notes: string
  /** Published releases are immutable; drafts can still gain or lose files. */
  published: boolean
  publishedAt: string | null
  createdAt: string
}

export type FileInfo = {
  repo: string
  version: string
  /** Path within the release, e.g. `model.onnx`. */
  path: string
  cid: string
  size: number
  mediaType: string
  /** For `.onnx` files: inputs, outputs, operators and size read from the graph; null otherwise. */
  onnx: ModelDescription | null
  createdAt: string
}

export type CreateRepositoryParameters = {
  repo: string
  description?: string | undefined
  task?: string | null | undefined
  license?: string | null | undefined
  tags?: string[] | undefined
  /** Default `public`. Private repositories are left out of search unless asked for; access control is the caller's job. */
  visibility?: Visibility | undefined
}

/** The same fields as creation; only those given change. */
export type UpdateRepositoryParameters = CreateRepositoryParameters

export type CreateReleaseParameters = { repo: string; version: string; notes?: string | undefined }
export type PublishReleaseParameters = { repo: string; version: string }
export type ListFilesParameters = { repo: string; version: string }

export type PushFileParameters = {
  repo: string
  /** A draft release of `repo`. */
  version: string
  path: string
  /** The bytes: a Uint8Array, a Node Readable, or any (async) iterable of Uint8Array chunks. */
  source: BlobSource
  /** If given, the bytes must hash to this CID (DIGEST_MISMATCH otherwise). */
  expectedCid?: string | undefined
  /** Overrides the hub's maxUploadBytes for this upload. */
  maxBytes?: number | undefined
  /** Default from the extension (`.onnx` → application/onnx, else application/octet-stream). */
  mediaType?: string | undefined
  /** Replace a file already at `path` in the draft (default: ALREADY_EXISTS). */
  replace?: boolean | undefined
}

export type AddFileParameters = Omit<PushFileParameters, 'source' | 'expectedCid' | 'maxBytes'> & {
  /** A blob already in the store (from uploadBlob). */
  cid: string
}

export type RemoveFileParameters = { repo: string; version: string; path: string }

export type ResolvedModel = {
  cid: string
  /** `owner/name`, or null when a bare CID was resolved. */
  repo: string | null
  /** The release version, or null for a bare CID. */
  release: string | null
  /** Whether that release is published (immutable); null for a bare CID. */
  published: boolean | null
  /** Path of the primary .onnx file in the release, or null for a bare CID. */
  path: string | null
  size: number
}

export type SearchSort = 'relevance' | 'name' | 'updated' | 'downloads'

export type SearchParameters = {
  /** Words matched against owner, name, task, tags and description; each word also matches as a prefix. */
  text?: string | undefined
  task?: string | undefined
  /** Repositories must carry all of these tags. */
  tags?: string[] | undefined
  owner?: string | undefined
  /** Include private repositories (default false). */
  includePrivate?: boolean | undefined
  /** Default `relevance` when `text` is given, else `updated`. */
  sort?: SearchSort | undefined
  /** 1..100, default 20. */
  limit?: number | undefined
  /** `nextCursor` of the previous page (keyset paging: stable and fast at any depth). */
  cursor?: string | undefined
  /** Alternative to cursor: skip this many results. */
  offset?: number | undefined
}

export type SearchHit = Repository & {
  /** Newest published release, or null. */
  latestRelease: string | null
  /** Text relevance (higher is better) when `text` was given, else null. */
  score: number | null
}

export type SearchReturnType = {
  items: SearchHit[]
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null
}

export type ModelCard = {
  repository: Repository
  /** What `owner/name` resolves to: newest published release, else newest draft; null if none has an .onnx file. */
  latest: (ResolvedModel & { onnx: ModelDescription | null }) | null
  /** Newest first. */
  releases: Array<ReleaseInfo & { files: FileInfo[] }>
  downloads: number
}

export type GcParameters = {
  /** Spare unreferenced blobs younger than this (uploads not yet attached); default one hour. */
  graceMs?: number | undefined
}

export type GcReturnType = { removedBlobs: string[]; freedBytes: number; removedTempFiles: number }
