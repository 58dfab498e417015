/**
 * The provenance log: every memory operation of a user is appended to a hash-chained, signed log.
 *
 * Entry encoding (version 1). An entry is a JSON object
 *   { v: 1, subject, seq, prev, op, memory_id, content_hash, sources_hash, at, job? }
 * where
 *   subject      = sha256hex(utf8("verity/memory/user\0" || user_id))   (the log never holds the raw user id)
 *   seq          = 0, 1, 2, … per subject
 *   prev         = hash of entry seq-1, or 0x00…00 (32 zero bytes) for seq 0
 *   op           = 'create' | 'update' | 'reinforce' | 'delete' | 'erase'
 *   memory_id    = the memory's id, or null for 'erase' (erase-user)
 *   content_hash = sha256hex(utf8(canonicalJson({ text, categories, type, event_time })))  of the memory
 *                  after the operation (before it, for delete and erase of one memory); null for erase-user
 *   sources_hash = sha256hex(utf8(canonicalJson(sources)))  (message ids), or null
 *   at           = ISO 8601 time of the operation
 * and
 *   hash      = keccak256(utf8(canonicalJson(entry)))        (RFC 8785 canonical JSON, protocol's canonicalJson)
 *   signature = secp256k1 over `hash` (no further prehash), r || s || v, v in {27, 28}, low-s:
 *               the node's address is recovered from it as with Ethereum's ecrecover.
 * The log holds hashes and ids only, never content: erasing a memory or a user leaves the chain whole and
 * verifiable, and each hash is a tombstone proving what existed without revealing it.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, canonicalJson, concatBytes, hexToBytes, privateKeyToAddress, publicKeyToAddress, sameAddress, utf8, type Address, type Hex } from '@verity/protocol'

export type LogOp = 'create' | 'update' | 'reinforce' | 'delete' | 'erase'

export type LogEntry = {
  v: 1
  subject: string
  seq: number
  prev: Hex
  op: LogOp
  memory_id: string | null
  content_hash: Hex | null
  sources_hash: Hex | null
  at: string
  job?: string | undefined
}

export type SignedLogEntry = { entry: LogEntry; hash: Hex; signature: Hex }

/** Signs 32-byte digests with the node's key; `address` is the key's Ethereum address. */
export type Signer = { address: Address; sign(digest: Uint8Array): Hex | Promise<Hex> }

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`

export function sha256Hex(text: string): Hex {
  return bytesToHex(sha256(utf8.encode(text)))
}

/** The log subject of a user: never the raw id, so an erased user leaves no readable id behind. */
export function logSubject(userId: string): string {
  return sha256Hex(`verity/memory/user\0${userId}`)
}

export function contentHash(m: { text: string; categories: readonly string[]; type: string; event_time: string }): Hex {
  return sha256Hex(canonicalJson({ text: m.text, categories: [...m.categories], type: m.type, event_time: m.event_time }))
}

export function sourcesHash(sources: readonly string[]): Hex {
  return sha256Hex(canonicalJson([...sources]))
}

export function hashLogEntry(entry: LogEntry): Hex {
  return bytesToHex(keccak_256(utf8.encode(canonicalJson(entry))))
}

/** A signer holding a raw secp256k1 private key in process. */
export function createLocalSigner(privateKey: Hex): Signer {
  const key = hexToBytes(privateKey, 'privateKey')
  return {
    address: privateKeyToAddress(privateKey),
    sign(digest) {
      // noble's 'recovered' format is recovery || r || s; Ethereum order is r || s || (27 + recovery).
      const sig = secp256k1.sign(digest, key, { prehash: false, lowS: true, format: 'recovered' })
      return bytesToHex(concatBytes(sig.subarray(1, 65), Uint8Array.of(27 + sig[0]!)))
    },
  }
}

export function recoverLogSigner(hash: Hex, signature: string): Address | null {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return null
  const bytes = hexToBytes(signature)
  const v = bytes[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return null
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), 'compact')
    if (sig.hasHighS()) return null
    return publicKeyToAddress(sig.addRecoveryBit(recovery).recoverPublicKey(hexToBytes(hash)).toBytes(false))
  } catch {
    return null
  }
}

export type VerifyMemoryLogReturnType = { ok: true; entries: number; head: Hex } | { ok: false; seq: number; reason: string }

/**
 * Verifies a user's log end to end, offline: contiguous sequence numbers from 0, one subject, each
 * `prev` equal to the previous entry's hash, each hash recomputed from the entry, each signature
 * recovering to `nodeAddress`. Returns the first failure instead of throwing.
 */
export function verifyMemoryLog(entries: readonly SignedLogEntry[], nodeAddress: string): VerifyMemoryLogReturnType {
  let prev: Hex = ZERO_HASH
  const subject = entries[0]?.entry.subject
  for (let i = 0; i < entries.length; i++) {
    const { entry, hash, signature } = entries[i]!
    if (entry.v !== 1) return { ok: false, seq: i, reason: `entry ${i} has unknown version ${String(entry.v)}` }
    if (entry.seq !== i) return { ok: false, seq: i, reason: `entry ${i} has seq ${entry.seq}: entries missing or out of order` }
    if (entry.subject !== subject) return { ok: false, seq: i, reason: `entry ${i} belongs to another subject` }
    if (entry.prev !== prev) return { ok: false, seq: i, reason: `entry ${i} does not link to the hash of entry ${i - 1}` }
    const recomputed = hashLogEntry(entry)
    if (recomputed !== hash) return { ok: false, seq: i, reason: `entry ${i} hash mismatch: content was altered` }
    const signer = recoverLogSigner(hash, signature)
    if (signer === null || !sameAddress(signer, nodeAddress)) return { ok: false, seq: i, reason: `entry ${i} is not signed by ${nodeAddress}` }
    prev = hash
  }
  return { ok: true, entries: entries.length, head: prev }
}
