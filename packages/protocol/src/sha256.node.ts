/**
 * sha2-256 in Node via OpenSSL: an order of magnitude faster than JS on large tensors and model files.
 * Selected by the `#sha256` import condition; sha256.ts is the portable twin (same results, tested).
 */
import { createHash } from 'node:crypto'

export function sha256(bytes: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(bytes).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** Incremental sha2-256: update with each part, then digest once. */
export function createSha256(): { update(bytes: Uint8Array): void; digest(): Uint8Array } {
  const hash = createHash('sha256')
  return {
    update: (bytes) => { hash.update(bytes) },
    digest: () => { const d = hash.digest(); return new Uint8Array(d.buffer, d.byteOffset, d.byteLength) },
  }
}
