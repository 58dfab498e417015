/// <reference path="./vendor.d.ts" />
/**
 * How a circuit binds its input: one public signal, the Poseidon hash of the quantized input bytes.
 * Specified once, here:
 *
 *   bytes   = the quantized input, one byte per element, row-major (q = clamp(round(x / scale) + zeroPoint, 0, 255))
 *   e_j     = Σ_{i<31} bytes[31j + i] · 256^i            (31 bytes per field element, little-endian; missing bytes are 0)
 *   H_0     = number of bytes
 *   H_{k+1} = Poseidon16([H_k, e_{15k}, …, e_{15k+14}])  (circomlib Poseidon, t = 17; missing e are 0)
 *   inputHash = H_K, K = ceil(#e / 15)
 *
 * When a circuit commits to its outputs by hash (compile option `outputs: 'hashed'`, which saves
 * about 6,500 gas per output on chain), the output hash is the same chain over the output integers
 * as field elements (negative x as P - x), one per element, without packing:
 *
 *   O_0 = number of outputs,  O_{k+1} = Poseidon16([O_k, o_{15k}, …, o_{15k+14}])  (missing o are 0)
 *
 * Browser-safe: only poseidon-lite (the circomlib parameters).
 */
import { poseidon16 } from 'poseidon-lite'

export const BYTES_PER_ELEMENT = 31
export const ELEMENTS_PER_HASH = 15

export function packBytes(bytes: Uint8Array): bigint[] {
  const out: bigint[] = []
  for (let j = 0; j * BYTES_PER_ELEMENT < bytes.length; j++) {
    let e = 0n
    for (let i = Math.min(BYTES_PER_ELEMENT, bytes.length - j * BYTES_PER_ELEMENT) - 1; i >= 0; i--) e = (e << 8n) | BigInt(bytes[j * BYTES_PER_ELEMENT + i]!)
    out.push(e)
  }
  return out
}

/** The input hash public signal for these quantized bytes. */
export function hashInputBytes(bytes: Uint8Array): bigint {
  return hashFieldChain(packBytes(bytes), BigInt(bytes.length))
}

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

/** The output hash public signal for these output integers. */
export function hashOutputValues(values: readonly bigint[]): bigint {
  return hashFieldChain(values.map((v) => ((v % P) + P) % P), BigInt(values.length))
}

function hashFieldChain(elements: readonly bigint[], length: bigint): bigint {
  let h = length
  for (let k = 0; k * ELEMENTS_PER_HASH < elements.length; k++) {
    const chunk = elements.slice(k * ELEMENTS_PER_HASH, (k + 1) * ELEMENTS_PER_HASH)
    while (chunk.length < ELEMENTS_PER_HASH) chunk.push(0n)
    h = poseidon16([h, ...chunk])
  }
  return h
}
