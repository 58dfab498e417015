/**
 * Receipt signatures with the slow half done ahead of time. An ECDSA signature over secp256k1 is
 *
 *   r = (k·G).x mod n        s = k⁻¹ · (z + r·d) mod n
 *
 * for a secret nonce k, digest z and private key d. Only s depends on the digest, and s is three
 * modular operations; the point multiplication k·G is nearly all of the cost (≈ 80 µs here). A node
 * knows it will sign a receipt as soon as it starts a model, so it calls `prepare()` while the model
 * runs and `signDigest()` costs microseconds once the output is hashed.
 *
 * Nonces are random (FIPS 186-5 §6.4.1), not RFC 6979: RFC 6979 derives k from the digest, which is
 * not known in advance. Each k is hedged with the private key and a counter, as RFC 6979 §3.6 does
 * with additional data: k = HMAC-SHA-512(d, 32 random bytes ‖ counter), mapped into [1, n) (FIPS
 * 186-5 A.2). Each k signs once and is dropped, so a repeated nonce would need the system's random
 * source to repeat within one process. Signatures are still r ‖ s ‖ v with low s (EIP-2) and verify
 * like any other; they differ from signReceipt's deterministic ones for the same digest, which no
 * verifier relies on.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { invert, mapHashToField, mod } from '@noble/curves/abstract/modular.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { multiplyBasePoint } from '#secp256k1'
import { bytesToHex, concatBytes, hexToBytes, type Hex } from './bytes.ts'

const N = secp256k1.Point.Fn.ORDER
const HALF_N = N >> 1n

type Nonce = { r: bigint; kInverse: bigint; recovery: number }

/** Nonces kept ready at most: one per request in flight; concurrent requests each prepare their own. */
const MAX_READY = 64

export type ReceiptSigner = {
  /** Draws a nonce and multiplies it by G now (call it while waiting, e.g. while a model runs); keeps up to 64 ready. */
  prepare(): void
  /** Signs a 32-byte EIP-712 digest: r ‖ s ‖ v as 0x-hex (65 bytes, v in {27, 28}, low s). Prepares a nonce first if none is ready. */
  signDigest(digest: Hex): Hex
}

/** A signer for one private key and the nonces prepared for it. */
export function createReceiptSigner(privateKey: Hex): ReceiptSigner {
  const keyBytes = hexToBytes(privateKey, 'privateKey')
  if (keyBytes.length !== 32) throw new RangeError('privateKey must be 32 bytes')
  const d = bytesToNumberBE(keyBytes)
  if (d <= 0n || d >= N) throw new RangeError('privateKey must be a secp256k1 secret in [1, n)')
  let counter = 0n
  const ready: Nonce[] = []

  const drawNonce = (): Nonce => {
    for (;;) {
      const extra = new Uint8Array(40)
      extra.set(randomBytes(32))
      new DataView(extra.buffer).setBigUint64(32, counter++)
      // 512 bits mapped into [1, n): the bias is below 2⁻²⁵⁰.
      const kBytes = mapHashToField(hmac(sha512, keyBytes, extra), N)
      const point = multiplyBasePoint(kBytes)
      const x = bytesToNumberBE(point.subarray(1, 33))
      // x ≥ n (probability ≈ 2⁻¹²⁸) would need recovery ids 2 and 3, which Ethereum's v cannot carry.
      if (x >= N || x === 0n) continue
      return { r: x, kInverse: invert(bytesToNumberBE(kBytes), N), recovery: point[64]! & 1 }
    }
  }

  return {
    prepare() {
      if (ready.length < MAX_READY) ready.push(drawNonce())
    },
    signDigest(digest) {
      const z = mod(bytesToNumberBE(hexToBytes(digest, 'digest')), N)
      for (;;) {
        const nonce = ready.pop() ?? drawNonce()
        let s = mod(nonce.kInverse * (z + nonce.r * d), N)
        if (s === 0n) continue
        let recovery = nonce.recovery
        if (s > HALF_N) {
          s = N - s
          recovery ^= 1
        }
        // Ethereum's order, as signReceipt: r || s || (27 + recovery).
        return bytesToHex(concatBytes(numberToBytesBE(nonce.r, 32), numberToBytesBE(s, 32), Uint8Array.of(27 + recovery)))
      }
    },
  }
}
