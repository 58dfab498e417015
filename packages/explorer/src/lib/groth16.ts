/**
 * Groth16 verification over BN254 for the browser, with @noble/curves' pairing (plain JavaScript: no
 * WebAssembly, no workers, so it runs under the page's strict Content-Security-Policy). The explorer's
 * Vite build points `snarkjs` here, so @verity/zk/verify — the SDK's own ZKML checks — runs unchanged in
 * the page with this `groth16.verify` as its pairing check. The browser test checks it agrees with
 * snarkjs on a real proof and on a forged one.
 *
 * Inputs are snarkjs JSON: G1 points [x, y, z], G2 points [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]],
 * decimal strings, affine (z = 1). The check is
 *   e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) = 1,   vk_x = IC[0] + Σ s_i · IC[i+1].
 */
import { bn254 } from '@noble/curves/bn254.js'

const { G1, G2 } = bn254
const { Fp2, Fp12, Fr } = bn254.fields
type G1Point = InstanceType<typeof G1.Point>
type G2Point = InstanceType<typeof G2.Point>

const big = (s: unknown): bigint => {
  if (typeof s !== 'string' || !/^\d{1,78}$/.test(s)) throw new TypeError(`not a decimal field element: ${JSON.stringify(s)}`)
  return BigInt(s)
}

function g1(p: unknown): G1Point {
  if (!Array.isArray(p) || p.length < 2) throw new TypeError('a G1 point must be [x, y, z]')
  if (p.length > 2 && big(p[2]) === 0n) return G1.Point.ZERO
  if (p.length > 2 && big(p[2]) !== 1n) throw new TypeError('G1 points must be affine (z = 1)')
  const point = G1.Point.fromAffine({ x: big(p[0]), y: big(p[1]) })
  point.assertValidity()
  return point
}

function g2(p: unknown): G2Point {
  if (!Array.isArray(p) || p.length < 2 || !p.every((c) => Array.isArray(c) && c.length === 2)) throw new TypeError('a G2 point must be [[x0, x1], [y0, y1], [z0, z1]]')
  const [x, y, z] = p as string[][]
  if (z && big(z[0]) === 0n && big(z[1]) === 0n) return G2.Point.ZERO
  if (z && (big(z[0]) !== 1n || big(z[1]) !== 0n)) throw new TypeError('G2 points must be affine (z = 1)')
  const point = G2.Point.fromAffine({ x: Fp2.fromBigTuple([big(x![0]), big(x![1])]), y: Fp2.fromBigTuple([big(y![0]), big(y![1])]) })
  point.assertValidity()
  return point
}

type VerificationKey = { protocol?: string; curve?: string; nPublic?: number; vk_alpha_1: unknown; vk_beta_2: unknown; vk_gamma_2: unknown; vk_delta_2: unknown; IC: unknown[] }
type Proof = { pi_a: unknown; pi_b: unknown; pi_c: unknown }

/** True when `proof` verifies for `publicSignals` under `vk`; false for a wrong proof; throws on malformed data. */
export function verifyGroth16(vk: VerificationKey, publicSignals: readonly string[], proof: Proof): boolean {
  if (vk.protocol !== undefined && vk.protocol !== 'groth16') throw new TypeError(`verification key is for ${vk.protocol}, not groth16`)
  if (vk.curve !== undefined && !/^bn(128|254)$/i.test(vk.curve)) throw new TypeError(`verification key is for curve ${vk.curve}, not bn128`)
  if (!Array.isArray(vk.IC) || vk.IC.length !== publicSignals.length + 1) throw new TypeError(`verification key takes ${Array.isArray(vk.IC) ? vk.IC.length - 1 : '?'} public signals, got ${publicSignals.length}`)
  let vkX = g1(vk.IC[0])
  for (let i = 0; i < publicSignals.length; i++) {
    const s = big(publicSignals[i])
    if (s >= Fr.ORDER) return false
    if (s !== 0n) vkX = vkX.add(g1(vk.IC[i + 1]).multiply(s))
  }
  const pairs = [
    { g1: g1(proof.pi_a).negate(), g2: g2(proof.pi_b) },
    { g1: g1(vk.vk_alpha_1), g2: g2(vk.vk_beta_2) },
    { g1: vkX, g2: g2(vk.vk_gamma_2) },
    { g1: g1(proof.pi_c), g2: g2(vk.vk_delta_2) },
  ].filter((p) => !p.g1.is0() && !p.g2.is0())
  return Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE)
}

/** The part of snarkjs' API that @verity/zk/verify uses. */
export const groth16 = {
  async verify(vk: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean> {
    return verifyGroth16(vk as VerificationKey, publicSignals, proof as Proof)
  },
}
