/**
 * Poseidon (circomlib parameters, t = 17, x^5 S-box, 8 full + 68 partial rounds) as constraints:
 * 3 constraints per S-box; the round constants and MDS mixing are linear and cost nothing. The
 * constants are read from poseidon-lite (the same ones its poseidon16, and circomlib, use), so the
 * gadget and `hashInputBytes` cannot drift apart; a test checks them against each other.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Cs } from './cs.ts'
import { ELEMENTS_PER_HASH, BYTES_PER_ELEMENT } from './inputHash.ts'

const N_ROUNDS_F = 8
const N_ROUNDS_P_T17 = 68
const T = 17

let cached: { C: bigint[]; M: bigint[][] } | null = null

function b64ToBigint(s: string): bigint {
  return BigInt(`0x${Buffer.from(s, 'base64').toString('hex') || '0'}`)
}

function constants(): { C: bigint[]; M: bigint[][] } {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('poseidon-lite'))
  const raw = (require(join(root, 'constants', '16.js')) as { default: { C: string[]; M: string[][] } }).default
  cached = { C: raw.C.map(b64ToBigint), M: raw.M.map((row) => row.map(b64ToBigint)) }
  return cached
}

function sbox<L>(cs: Cs<L>, x: L): L {
  const x2 = cs.wire(() => cs.value(x) ** 2n)
  cs.enforce(x, x, x2)
  const x4 = cs.wire(() => cs.value(x2) ** 2n)
  cs.enforce(x2, x2, x4)
  const y = cs.wire(() => cs.value(x4) * cs.value(x))
  cs.enforce(x4, x, y)
  return y
}

export function poseidon16Gadget<L>(cs: Cs<L>, inputs: readonly L[]): L {
  if (inputs.length !== T - 1) throw new Error(`poseidon16 takes 16 inputs, got ${inputs.length}`)
  const { C, M } = constants()
  let state: L[] = [cs.constant(0n), ...inputs]
  const rounds = N_ROUNDS_F + N_ROUNDS_P_T17
  for (let r = 0; r < rounds; r++) {
    const full = r < N_ROUNDS_F / 2 || r >= N_ROUNDS_F / 2 + N_ROUNDS_P_T17
    state = state.map((s, y) => cs.add(s, cs.constant(C[r * T + y]!)))
    if (full) state = state.map((s) => sbox(cs, s))
    else state[0] = sbox(cs, state[0]!)
    state = M.map((row) => cs.norm(cs.dot(row, state, 0n)))
  }
  return state[0]!
}

/** The input hash (see inputHash.ts) of byte-valued linear combinations, as constraints. */
export function hashInputGadget<L>(cs: Cs<L>, bytes: readonly L[]): L {
  const elements: L[] = []
  for (let j = 0; j * BYTES_PER_ELEMENT < bytes.length; j++) {
    const part = bytes.slice(j * BYTES_PER_ELEMENT, (j + 1) * BYTES_PER_ELEMENT)
    elements.push(cs.dot(part.map((_, i) => 256n ** BigInt(i)), part, 0n))
  }
  return hashChainGadget(cs, elements, BigInt(bytes.length))
}

/** The output hash (see inputHash.ts) of output values, as constraints. */
export function hashOutputGadget<L>(cs: Cs<L>, values: readonly L[]): L {
  return hashChainGadget(cs, values, BigInt(values.length))
}

function hashChainGadget<L>(cs: Cs<L>, elements: readonly L[], length: bigint): L {
  let h = cs.constant(length)
  for (let k = 0; k * ELEMENTS_PER_HASH < elements.length; k++) {
    const chunk = elements.slice(k * ELEMENTS_PER_HASH, (k + 1) * ELEMENTS_PER_HASH)
    while (chunk.length < ELEMENTS_PER_HASH) chunk.push(cs.constant(0n))
    h = poseidon16Gadget(cs, [h, ...chunk])
  }
  return h
}
