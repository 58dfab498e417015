/**
 * Writers for the iden3 binary formats snarkjs reads (github.com/iden3/r1csfile, snarkjs wtns_utils):
 *
 *   file    := magic(4) u32(version) u32(nSections) section*
 *   section := u32(type) u64(byteLength) bytes
 *
 * .r1cs (magic "r1cs", version 1): 1 header = u32(n8=32) prime(32) u32(nWires) u32(nPubOut)
 *   u32(nPubIn) u32(nPrvIn) u64(nLabels) u32(nConstraints); 2 constraints = for each of A, B, C:
 *   u32(nTerms) (u32(wire) field(32))*; 3 wire→label map = u64 per wire.
 * .wtns (magic "wtns", version 2): 1 header = u32(n8) prime u32(nWitness); 2 values = field(32)*.
 * Field elements are little-endian, in standard (not Montgomery) form. All integers little-endian.
 * Our public signals are all "outputs" (nPubIn = 0), like a circom main component with outputs only.
 */
import type { R1cs } from './cs.ts'
import { P, writeFieldLE } from './field.ts'

const N8 = 32

function header(magic: string, version: number, nSections: number): Uint8Array {
  const b = new Uint8Array(12)
  const v = new DataView(b.buffer)
  for (let i = 0; i < 4; i++) b[i] = magic.charCodeAt(i)
  v.setUint32(4, version, true)
  v.setUint32(8, nSections, true)
  return b
}

function section(type: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + body.length)
  const v = new DataView(b.buffer)
  v.setUint32(0, type, true)
  v.setBigUint64(4, BigInt(body.length), true)
  b.set(body, 12)
  return b
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export function writeR1cs(r1cs: R1cs): Uint8Array {
  const h = new Uint8Array(4 + N8 + 4 * 4 + 8 + 4)
  const hv = new DataView(h.buffer)
  hv.setUint32(0, N8, true)
  writeFieldLE(hv, 4, P)
  let o = 4 + N8
  hv.setUint32(o, r1cs.nWires, true)
  hv.setUint32(o + 4, r1cs.nPublic, true)
  hv.setUint32(o + 8, 0, true)
  hv.setUint32(o + 12, r1cs.nWires - 1 - r1cs.nPublic, true)
  hv.setBigUint64(o + 16, BigInt(r1cs.nWires), true)
  hv.setUint32(o + 24, r1cs.constraints.length, true)

  let size = 0
  for (const c of r1cs.constraints) for (const lc of c) size += 4 + lc.size * (4 + N8)
  const body = new Uint8Array(size)
  const bv = new DataView(body.buffer)
  o = 0
  for (const c of r1cs.constraints) {
    for (const lc of c) {
      bv.setUint32(o, lc.size, true)
      o += 4
      // snarkjs expects each linear combination's terms sorted by wire index.
      for (const w of [...lc.keys()].sort((a, b) => a - b)) {
        bv.setUint32(o, w, true)
        writeFieldLE(bv, o + 4, lc.get(w)!)
        o += 4 + N8
      }
    }
  }
  const map = new Uint8Array(8 * r1cs.nWires)
  const mv = new DataView(map.buffer)
  for (let i = 0; i < r1cs.nWires; i++) mv.setBigUint64(8 * i, BigInt(i), true)
  return concat([header('r1cs', 1, 3), section(1, h), section(2, body), section(3, map)])
}

export function writeWtns(values: readonly bigint[]): Uint8Array {
  const h = new Uint8Array(4 + N8 + 4)
  const hv = new DataView(h.buffer)
  hv.setUint32(0, N8, true)
  writeFieldLE(hv, 4, P)
  hv.setUint32(4 + N8, values.length, true)
  const body = new Uint8Array(N8 * values.length)
  const bv = new DataView(body.buffer)
  for (let i = 0; i < values.length; i++) writeFieldLE(bv, i * N8, values[i]!)
  return concat([header('wtns', 2, 2), section(1, h), section(2, body)])
}
