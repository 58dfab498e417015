/**
 * @verity/hub — Verity's model hub: repositories (`owner/name`) → releases (`1.00`, draft until
 * published, then immutable) → files (path, CID, size, media type, ONNX input/output schema), over a
 * content-addressed blob store on disk (`<dataDir>/blobs`) and the shared database (@verity/db).
 *
 * Start with `createHub({ dataDir })` (PGlite under `<dataDir>/db`), or pass `database` to share one
 * opened with @verity/db (e.g. PostgreSQL). Every method's errors are VerityErrors with catalogue codes:
 * INVALID_NAME, BAD_REQUEST, NOT_FOUND, MODEL_NOT_FOUND, ALREADY_EXISTS, RELEASE_PUBLISHED,
 * INPUT_TOO_LARGE, DIGEST_MISMATCH, INVALID_MODEL_FILE, INVALID_CID, BLOB_CORRUPT.
 *
 * @example
 * import { createHub, seedSamples } from '@verity/hub'
 * import { sampleModels } from '@verity/samples'
 * const hub = await createHub({ dataDir: '/var/lib/verity' })
 * await seedSamples(hub, sampleModels)
 * const { cid } = await hub.resolveModel('verity/tiny-mlp')
 * const { items } = await hub.search({ text: 'ocr', sort: 'downloads' })
 */
export { createHub, type CreateHubParameters, type CreateHubReturnType, type Hub } from './createHub.ts'
export { seedSamples, type SeedSamplesReturnType } from './seedSamples.ts'
export {
  createBlobStore, blobShard, type BlobStore, type BlobSource, type BlobInfo, type PutBlobOptions, type PutBlobReturnType, type OpenBlobReturnType,
} from './blobStore.ts'
export { searchWords } from './search.ts'
export { hubMigrations, type HubTables, type Visibility } from './schema.ts'
export type {
  Repository, ReleaseInfo, FileInfo, ResolvedModel, ModelCard, SearchHit, SearchSort, SearchParameters, SearchReturnType,
  CreateRepositoryParameters, UpdateRepositoryParameters, CreateReleaseParameters, PublishReleaseParameters, ListFilesParameters,
  PushFileParameters, AddFileParameters, RemoveFileParameters, GcParameters, GcReturnType,
} from './types.ts'
