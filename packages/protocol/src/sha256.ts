/** sha2-256 for browsers and other non-Node runtimes (noble). Node resolves `#sha256` to sha256.node.ts. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes)
}

/** Incremental sha2-256: update with each part, then digest once. */
export function createSha256(): { update(bytes: Uint8Array): void; digest(): Uint8Array } {
  const hash = nobleSha256.create()
  return { update: (bytes) => { hash.update(bytes) }, digest: () => hash.digest() }
}
