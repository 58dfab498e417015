/**
 * The BN254 scalar field (the field Groth16 on alt_bn128 works in, and the one the EVM precompiles
 * use). Integers of the quantized network are embedded as field elements: a negative integer -x is
 * P - x. Every value our circuits carry is proven to be far below P/2 in magnitude, so the embedding
 * is exact.
 */
export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const HALF = P >> 1n

/** Canonical representative of an integer in [0, P). */
export function mod(x: bigint): bigint {
  const r = x % P
  return r < 0n ? r + P : r
}

/** The signed integer a field element stands for (values above P/2 are negative). */
export function signed(x: bigint): bigint {
  return x > HALF ? x - P : x
}

/** 32-byte little-endian encoding of a field element (the .r1cs/.wtns element layout). */
export function writeFieldLE(view: DataView, offset: number, x: bigint): void {
  let v = x
  for (let i = 0; i < 4; i++) {
    view.setBigUint64(offset + i * 8, v & 0xffffffffffffffffn, true)
    v >>= 64n
  }
}
