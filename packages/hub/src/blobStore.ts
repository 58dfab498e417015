/**
 * Content-addressed blob store on disk. A blob lives at `<dir>/<shard>/<cid>`, where shard is the two
 * characters after the `bafkrei` prefix every CIDv1/raw/sha2-256 shares (so the first characters of the
 * digest: 256 directories instead of one). Uploads stream into `<dir>/tmp/` on the same filesystem, are
 * hashed as they arrive, fsynced, then renamed into place: a blob path either holds the complete
 * bytes of its CID or does not exist. Reads re-hash and fail on any mismatch.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { cidFromSha256, equalBytes, parseCid, VerityError } from '@verity/protocol'
import { isProcessAlive } from '@verity/db'

/** Bytes to store: a whole buffer, or chunks (a Node Readable, a web stream's async iterator, a generator). */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export type PutBlobOptions = {
  /** The CID the bytes must hash to; DIGEST_MISMATCH (and nothing stored) otherwise. */
  expectedCid?: string | undefined
  /** Stop reading and fail with INPUT_TOO_LARGE once more bytes than this arrive. */
  maxBytes?: number | undefined
  /**
   * Runs on the complete, hashed temp file before it becomes a blob; throw to reject it (nothing is
   * stored then). The hub validates ONNX files here.
   */
  validate?: ((file: { path: string; cid: string; size: number }) => Promise<void> | void) | undefined
}

export type PutBlobReturnType = {
  cid: string
  size: number
  /** False when the store already held these bytes (the upload was deduplicated). */
  created: boolean
}

export type OpenBlobReturnType = {
  cid: string
  size: number
  /** The blob's bytes; the stream errors with BLOB_CORRUPT at the end if they do not hash to `cid`. */
  stream: Readable
}

export type BlobInfo = { cid: string; size: number; modifiedAt: Date }

export type BlobStore = {
  readonly dir: string
  put(source: BlobSource, options?: PutBlobOptions): Promise<PutBlobReturnType>
  open(cid: string): Promise<OpenBlobReturnType>
  read(cid: string): Promise<Uint8Array>
  has(cid: string): Promise<boolean>
  /** Size in bytes, or null when the blob is not stored (not verified; open/read verify). */
  size(cid: string): Promise<number | null>
  /** Marks a blob as recently used (gc spares recent blobs); false if it does not exist. */
  touch(cid: string): Promise<boolean>
  /** Deletes a blob; true if it existed. Callers make sure nothing references it. */
  remove(cid: string): Promise<boolean>
  /**
   * Deletes a blob only if `stillUnused()` (asked once the blob is moved out of place) says so; otherwise
   * puts it back. gc uses this so a blob cannot vanish under an upload that is about to reference it.
   */
  removeIf(cid: string, stillUnused: () => Promise<boolean>): Promise<boolean>
  /** Every blob on disk (for gc). */
  list(): AsyncGenerator<BlobInfo>
  /** Deletes temp files left by a crashed upload; returns how many. */
  cleanTemp(): Promise<number>
}

const CID_PREFIX = 'bafkrei'

// Temp files being written by this process, so cleanTemp never removes an upload in flight.
const activeTemps = new Set<string>()

export function blobShard(cid: string): string {
  return cid.slice(CID_PREFIX.length, CID_PREFIX.length + 2)
}

/** A blob store rooted at `dir` (created if missing). */
export async function createBlobStore(dir: string): Promise<BlobStore> {
  const tmpDir = join(dir, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  const pathOf = (cid: string) => join(dir, blobShard(cid), cid)
  const normalize = (cid: string) => parseCid(cid).cid

  async function put(source: BlobSource, options: PutBlobOptions = {}): Promise<PutBlobReturnType> {
    const expectedCid = options.expectedCid === undefined ? undefined : normalize(options.expectedCid)
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.part`)
    activeTemps.add(tmp)
    let file
    try {
      file = await open(tmp, 'wx')
    } catch (error) {
      activeTemps.delete(tmp)
      throw error
    }
    let closed = false
    try {
      const hash = createHash('sha256')
      let size = 0
      for await (const chunk of chunks(source)) {
        size += chunk.length
        if (size > maxBytes) {
          throw new VerityError('INPUT_TOO_LARGE', `The upload exceeds the limit of ${maxBytes} bytes (stopped after ${size} bytes)`, { details: { maxBytes, received: size } })
        }
        hash.update(chunk)
        let written = 0
        while (written < chunk.length) written += (await file.write(chunk, written, chunk.length - written)).bytesWritten
      }
      await file.sync()
      await file.close()
      closed = true
      const cid = cidFromSha256(hash.digest())
      if (expectedCid !== undefined && cid !== expectedCid) {
        throw new VerityError('DIGEST_MISMATCH', `The uploaded bytes hash to ${cid}, not the expected ${expectedCid}`, { details: { expected: expectedCid, actual: cid, size } })
      }
      await options.validate?.({ path: tmp, cid, size })
      const target = pathOf(cid)
      // Already stored: refresh its age so gc() (which spares recent blobs) leaves it alone until it is
      // referenced. If it vanished meanwhile (gc), fall through and store ours.
      if (await touch(target)) {
        await unlink(tmp)
        return { cid, size, created: false }
      }
      await mkdir(join(dir, blobShard(cid)), { recursive: true })
      await rename(tmp, target)
      await fsyncDir(join(dir, blobShard(cid)))
      return { cid, size, created: true }
    } catch (error) {
      if (!closed) await file.close().catch(() => {})
      await rm(tmp, { force: true })
      throw error
    } finally {
      activeTemps.delete(tmp)
    }
  }

  async function open_(cid: string): Promise<OpenBlobReturnType> {
    const { cid: normalized, digest } = parseCid(cid)
    const path = pathOf(normalized)
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw notFound(normalized)
      throw error
    })
    const hash = createHash('sha256')
    const verify = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk)
        callback(null, chunk)
      },
      flush(callback) {
        const actual = new Uint8Array(hash.digest())
        callback(equalBytes(actual, digest) ? null : corrupt(normalized, cidFromSha256(actual), path))
      },
    })
    pipeline(createReadStream(path), verify, () => {})
    return { cid: normalized, size: info.size, stream: verify }
  }

  async function read(cid: string): Promise<Uint8Array> {
    const { cid: normalized, digest } = parseCid(cid)
    const path = pathOf(normalized)
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw notFound(normalized)
      throw error
    })
    const actual = new Uint8Array(createHash('sha256').update(bytes).digest())
    if (!equalBytes(actual, digest)) throw corrupt(normalized, cidFromSha256(actual), path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  async function has(cid: string): Promise<boolean> {
    return exists(pathOf(normalize(cid)))
  }

  async function size(cid: string): Promise<number | null> {
    try {
      return (await stat(pathOf(normalize(cid)))).size
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  }

  async function remove(cid: string): Promise<boolean> {
    const path = pathOf(normalize(cid))
    try {
      await unlink(path)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  async function removeIf(cid: string, stillUnused: () => Promise<boolean>): Promise<boolean> {
    const path = pathOf(normalize(cid))
    const trash = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.trash`)
    activeTemps.add(trash)
    try {
      try {
        await rename(path, trash)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
        throw error
      }
      // While the blob is out of place, an upload of the same bytes stores its own copy, and an attach of
      // this CID fails with NOT_FOUND; so the second check below is final.
      if (await stillUnused().catch(() => false)) {
        await unlink(trash)
        return true
      }
      // Identical bytes: moving back is harmless even if an upload stored them again meanwhile.
      await rename(trash, path)
      return false
    } finally {
      activeTemps.delete(trash)
    }
  }

  async function* list(): AsyncGenerator<BlobInfo> {
    for (const shard of (await readdir(dir)).sort()) {
      if (shard === 'tmp' || shard.length !== 2) continue
      for (const name of (await readdir(join(dir, shard)).catch(() => [] as string[])).sort()) {
        if (!name.startsWith(CID_PREFIX)) continue
        const info = await stat(join(dir, shard, name)).catch(() => null)
        if (info?.isFile()) yield { cid: name, size: info.size, modifiedAt: info.mtime }
      }
    }
  }

  async function cleanTemp(): Promise<number> {
    let removed = 0
    for (const name of await readdir(tmpDir)) {
      const path = join(tmpDir, name)
      if (activeTemps.has(path)) continue
      const owner = Number(name.split('-')[0])
      // A live other process may still be writing it; our own pid means a previous run (a container restart reuses pids).
      if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) continue
      await rm(path, { force: true, recursive: true })
      removed++
    }
    return removed
  }

  return { dir, put, open: open_, read, has, size, touch: (cid) => touch(pathOf(normalize(cid))), remove, removeIf, list, cleanTemp }
}

async function* chunks(source: BlobSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(`Blob source chunks must be Uint8Array or Buffer, got ${typeof chunk === 'string' ? 'a string (set no encoding on the stream)' : typeof chunk}`)
    }
    if (chunk.length > 0) yield chunk
  }
}

async function touch(path: string): Promise<boolean> {
  const now = new Date()
  try {
    await utimes(path, now, now)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

// A rename is durable only once its directory entry is on disk.
async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}


function notFound(cid: string): VerityError {
  return new VerityError('NOT_FOUND', `No blob ${cid} in this hub`, { details: { cid }, hint: 'Push the file first, or check the CID.' })
}

function corrupt(cid: string, actual: string, path: string): VerityError {
  return new VerityError('BLOB_CORRUPT', `Blob ${cid} on disk is corrupt: its bytes hash to ${actual}`, { details: { cid, actual, path } })
}
