/**
 * The hub: repositories → releases → files, metadata in the database (@verity/db), bytes in the
 * content-addressed blob store. Every multi-step write runs in one transaction, and a file row is only
 * written once its blob is durably on disk; a crash in between leaves at worst an unreferenced blob,
 * which gc() removes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { migrate, openDatabase, sql, type Database, type Kysely, type Transaction } from '@verity/db'
import { decodeModel, describeModel, type ModelDescription } from '@verity/onnx'
import { parseCid, parseModelRef, VerityError } from '@verity/protocol'
import { createBlobStore, type BlobSource, type BlobStore, type OpenBlobReturnType, type PutBlobOptions, type PutBlobReturnType } from './blobStore.ts'
import { hubMigrations, type HubTables } from './schema.ts'
import { search as searchRepositories } from './search.ts'
import * as v from './validate.ts'
import type {
  AddFileParameters, CreateReleaseParameters, CreateRepositoryParameters, FileInfo, GcParameters, GcReturnType, ListFilesParameters, ModelCard,
  PublishReleaseParameters, PushFileParameters, ReleaseInfo, RemoveFileParameters, Repository, ResolvedModel, SearchParameters, SearchReturnType,
  UpdateRepositoryParameters,
} from './types.ts'

export type CreateHubParameters = {
  /** Blobs live in `<dataDir>/blobs`; PGlite in `<dataDir>/db` when neither database nor databaseUrl is given. */
  dataDir: string
  /** A database opened by the caller and shared with other services; hub.close() leaves it open. */
  database?: Database | undefined
  /** Open PostgreSQL at this URL instead of PGlite (closed by hub.close()). */
  databaseUrl?: string | undefined
  /** Largest file pushFile/uploadBlob accept unless told otherwise; default 2 GiB (the protobuf limit for ONNX). */
  maxUploadBytes?: number | undefined
}

export type Hub = {
  readonly database: Database
  readonly blobs: BlobStore
  readonly maxUploadBytes: number

  /** Creates `owner/name`. Throws INVALID_NAME, BAD_REQUEST (a bad field), ALREADY_EXISTS. */
  createRepository(parameters: CreateRepositoryParameters): Promise<Repository>
  /** Bulk import (multi-row inserts in one transaction); existing names are skipped. Returns how many were created. */
  createRepositories(list: readonly CreateRepositoryParameters[]): Promise<{ created: number }>
  /** Changes the given fields. Throws NOT_FOUND, BAD_REQUEST. */
  updateRepository(parameters: UpdateRepositoryParameters): Promise<Repository>
  /** Throws NOT_FOUND. */
  getRepository(repo: string): Promise<Repository>
  /** Creates a draft release. Throws NOT_FOUND (repository), INVALID_NAME, ALREADY_EXISTS. */
  createRelease(parameters: CreateReleaseParameters): Promise<ReleaseInfo>
  /** Freezes a draft. Throws NOT_FOUND, RELEASE_PUBLISHED (already), BAD_REQUEST (no files). */
  publishRelease(parameters: PublishReleaseParameters): Promise<ReleaseInfo>
  /** Releases of a repository, newest first. Throws NOT_FOUND. */
  listReleases(repo: string): Promise<ReleaseInfo[]>
  /** Stores bytes without attaching them (attach with addFile). Throws INPUT_TOO_LARGE, DIGEST_MISMATCH, INVALID_CID. */
  uploadBlob(source: BlobSource, options?: Omit<PutBlobOptions, 'validate'>): Promise<PutBlobReturnType>
  /**
   * Upload + validate + attach in one step: streams the bytes to the blob store, validates .onnx files
   * (INVALID_MODEL_FILE leaves neither blob nor row), then records the file in the draft release.
   * Throws NOT_FOUND, RELEASE_PUBLISHED, ALREADY_EXISTS (path taken), INPUT_TOO_LARGE, DIGEST_MISMATCH, INVALID_MODEL_FILE, BAD_REQUEST.
   */
  pushFile(parameters: PushFileParameters): Promise<FileInfo>
  /** Attaches a blob already in the store. Throws as pushFile, and NOT_FOUND for a missing blob. */
  addFile(parameters: AddFileParameters): Promise<FileInfo>
  /** Removes a file from a draft release (the blob stays until gc). Throws NOT_FOUND, RELEASE_PUBLISHED. */
  removeFile(parameters: RemoveFileParameters): Promise<void>
  /** Files of a release, by path. Throws NOT_FOUND. */
  listFiles(parameters: ListFilesParameters): Promise<FileInfo[]>
  /** A verifying download stream and its size. Throws NOT_FOUND, INVALID_CID; the stream fails with BLOB_CORRUPT. */
  openBlob(cid: string): Promise<OpenBlobReturnType>
  /** Whole blob, verified. Throws NOT_FOUND, INVALID_CID, BLOB_CORRUPT. */
  readBlob(cid: string): Promise<Uint8Array>
  hasBlob(cid: string): Promise<boolean>
  /**
   * `owner/name@1.02`, `owner/name` (newest published release, else newest draft) or a bare CID → the
   * primary .onnx file (`model.onnx` if present, else the first .onnx by path). Throws MODEL_NOT_FOUND, INVALID_NAME.
   */
  resolveModel(ref: string): Promise<ResolvedModel>
  /** Text/task/tag/owner search with sorting and keyset paging. Throws BAD_REQUEST (bad cursor, limit, sort). */
  search(parameters?: SearchParameters): Promise<SearchReturnType>
  /** Everything a model page shows. Throws NOT_FOUND. */
  getModelCard(repo: string): Promise<ModelCard>
  /** Adds to a repository's download counter. Throws NOT_FOUND. */
  recordDownload(repo: string, count?: number): Promise<void>
  /** Maintenance, run it periodically: deletes blobs no file references (older than graceMs) and stale temp files, and vacuums the hub tables. */
  gc(parameters?: GcParameters): Promise<GcReturnType>
  /** Closes the database if the hub opened it. */
  close(): Promise<void>
}

export type CreateHubReturnType = Hub

type Db = Kysely<HubTables>
type RepoRow = { id: number; owner: string; name: string; description: string; task: string | null; license: string | null; tags: string[]; visibility: 'public' | 'private'; downloads: number; created_at: Date; updated_at: Date }

const repoColumnNames = ['id', 'owner', 'name', 'description', 'task', 'license', 'tags', 'visibility', 'downloads', 'created_at', 'updated_at'] as const
const repoColumns = ['r.id', 'r.owner', 'r.name', 'r.description', 'r.task', 'r.license', 'r.tags', 'r.visibility', 'r.downloads', 'r.created_at', 'r.updated_at'] as const

export function toRepository(row: RepoRow): Repository {
  return {
    repo: `${row.owner}/${row.name}`, owner: row.owner, name: row.name, description: row.description, task: row.task, license: row.license,
    tags: row.tags, visibility: row.visibility, downloads: row.downloads, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at),
  }
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown })?.code === '23505'

function repoNotFound(repo: string): VerityError {
  return new VerityError('NOT_FOUND', `No repository ${repo}`, { details: { repo } })
}

function releaseNotFound(repo: string, version: string): VerityError {
  return new VerityError('NOT_FOUND', `No release ${repo}@${version}`, { details: { repo, release: version }, hint: `List releases with \`verity model info ${repo}\`, or create it first.` })
}

/**
 * Opens (and migrates) the hub under `dataDir`.
 *
 * @example
 * import { createHub } from '@verity/hub'
 * const hub = await createHub({ dataDir: '/var/lib/verity' })
 * await hub.createRepository({ repo: 'acme/classifier', task: 'image-classification' })
 * await hub.createRelease({ repo: 'acme/classifier', version: '1.00' })
 * await hub.pushFile({ repo: 'acme/classifier', version: '1.00', path: 'model.onnx', source: fs.createReadStream('model.onnx') })
 * await hub.publishRelease({ repo: 'acme/classifier', version: '1.00' })
 * const { cid } = await hub.resolveModel('acme/classifier@1.00')
 * await hub.close()
 */
export async function createHub(parameters: CreateHubParameters): Promise<Hub> {
  const ownsDatabase = parameters.database === undefined
  const database = parameters.database ?? (parameters.databaseUrl !== undefined
    ? await openDatabase({ databaseUrl: parameters.databaseUrl })
    : await openDatabase({ dataDir: parameters.dataDir }))
  try {
    await migrate(database, hubMigrations, { namespace: 'hub' })
  } catch (error) {
    if (ownsDatabase) await database.close()
    throw error
  }
  const db: Db = database.db.withTables<HubTables>()
  const blobs = await createBlobStore(join(parameters.dataDir, 'blobs'))
  await blobs.cleanTemp()
  const maxUploadBytes = parameters.maxUploadBytes ?? 2 * 1024 ** 3

  async function findRepo(q: Db | Transaction<HubTables>, repo: string): Promise<RepoRow | undefined> {
    const { owner, name } = v.repoName(repo)
    return q.selectFrom('hub_repositories as r').select(repoColumns).where('r.owner', '=', owner).where('r.name', '=', name).executeTakeFirst() as Promise<RepoRow | undefined>
  }

  async function getRepository(repo: string): Promise<Repository> {
    const row = await findRepo(db, repo)
    if (!row) throw repoNotFound(v.repoName(repo).repo)
    return toRepository(row)
  }

  function repositoryValues(p: CreateRepositoryParameters) {
    const { owner, name } = v.repoName(p.repo)
    return {
      owner, name,
      description: v.description(p.description ?? ''),
      task: p.task === undefined ? null : v.task(p.task),
      license: p.license === undefined ? null : v.license(p.license),
      tags: v.tags(p.tags ?? []),
      visibility: v.visibility(p.visibility ?? 'public'),
    }
  }

  async function createRepository(p: CreateRepositoryParameters): Promise<Repository> {
    const values = repositoryValues(p)
    try {
      const row = await db.insertInto('hub_repositories').values(values).returning(repoColumnNames).executeTakeFirstOrThrow()
      return toRepository(row as RepoRow)
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new VerityError('ALREADY_EXISTS', `Repository ${values.owner}/${values.name} already exists`, { details: { repo: `${values.owner}/${values.name}` } })
      }
      throw error
    }
  }

  async function createRepositories(list: readonly CreateRepositoryParameters[]): Promise<{ created: number }> {
    const rows = list.map(repositoryValues)
    // 7 parameters a row; PostgreSQL allows 65,535 per statement.
    const batch = 5000
    const ginIndexes = ['hub_repositories_search', 'hub_repositories_name_search', 'hub_repositories_tags']
    // Large imports go through the GIN pending list and merge it once at the end (sorted bulk insertion is
    // several times faster than updating the index row by row); queries never see an unmerged list
    // because it all happens inside this transaction.
    const bulk = rows.length >= 1000
    return db.transaction().execute(async (trx) => {
      if (bulk) for (const index of ginIndexes) await sql`alter index ${sql.id(index)} set (fastupdate = on)`.execute(trx)
      let created = 0
      for (let i = 0; i < rows.length; i += batch) {
        const result = await trx.insertInto('hub_repositories').values(rows.slice(i, i + batch)).onConflict((oc) => oc.columns(['owner', 'name']).doNothing()).executeTakeFirst()
        created += Number(result.numInsertedOrUpdatedRows ?? 0n)
      }
      if (bulk) {
        for (const index of ginIndexes) {
          await sql`select gin_clean_pending_list(${sql.lit(index)}::regclass)`.execute(trx)
          await sql`alter index ${sql.id(index)} set (fastupdate = off)`.execute(trx)
        }
        // Fresh statistics keep the planner on the search indexes after a large import (PGlite runs no autovacuum).
        await sql`analyze hub_repositories`.execute(trx)
      }
      return { created }
    })
  }

  async function updateRepository(p: UpdateRepositoryParameters): Promise<Repository> {
    const { owner, name, repo } = v.repoName(p.repo)
    const patch: Record<string, unknown> = {}
    if (p.description !== undefined) patch.description = v.description(p.description)
    if (p.task !== undefined) patch.task = v.task(p.task)
    if (p.license !== undefined) patch.license = v.license(p.license)
    if (p.tags !== undefined) patch.tags = v.tags(p.tags)
    if (p.visibility !== undefined) patch.visibility = v.visibility(p.visibility)
    const row = await db.updateTable('hub_repositories as r').set({ ...patch, updated_at: sql<Date>`now()` }).where('r.owner', '=', owner).where('r.name', '=', name)
      .returning(repoColumns).executeTakeFirst()
    if (!row) throw repoNotFound(repo)
    return toRepository(row as RepoRow)
  }

  type ReleaseRow = { id: number; repository_id: number; version: string; notes: string; created_at: Date; published_at: Date | null }
  const toRelease = (repo: string, row: ReleaseRow): ReleaseInfo => ({
    repo, version: row.version, notes: row.notes, published: row.published_at !== null,
    publishedAt: row.published_at === null ? null : iso(row.published_at), createdAt: iso(row.created_at),
  })

  /** The release row, locked for the rest of the transaction so publish and attach cannot interleave. */
  async function lockRelease(trx: Transaction<HubTables>, repo: string, version: string): Promise<ReleaseRow> {
    const { owner, name } = v.repoName(repo)
    const row = await trx.selectFrom('hub_releases as rel').innerJoin('hub_repositories as r', 'r.id', 'rel.repository_id')
      .select(['rel.id', 'rel.repository_id', 'rel.version', 'rel.notes', 'rel.created_at', 'rel.published_at'])
      .where('r.owner', '=', owner).where('r.name', '=', name).where('rel.version', '=', version)
      .forUpdate('rel').executeTakeFirst()
    if (!row) {
      if (!(await findRepo(trx, repo))) throw repoNotFound(repo)
      throw releaseNotFound(repo, version)
    }
    return row
  }

  async function createRelease(p: CreateReleaseParameters): Promise<ReleaseInfo> {
    const { repo } = v.repoName(p.repo)
    const { version, major, minor } = v.versionOf(p.version)
    const notes = v.description(p.notes ?? '', 'notes', v.limits.notesChars)
    return db.transaction().execute(async (trx) => {
      const r = await findRepo(trx, repo)
      if (!r) throw repoNotFound(repo)
      const row = await trx.insertInto('hub_releases').values({ repository_id: r.id, version, major, minor, notes, published_at: null })
        .onConflict((oc) => oc.columns(['repository_id', 'major', 'minor']).doNothing())
        .returning(['id', 'repository_id', 'version', 'notes', 'created_at', 'published_at']).executeTakeFirst()
      if (!row) throw new VerityError('ALREADY_EXISTS', `Release ${repo}@${version} already exists`, { details: { repo, release: version } })
      await touchRepository(trx, r.id)
      return toRelease(repo, row)
    })
  }

  async function touchRepository(trx: Transaction<HubTables>, id: number): Promise<void> {
    await trx.updateTable('hub_repositories').set({ updated_at: sql<Date>`now()` }).where('id', '=', id).execute()
  }

  async function publishRelease(p: PublishReleaseParameters): Promise<ReleaseInfo> {
    const { repo } = v.repoName(p.repo)
    const { version } = v.versionOf(p.version)
    return db.transaction().execute(async (trx) => {
      const rel = await lockRelease(trx, repo, version)
      if (rel.published_at !== null) throw published(repo, version)
      const files = await trx.selectFrom('hub_files').select(sql<number>`count(*)::int`.as('n')).where('release_id', '=', rel.id).executeTakeFirstOrThrow()
      if (files.n === 0) {
        throw new VerityError('BAD_REQUEST', `Release ${repo}@${version} has no files; push at least one before publishing`, { details: { repo, release: version } })
      }
      const row = await trx.updateTable('hub_releases').set({ published_at: sql<Date>`now()` }).where('id', '=', rel.id)
        .returning(['id', 'repository_id', 'version', 'notes', 'created_at', 'published_at']).executeTakeFirstOrThrow()
      await touchRepository(trx, rel.repository_id)
      return toRelease(repo, row)
    })
  }

  function published(repo: string, version: string): VerityError {
    return new VerityError('RELEASE_PUBLISHED', `Release ${repo}@${version} is published and cannot change`, { details: { repo, release: version } })
  }

  async function listReleases(repo: string): Promise<ReleaseInfo[]> {
    const name = v.repoName(repo).repo
    const r = await findRepo(db, name)
    if (!r) throw repoNotFound(name)
    const rows = await db.selectFrom('hub_releases').select(['id', 'repository_id', 'version', 'notes', 'created_at', 'published_at'])
      .where('repository_id', '=', r.id).orderBy('major', 'desc').orderBy('minor', 'desc').execute()
    return rows.map((row) => toRelease(name, row))
  }

  type FileRow = { path: string; cid: string; size: number; media_type: string; onnx: ModelDescription | null; created_at: Date }
  const toFile = (repo: string, version: string, row: FileRow): FileInfo => ({
    repo, version, path: row.path, cid: row.cid, size: row.size, mediaType: row.media_type, onnx: row.onnx, createdAt: iso(row.created_at),
  })

  async function listFiles(p: ListFilesParameters): Promise<FileInfo[]> {
    const { owner, name, repo } = v.repoName(p.repo)
    const { version } = v.versionOf(p.version)
    const rel = await db.selectFrom('hub_releases as rel').innerJoin('hub_repositories as r', 'r.id', 'rel.repository_id').select('rel.id')
      .where('r.owner', '=', owner).where('r.name', '=', name).where('rel.version', '=', version).executeTakeFirst()
    if (!rel) {
      if (!(await findRepo(db, repo))) throw repoNotFound(repo)
      throw releaseNotFound(repo, version)
    }
    const rows = await db.selectFrom('hub_files').select(['path', 'cid', 'size', 'media_type', 'onnx', 'created_at']).where('release_id', '=', rel.id).orderBy('path').execute()
    return rows.map((row) => toFile(repo, version, row))
  }

  type Target = { repo: string; version: string; path: string; mediaType: string; replace: boolean }

  function target(p: { repo: string; version: string; path: string; mediaType?: string | undefined; replace?: boolean | undefined }): Target {
    const { repo } = v.repoName(p.repo)
    const { version } = v.versionOf(p.version)
    const path = v.filePath(p.path)
    return { repo, version, path, mediaType: v.mediaType(p.mediaType, path), replace: p.replace ?? false }
  }

  /** Fails early, before any bytes are read, when the file could not be attached anyway. */
  async function checkTarget(t: Target, trx?: Transaction<HubTables>): Promise<ReleaseRow> {
    const run = async (q: Transaction<HubTables>) => {
      const rel = await lockRelease(q, t.repo, t.version)
      if (rel.published_at !== null) throw published(t.repo, t.version)
      if (!t.replace) {
        const existing = await q.selectFrom('hub_files').select('cid').where('release_id', '=', rel.id).where('path', '=', t.path).executeTakeFirst()
        if (existing) {
          throw new VerityError('ALREADY_EXISTS', `${t.repo}@${t.version} already has a file ${t.path} (${existing.cid})`, { details: { repo: t.repo, release: t.version, path: t.path, cid: existing.cid }, hint: 'Pass replace: true to overwrite a file in a draft release.' })
        }
      }
      return rel
    }
    return trx ? run(trx) : db.transaction().execute(run)
  }

  async function attach(t: Target, blob: { cid: string; size: number }, onnx: ModelDescription | null): Promise<FileInfo> {
    return db.transaction().execute(async (trx) => {
      const rel = await checkTarget(t, trx)
      const values = { release_id: rel.id, path: t.path, cid: blob.cid, size: blob.size, media_type: t.mediaType, onnx: onnx === null ? null : JSON.stringify(onnx) }
      const row = await trx.insertInto('hub_files').values(values)
        .onConflict((oc) => oc.columns(['release_id', 'path']).doUpdateSet({ cid: blob.cid, size: blob.size, media_type: t.mediaType, onnx: values.onnx, created_at: sql<Date>`now()` }))
        .returning(['path', 'cid', 'size', 'media_type', 'onnx', 'created_at']).executeTakeFirstOrThrow()
      await touchRepository(trx, rel.repository_id)
      return toFile(t.repo, t.version, row)
    })
  }

  function describeOnnx(bytes: Uint8Array, t: Target): ModelDescription {
    try {
      return describeModel(decodeModel(bytes))
    } catch (error) {
      if (error instanceof VerityError) {
        throw new VerityError(error.code, `${t.repo}@${t.version}/${t.path}: ${error.message}`, { cause: error, details: { ...error.details, repo: t.repo, release: t.version, path: t.path } })
      }
      throw error
    }
  }

  // CIDs an upload or attach in this process is about to reference: gc() leaves them alone.
  const pins = new Map<string, number>()
  const pin = (cid: string) => { pins.set(cid, (pins.get(cid) ?? 0) + 1) }
  const unpin = (cid: string) => { const n = (pins.get(cid) ?? 1) - 1; if (n > 0) pins.set(cid, n); else pins.delete(cid) }

  async function pushFile(p: PushFileParameters): Promise<FileInfo> {
    const t = target(p)
    await checkTarget(t)
    let onnx: ModelDescription | null = null
    let pinned: string | null = null
    try {
      const blob = await blobs.put(p.source, {
        expectedCid: p.expectedCid,
        maxBytes: p.maxBytes ?? maxUploadBytes,
        validate: async (file) => {
          if (v.isOnnxPath(t.path)) onnx = describeOnnx(await readFile(file.path), t)
          pin((pinned = file.cid))
        },
      })
      return await attach(t, blob, onnx)
    } finally {
      if (pinned !== null) unpin(pinned)
    }
  }

  async function addFile(p: AddFileParameters): Promise<FileInfo> {
    const t = target(p)
    await checkTarget(t)
    const cid = parseCid(p.cid).cid
    pin(cid)
    try {
      return await addPinned(t, cid)
    } finally {
      unpin(cid)
    }
  }

  async function addPinned(t: Target, cid: string): Promise<FileInfo> {
    let onnx: ModelDescription | null = null
    let size: number
    if (v.isOnnxPath(t.path)) {
      const bytes = await blobs.read(cid)
      onnx = describeOnnx(bytes, t)
      size = bytes.length
    } else {
      const stored = await blobs.size(cid)
      if (stored === null) throw new VerityError('NOT_FOUND', `No blob ${cid} in this hub`, { details: { cid }, hint: 'Upload it first with uploadBlob, or use pushFile.' })
      size = stored
    }
    // Refresh its age too, for a gc() in another process sharing this dataDir.
    await blobs.touch(cid)
    return attach(t, { cid, size }, onnx)
  }

  async function removeFile(p: RemoveFileParameters): Promise<void> {
    const t = target(p)
    await db.transaction().execute(async (trx) => {
      const rel = await lockRelease(trx, t.repo, t.version)
      if (rel.published_at !== null) throw published(t.repo, t.version)
      const result = await trx.deleteFrom('hub_files').where('release_id', '=', rel.id).where('path', '=', t.path).executeTakeFirst()
      if (Number(result.numDeletedRows) === 0) {
        throw new VerityError('NOT_FOUND', `No file ${t.path} in ${t.repo}@${t.version}`, { details: { repo: t.repo, release: t.version, path: t.path } })
      }
      await touchRepository(trx, rel.repository_id)
    })
  }

  /** The release `owner/name` or `owner/name@version` points at, with its files. */
  async function releaseFor(repo: string, version: string | null): Promise<{ rel: ReleaseRow; files: FileRow[] } | null> {
    const { owner, name } = v.repoName(repo)
    let q = db.selectFrom('hub_releases as rel').innerJoin('hub_repositories as r', 'r.id', 'rel.repository_id')
      .select(['rel.id', 'rel.repository_id', 'rel.version', 'rel.notes', 'rel.created_at', 'rel.published_at'])
      .where('r.owner', '=', owner).where('r.name', '=', name)
    q = version === null
      ? q.orderBy(sql`rel.published_at is null`).orderBy('rel.major', 'desc').orderBy('rel.minor', 'desc').limit(1)
      : q.where('rel.version', '=', version)
    const rel = await q.executeTakeFirst()
    if (!rel) return null
    const files = await db.selectFrom('hub_files').select(['path', 'cid', 'size', 'media_type', 'onnx', 'created_at']).where('release_id', '=', rel.id).orderBy('path').execute()
    return { rel, files }
  }

  function primaryFile(files: FileRow[]): FileRow | undefined {
    const models = files.filter((f) => v.isOnnxPath(f.path))
    return models.find((f) => f.path === 'model.onnx') ?? models[0]
  }

  async function resolveModel(ref: string): Promise<ResolvedModel> {
    const parsed = parseModelRef(ref)
    if (parsed.kind === 'cid') {
      const size = await blobs.size(parsed.cid)
      if (size === null) {
        throw new VerityError('MODEL_NOT_FOUND', `No model file with CID ${parsed.cid} in this hub`, { details: { ref, cid: parsed.cid } })
      }
      return { cid: parsed.cid, repo: null, release: null, published: null, path: null, size }
    }
    const repo = `${parsed.owner}/${parsed.name}`
    const found = await releaseFor(repo, parsed.release)
    if (!found) {
      const exists = await findRepo(db, repo)
      const what = !exists ? `No repository ${repo}` : parsed.release === null ? `Repository ${repo} has no releases` : `No release ${repo}@${parsed.release}`
      throw new VerityError('MODEL_NOT_FOUND', what, { details: { ref, repo, release: parsed.release } })
    }
    const file = primaryFile(found.files)
    if (!file) {
      throw new VerityError('MODEL_NOT_FOUND', `Release ${repo}@${found.rel.version} has no .onnx file`, { details: { ref, repo, release: found.rel.version } })
    }
    return { cid: file.cid, repo, release: found.rel.version, published: found.rel.published_at !== null, path: file.path, size: file.size }
  }

  async function getModelCard(repo: string): Promise<ModelCard> {
    const r = await findRepo(db, repo)
    if (!r) throw repoNotFound(v.repoName(repo).repo)
    const repository = toRepository(r)
    const releases = await db.selectFrom('hub_releases').select(['id', 'repository_id', 'version', 'notes', 'created_at', 'published_at', 'major', 'minor'])
      .where('repository_id', '=', r.id).orderBy('major', 'desc').orderBy('minor', 'desc').execute()
    const files = releases.length === 0 ? [] : await db.selectFrom('hub_files').select(['release_id', 'path', 'cid', 'size', 'media_type', 'onnx', 'created_at'])
      .where('release_id', 'in', releases.map((rel) => rel.id)).orderBy('path').execute()
    const cardReleases = releases.map((rel) => ({
      ...toRelease(repository.repo, rel),
      files: files.filter((f) => f.release_id === rel.id).map((f) => toFile(repository.repo, rel.version, f)),
    }))
    const current = releases.find((rel) => rel.published_at !== null) ?? releases[0]
    const primary = current ? primaryFile(files.filter((f) => f.release_id === current.id)) : undefined
    const latest = current && primary
      ? { cid: primary.cid, repo: repository.repo, release: current.version, published: current.published_at !== null, path: primary.path, size: primary.size, onnx: primary.onnx }
      : null
    return { repository, latest, releases: cardReleases, downloads: repository.downloads }
  }

  async function recordDownload(repo: string, count = 1): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 1) throw new VerityError('BAD_REQUEST', `Download count must be a positive integer, got ${count}`, { details: { count } })
    const { owner, name, repo: full } = v.repoName(repo)
    const result = await db.updateTable('hub_repositories').set({ downloads: sql<number>`downloads + ${count}` }).where('owner', '=', owner).where('name', '=', name).executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) throw repoNotFound(full)
  }

  async function gc(p: GcParameters = {}): Promise<GcReturnType> {
    const graceMs = p.graceMs ?? 3_600_000
    const removedTempFiles = await blobs.cleanTemp()
    const removedBlobs: string[] = []
    let freedBytes = 0
    const cutoff = Date.now() - graceMs
    const unused = async (cid: string) =>
      !pins.has(cid) && !(await db.selectFrom('hub_files').select('cid').where('cid', '=', cid).limit(1).executeTakeFirst())
    for await (const blob of blobs.list()) {
      if (blob.modifiedAt.getTime() > cutoff || !(await unused(blob.cid))) continue
      if (await blobs.removeIf(blob.cid, () => unused(blob.cid))) {
        removedBlobs.push(blob.cid)
        freedBytes += blob.size
      }
    }
    // Download counters and edits leave dead row versions; PGlite has no autovacuum to reclaim them.
    await sql`vacuum analyze hub_repositories, hub_releases, hub_files`.execute(db)
    return { removedBlobs, freedBytes, removedTempFiles }
  }

  return {
    database, blobs, maxUploadBytes,
    createRepository, createRepositories, updateRepository, getRepository,
    createRelease, publishRelease, listReleases,
    uploadBlob: (source, options) => blobs.put(source, { ...options, maxBytes: options?.maxBytes ?? maxUploadBytes }),
    pushFile, addFile, removeFile, listFiles,
    openBlob: (cid) => blobs.open(cid),
    readBlob: (cid) => blobs.read(cid),
    hasBlob: (cid) => blobs.has(cid),
    resolveModel,
    search: (parameters = {}) => searchRepositories(db, parameters),
    getModelCard, recordDownload, gc,
    close: async () => { if (ownsDatabase) await database.close() },
  }
}
