/**
 * secp256k1 for receipts in Node: libsecp256k1 compiled to WebAssembly (tiny-secp256k1, the
 * bitcoinjs build), about twice as fast as pure JS for the node's hot path (one signature per
 * inference). Selected by the `#secp256k1` import condition; secp256k1.ts is the portable twin.
 */
import { pointFromScalar, recover, signRecoverable } from 'tiny-secp256k1'

export function signDigest(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recovery: number } {
  const { signature, recoveryId } = signRecoverable(digest, privateKey)
  return { signature, recovery: recoveryId }
}

export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array | null {
  try {
    return recover(digest, signature, recovery as 0 | 1, false)
  } catch {
    return null
  }
}

/** k·G as an uncompressed point (65 bytes), for a scalar 1 ≤ k < n given as 32 big-endian bytes. */
export function multiplyBasePoint(scalar: Uint8Array): Uint8Array {
  const point = pointFromScalar(scalar, false)
  if (point === null) throw new RangeError('scalar must be in [1, n)')
  return point
}
