/**
 * Receipts: EIP-712 typed data signed with the node's secp256k1 key, so that Solidity can check them
 * with ecrecover. Specified once, here:
 *
 *   domain  = EIP712Domain(string name,string version,uint256 chainId)  name "Verity", version "1"
 *   Receipt(bytes32 requestId,bytes32 modelDigest,bytes32 inputHash,bytes32 outputHash,uint8 mode,
 *           bytes32 proofHash,address node,uint64 timestamp)
 *   digest  = keccak256(0x1901 || domainSeparator || hashStruct(receipt))
 *   signature = r || s || v (65 bytes, v in {27, 28}, low-s per EIP-2)
 *
 * modelDigest is the sha2-256 digest inside the model's CID; inputHash and outputHash are tensor-set
 * hashes (tensor.ts); proofHash is zero for VANILLA and commits to the proof in the other modes.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { recoverPublicKey, signDigest } from '#secp256k1'
import { bytesToHex, concatBytes, hexToBytes, isBytes32, utf8, type Hex } from './bytes.ts'
import { isAddress, publicKeyToAddress, toChecksumAddress, type Address } from './address.ts'

export const modes = ['VANILLA', 'ZKML', 'TEE', 'QUORUM'] as const
export type Mode = (typeof modes)[number]
export const modeCode: Record<Mode, number> = { VANILLA: 0, ZKML: 1, TEE: 2, QUORUM: 3 }

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`

export const receiptDomainName = 'Verity'
export const receiptDomainVersion = '1'

export const receiptTypeString =
  'Receipt(bytes32 requestId,bytes32 modelDigest,bytes32 inputHash,bytes32 outputHash,uint8 mode,bytes32 proofHash,address node,uint64 timestamp)'
const domainTypeString = 'EIP712Domain(string name,string version,uint256 chainId)'

/** EIP-712 types for viem / ethers users who want to check receipts with their own library. */
export const receiptTypes = {
  Receipt: [
    { name: 'requestId', type: 'bytes32' },
    { name: 'modelDigest', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'mode', type: 'uint8' },
    { name: 'proofHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
    { name: 'timestamp', type: 'uint64' },
  ],
} as const

/** A receipt as carried in JSON. `chainId` selects the EIP-712 domain it was signed under. */
export type Receipt = {
  requestId: Hex
  modelDigest: Hex
  inputHash: Hex
  outputHash: Hex
  mode: Mode
  proofHash: Hex
  node: Address
  /** Unix seconds. */
  timestamp: number
  chainId: number
}

export function receiptDomain(chainId: number): { name: string; version: string; chainId: number } {
  return { name: receiptDomainName, version: receiptDomainVersion, chainId }
}

const keccak = (bytes: Uint8Array): Uint8Array => keccak_256(bytes)

function word(value: bigint): Uint8Array {
  return hexToBytes(`0x${value.toString(16).padStart(64, '0')}`)
}

let typeHashBytes: Uint8Array | undefined
const receiptTypeHashBytes = (): Uint8Array => (typeHashBytes ??= keccak(utf8.encode(receiptTypeString)))

export function receiptTypeHash(): Hex {
  return bytesToHex(receiptTypeHashBytes())
}

// Signing one receipt per inference: the domain separator is computed once per chain, not per receipt.
const separators = new Map<number, Uint8Array>()
function domainSeparatorBytes(chainId: number): Uint8Array {
  let separator = separators.get(chainId)
  if (separator === undefined) {
    separator = keccak(concatBytes(
      keccak(utf8.encode(domainTypeString)),
      keccak(utf8.encode(receiptDomainName)),
      keccak(utf8.encode(receiptDomainVersion)),
      word(BigInt(chainId)),
    ))
    if (separators.size < 64) separators.set(chainId, separator)
  }
  return separator
}

export function domainSeparator(chainId: number): Hex {
  return bytesToHex(domainSeparatorBytes(chainId))
}

/** Throws TypeError naming the first malformed field. */
export function assertReceipt(receipt: unknown): asserts receipt is Receipt {
  if (receipt === null || typeof receipt !== 'object') throw new TypeError('receipt expected an object')
  const r = receipt as Record<string, unknown>
  for (const field of ['requestId', 'modelDigest', 'inputHash', 'outputHash', 'proofHash'] as const) {
    if (!isBytes32(r[field])) throw new TypeError(`receipt.${field} expected lower-case 0x-hex bytes32, got ${JSON.stringify(r[field])}`)
  }
  if (!(modes as readonly unknown[]).includes(r.mode)) throw new TypeError(`receipt.mode expected one of ${modes.join(', ')}, got ${JSON.stringify(r.mode)}`)
  if (!isAddress(r.node)) throw new TypeError(`receipt.node expected an address, got ${JSON.stringify(r.node)}`)
  if (!Number.isSafeInteger(r.timestamp) || (r.timestamp as number) < 0) throw new TypeError(`receipt.timestamp expected unix seconds, got ${JSON.stringify(r.timestamp)}`)
  if (!Number.isSafeInteger(r.chainId) || (r.chainId as number) < 0) throw new TypeError(`receipt.chainId expected a non-negative integer, got ${JSON.stringify(r.chainId)}`)
}

/** hashStruct(receipt) per EIP-712. */
export function receiptStructHash(receipt: Receipt): Hex {
  assertReceipt(receipt)
  return bytesToHex(keccak(concatBytes(
    receiptTypeHashBytes(),
    hexToBytes(receipt.requestId),
    hexToBytes(receipt.modelDigest),
    hexToBytes(receipt.inputHash),
    hexToBytes(receipt.outputHash),
    word(BigInt(modeCode[receipt.mode])),
    hexToBytes(receipt.proofHash),
    word(BigInt(receipt.node)),
    word(BigInt(receipt.timestamp)),
  )))
}

/** The EIP-712 digest that is signed; also the receipt's id. */
export function receiptDigest(receipt: Receipt): Hex {
  return bytesToHex(receiptDigestBytes(receipt))
}

function receiptDigestBytes(receipt: Receipt): Uint8Array {
  return keccak(concatBytes(Uint8Array.of(0x19, 0x01), domainSeparatorBytes(receipt.chainId), hexToBytes(receiptStructHash(receipt))))
}

const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** Signs a receipt; returns r || s || v as 0x-hex (65 bytes). */
export function signReceipt(receipt: Receipt, privateKey: Hex): Hex {
  return signDigestHex(receiptDigestBytes(receipt), privateKey)
}

/** signReceipt for a caller that already holds the receipt's digest (receiptDigest): the digest is not hashed twice. */
export function signReceiptDigest(digest: Hex, privateKey: Hex): Hex {
  return signDigestHex(hexToBytes(digest, 'digest'), privateKey)
}

function signDigestHex(digest: Uint8Array, privateKey: Hex): Hex {
  const { signature, recovery } = signDigest(digest, hexToBytes(privateKey, 'privateKey'))
  // Ethereum's order: r || s || (27 + recovery).
  return bytesToHex(concatBytes(signature, Uint8Array.of(27 + recovery)))
}

/** The address that signed this receipt, or null when the signature is malformed or does not recover. */
export function recoverReceiptSigner(receipt: Receipt, signature: string): Address | null {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return null
  const bytes = hexToBytes(signature)
  // Only v in {27, 28}, exactly as the contracts accept: one encoding per signature.
  const v = bytes[64]!
  if (v !== 27 && v !== 28) return null
  const recovery = v - 27
  // EIP-2: reject high-s signatures (malleable), as ecrecover users are told to.
  if (BigInt(bytesToHex(bytes.subarray(32, 64))) > SECP256K1_HALF_ORDER) return null
  try {
    const publicKey = recoverPublicKey(receiptDigestBytes(receipt), bytes.subarray(0, 64), recovery)
    return publicKey === null ? null : publicKeyToAddress(publicKey)
  } catch {
    return null
  }
}

export function normalizeReceipt(receipt: Receipt): Receipt {
  return { ...receipt, node: toChecksumAddress(receipt.node) }
}
