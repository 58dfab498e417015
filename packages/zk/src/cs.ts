/**
 * A constraint system written once and run two ways. A circuit is a plain function of a `Cs<L>`:
 *
 * - `BuildCs` (L = linear combination): records R1CS constraints A·B = C over wires. Linear
 *   combinations cost nothing, so weights (constants) times wires are free; only `enforce` adds a row.
 * - `WitnessCs` (L = bigint value): runs the same function on concrete numbers, filling one value per
 *   wire in the same order, which is the witness snarkjs proves with.
 *
 * Wire 0 is the constant 1; wires 1..nPublic are the public signals (reserved first, bound last), as
 * the .r1cs format and snarkjs expect.
 */
import { mod, P, signed } from './field.ts'

export type Lc = Map<number, bigint>

export interface Cs<L> {
  readonly building: boolean
  constant(c: bigint): L
  add(a: L, b: L): L
  sub(a: L, b: L): L
  scale(a: L, c: bigint): L
  /** bias + Σ coeffs[i]·xs[i] (coefficients are signed integers). */
  dot(coeffs: ArrayLike<number> | readonly bigint[], xs: readonly L[], bias: bigint): L
  /** A new private wire; `hint` computes its value (called only when computing a witness). */
  wire(hint: () => bigint): L
  /** Reduces a witness value mod P (no-op while building); call after multiplying by large constants. */
  norm(a: L): L
  /** a · b = c. */
  enforce(a: L, b: L, c: L): void
  /** The value of a linear combination (witness mode only), in [0, P). */
  value(a: L): bigint
  /** The value read as a signed integer (witness mode only). */
  int(a: L): bigint
  /** Binds public signal `index` (0-based) to `a`. */
  bindPublic(index: number, a: L): void
  readonly nWires: number
}

export type R1cs = {
  nWires: number
  nPublic: number
  constraints: Array<[Lc, Lc, Lc]>
}

function lcAddInto(target: Lc, source: Lc, factor: bigint): void {
  for (const [w, c] of source) {
    const v = mod((target.get(w) ?? 0n) + c * factor)
    if (v === 0n) target.delete(w)
    else target.set(w, v)
  }
}

export class BuildCs implements Cs<Lc> {
  readonly building = true
  nWires: number
  readonly nPublic: number
  readonly constraints: Array<[Lc, Lc, Lc]> = []
  private readonly bound = new Set<number>()

  constructor(nPublic: number) {
    this.nPublic = nPublic
    this.nWires = 1 + nPublic
  }

  constant(c: bigint): Lc {
    const v = mod(c)
    return v === 0n ? new Map() : new Map([[0, v]])
  }

  add(a: Lc, b: Lc): Lc {
    const out = new Map(a)
    lcAddInto(out, b, 1n)
    return out
  }

  sub(a: Lc, b: Lc): Lc {
    const out = new Map(a)
    lcAddInto(out, b, P - 1n)
    return out
  }

  scale(a: Lc, c: bigint): Lc {
    const f = mod(c)
    const out: Lc = new Map()
    if (f === 0n) return out
    for (const [w, v] of a) out.set(w, (v * f) % P)
    return out
  }

  dot(coeffs: ArrayLike<number> | readonly bigint[], xs: readonly Lc[], bias: bigint): Lc {
    // Accumulate unreduced, reduce once: dense layers add hundreds of terms per wire.
    const acc = new Map<number, bigint>()
    if (bias !== 0n) acc.set(0, bias)
    for (let i = 0; i < xs.length; i++) {
      const c = BigInt(coeffs[i]!)
      if (c === 0n) continue
      for (const [w, v] of xs[i]!) acc.set(w, (acc.get(w) ?? 0n) + v * c)
    }
    const out: Lc = new Map()
    for (const [w, v] of acc) {
      const r = mod(v)
      if (r !== 0n) out.set(w, r)
    }
    return out
  }

  norm(a: Lc): Lc {
    return a
  }

  wire(): Lc {
    return new Map([[this.nWires++, 1n]])
  }

  enforce(a: Lc, b: Lc, c: Lc): void {
    this.constraints.push([a, b, c])
  }

  value(): bigint {
    throw new Error('value() is only available while computing a witness')
  }

  int(): bigint {
    throw new Error('int() is only available while computing a witness')
  }

  bindPublic(index: number, a: Lc): void {
    if (index < 0 || index >= this.nPublic || this.bound.has(index)) throw new Error(`public signal ${index} bound twice or out of range`)
    this.bound.add(index)
    this.enforce(a, this.constant(1n), new Map([[1 + index, 1n]]))
  }

  finish(): R1cs {
    if (this.bound.size !== this.nPublic) throw new Error(`only ${this.bound.size} of ${this.nPublic} public signals were bound`)
    return { nWires: this.nWires, nPublic: this.nPublic, constraints: this.constraints }
  }
}

/** Witness mode: a value is an integer congruent to the wire's field value (reduced lazily). */
export class WitnessCs implements Cs<bigint> {
  readonly building = false
  readonly values: bigint[]
  private readonly nPublic: number

  constructor(nPublic: number) {
    this.nPublic = nPublic
    this.values = [1n]
    for (let i = 0; i < nPublic; i++) this.values.push(0n)
  }

  get nWires(): number {
    return this.values.length
  }

  constant(c: bigint): bigint {
    return c
  }

  add(a: bigint, b: bigint): bigint {
    return a + b
  }

  sub(a: bigint, b: bigint): bigint {
    return a - b
  }

  scale(a: bigint, c: bigint): bigint {
    return a * c
  }

  dot(coeffs: ArrayLike<number> | readonly bigint[], xs: readonly bigint[], bias: bigint): bigint {
    let acc = bias
    for (let i = 0; i < xs.length; i++) {
      const c = coeffs[i]!
      if (c !== 0 && c !== 0n) acc += BigInt(c) * xs[i]!
    }
    return acc
  }

  norm(a: bigint): bigint {
    return mod(a)
  }

  wire(hint: () => bigint): bigint {
    const v = mod(hint())
    this.values.push(v)
    return v
  }

  enforce(): void {}

  value(a: bigint): bigint {
    return mod(a)
  }

  int(a: bigint): bigint {
    return signed(mod(a))
  }

  bindPublic(index: number, a: bigint): void {
    this.values[1 + index] = mod(a)
  }

  publicSignals(): bigint[] {
    return this.values.slice(1, 1 + this.nPublic)
  }
}

function evalLc(lc: Lc, w: readonly bigint[]): bigint {
  let s = 0n
  for (const [i, c] of lc) s += c * w[i]!
  return mod(s)
}

/** Index of the first constraint the witness violates, or -1 (used by tests and `compile --check`). */
export function firstViolatedConstraint(r1cs: R1cs, witness: readonly bigint[]): number {
  for (let i = 0; i < r1cs.constraints.length; i++) {
    const [a, b, c] = r1cs.constraints[i]!
    if (mod(evalLc(a, witness) * evalLc(b, witness)) !== evalLc(c, witness)) return i
  }
  return -1
}
