/**
 * Model identity: a CIDv1 with the raw codec (0x55) and a sha2-256 multihash (0x12) of the exact file
 * bytes, written in base32 (the `bafkrei...` form). A CID never changes meaning.
 */
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '#sha256'
import { bytesToHex, hexToBytes, type Hex } from './bytes.ts'
import { VerityError } from './errors.ts'

const RAW_CODEC = 0x55
const SHA2_256 = 0x12

/** CID of a byte string (hashes it). */
export function cidForBytes(bytes: Uint8Array): string {
  return cidFromSha256(sha256(bytes))
}

/** CID from a sha2-256 digest computed elsewhere (e.g. while streaming a file to disk). */
export function cidFromSha256(digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError(`sha2-256 digest expected 32 bytes, got ${digest.length}`)
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, digest)).toString()
}

/** Parses a CID string; throws INVALID_CID unless it is CIDv1 raw sha2-256. */
export function parseCid(text: string): { cid: string; digest: Uint8Array } {
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch (cause) {
    throw new VerityError('INVALID_CID', `Not a CID: ${JSON.stringify(String(text).slice(0, 100))}`, { cause, details: { cid: text } })
  }
  if (cid.version !== 1 || cid.code !== RAW_CODEC || cid.multihash.code !== SHA2_256) {
    throw new VerityError('INVALID_CID', `CID ${text} is not CIDv1/raw/sha2-256 (version ${cid.version}, codec 0x${cid.code.toString(16)}, hash 0x${cid.multihash.code.toString(16)})`, { details: { cid: text } })
  }
  return { cid: cid.toString(), digest: cid.multihash.digest }
}

export function isCid(text: unknown): boolean {
  if (typeof text !== 'string') return false
  try {
    parseCid(text)
    return true
  } catch {
    return false
  }
}

/** The bytes32 a receipt carries for a model: the sha2-256 digest inside its CID. */
export function cidDigest(cid: string): Hex {
  return bytesToHex(parseCid(cid).digest)
}

/** Inverse of cidDigest: the CID whose digest is this bytes32. */
export function cidFromDigest(digest: Hex): string {
  return cidFromSha256(hexToBytes(digest, 'digest'))
}
