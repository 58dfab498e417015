/** Ethereum addresses: derivation from secp256k1 keys and EIP-55 checksums. */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes, utf8, type Hex } from './bytes.ts'

export type Address = `0x${string}`

/** EIP-55 mixed-case checksum encoding. */
export function toChecksumAddress(address: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`address expected 0x + 40 hex digits, got ${JSON.stringify(address)}`)
  const lower = address.slice(2).toLowerCase()
  const hash = bytesToHex(keccak_256(utf8.encode(lower))).slice(2)
  let out = '0x'
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  return out as Address
}

export function isAddress(value: unknown): value is Address {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** Address of an uncompressed or compressed secp256k1 public key: last 20 bytes of keccak256(x || y). */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const point = secp256k1.Point.fromBytes(publicKey)
  const uncompressed = point.toBytes(false)
  return toChecksumAddress(bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12)))
}

export function privateKeyToAddress(privateKey: Hex): Address {
  return publicKeyToAddress(secp256k1.getPublicKey(hexToBytes(privateKey, 'privateKey'), false))
}

/** A fresh random secp256k1 private key. */
export function generatePrivateKey(): Hex {
  return bytesToHex(secp256k1.utils.randomSecretKey())
}
