/**
 * secp256k1 for receipts, portable (noble): sign a 32-byte digest with a recovery id, recover the
 * public key. Node resolves `#secp256k1` to secp256k1.node.ts (libsecp256k1 as WebAssembly, about
 * twice as fast); both give byte-identical RFC 6979 low-s signatures (tested).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'

/** Signs `digest` (no hashing); returns r || s (64 bytes, low-s) and the recovery id (0 or 1). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recovery: number } {
  // noble's 'recovered' format is recovery || r || s.
  const sig = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: 'recovered' })
  return { signature: sig.subarray(1, 65), recovery: sig[0]! }
}

/** The uncompressed public key (65 bytes) that signed `digest`, or null when none does. */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array | null {
  try {
    return secp256k1.Signature.fromBytes(signature, 'compact').addRecoveryBit(recovery).recoverPublicKey(digest).toBytes(false)
  } catch {
    return null
  }
}

/** k·G as an uncompressed point (65 bytes), for a scalar 1 ≤ k < n given as 32 big-endian bytes. */
export function multiplyBasePoint(scalar: Uint8Array): Uint8Array {
  return secp256k1.Point.BASE.multiply(secp256k1.Point.Fn.fromBytes(scalar)).toBytes(false)
}
