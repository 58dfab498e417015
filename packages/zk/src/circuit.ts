/**
 * The ZKML circuit of a plan, written once against `Cs` (see cs.ts): building it gives the R1CS,
 * running it on an input gives the witness and the integer reference output. Public signals, in order:
 *
 *   [0] modelTag  = sha2-256 digest of the model file (from its CID) >> 3, a constant of the circuit
 *   [1] inputHash = Poseidon hash of the quantized input bytes (inputHash.ts)
 *   [2…] outputs  = the output integers, row-major, graph outputs in order (negative x as P - x);
 *                   or, when plan.outputCommitment is 'poseidon', one signal: their output hash
 */
import type { Cs } from './cs.ts'
import { hashInputGadget, hashOutputGadget } from './poseidonGadget.ts'
import type { Plan, QOp } from './plan.ts'
import { poolForEach } from './graph.ts'

export type CircuitCosts = Map<string, number>

export function publicSignalCount(plan: Plan): number {
  return plan.outputCommitment === 'poseidon' ? 3 : 2 + plan.outputs.reduce((n, o) => n + o.shape.reduce((a, b) => a * b, 1), 0)
}

/** K-bit two's-complement-style decomposition of v + 2^(K-1); proves -2^(K-1) <= v < 2^(K-1). */
function decompose<L>(cs: Cs<L>, v: L, K: number, where: string): L[] {
  const offset = 1n << BigInt(K - 1)
  let shifted = 0n
  if (!cs.building) {
    shifted = cs.int(v) + offset
    if (shifted < 0n || shifted >= 1n << BigInt(K)) throw new Error(`internal: ${where} value ${cs.int(v)} exceeds its proven ${K}-bit range`)
  }
  const bits: L[] = []
  const one = cs.constant(1n)
  const zero = cs.constant(0n)
  for (let i = 0; i < K; i++) {
    const b = cs.wire(() => (shifted >> BigInt(i)) & 1n)
    cs.enforce(b, cs.sub(b, one), zero)
    bits.push(b)
  }
  cs.enforce(cs.dot(bits.map((_, i) => 1n << BigInt(i)), bits, 0n), one, cs.add(v, cs.constant(offset)))
  return bits
}

function materialize<L>(cs: Cs<L>, v: L): L {
  const w = cs.wire(() => cs.value(v))
  cs.enforce(v, cs.constant(1n), w)
  return w
}

export function modelTagFromDigest(digest: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(digest).toString('hex')}`) >> 3n
}

/**
 * Runs the circuit. `inputBytes` is null while building. `costs` (optional) collects constraints per node.
 */
export function zkmlCircuit<L>(cs: Cs<L>, plan: Plan, modelTag: bigint, inputBytes: Uint8Array | null, costs?: CircuitCosts): L[] {
  const count = (node: string, before: number) => costs?.set(node, (costs.get(node) ?? 0) + (constraintsOf(cs) - before))
  const values = new Map<string, L[]>()
  const nIn = plan.input.shape.reduce((a, b) => a * b, 1)
  const one = cs.constant(1n)
  const zero = cs.constant(0n)

  let before = constraintsOf(cs)
  const bytes: L[] = []
  const xs: L[] = []
  const zp = cs.constant(BigInt(plan.input.zeroPoint))
  for (let i = 0; i < nIn; i++) {
    const byte = inputBytes ? BigInt(inputBytes[i]!) : 0n
    const x = cs.wire(() => byte)
    const bits: L[] = []
    for (let j = 0; j < 8; j++) {
      const b = cs.wire(() => (byte >> BigInt(j)) & 1n)
      cs.enforce(b, cs.sub(b, one), zero)
      bits.push(b)
    }
    cs.enforce(cs.dot([1, 2, 4, 8, 16, 32, 64, 128], bits, 0n), one, x)
    bytes.push(x)
    xs.push(cs.sub(x, zp))
  }
  values.set(plan.input.name, xs)
  count('input (byte range checks)', before)

  for (const op of plan.ops) {
    before = constraintsOf(cs)
    values.set(op.output, runOp(cs, op, values))
    count(op.node, before)
  }

  before = constraintsOf(cs)
  cs.bindPublic(0, cs.constant(modelTag))
  cs.bindPublic(1, hashInputGadget(cs, bytes))
  const outputs = plan.outputs.flatMap((o) => values.get(o.source)!)
  if (plan.outputCommitment === 'poseidon') cs.bindPublic(2, hashOutputGadget(cs, outputs))
  else outputs.forEach((v, i) => cs.bindPublic(2 + i, v))
  count('input hash + public signals', before)
  return outputs
}

function constraintsOf<L>(cs: Cs<L>): number {
  return (cs as unknown as { constraints?: unknown[] }).constraints?.length ?? 0
}

function runOp<L>(cs: Cs<L>, op: QOp, values: Map<string, L[]>): L[] {
  switch (op.kind) {
    case 'dense': {
      const x = values.get(op.input)!
      const out: L[] = []
      for (let o = 0; o < op.outF; o++) out.push(cs.dot(op.W.slice(o * op.inF, (o + 1) * op.inF), x, BigInt(op.b[o]!)))
      return out
    }
    case 'conv': {
      const x = values.get(op.input)!
      const out: L[] = []
      for (let o = 0; o < op.outC; o++) {
        for (let oy = 0; oy < op.OH; oy++) {
          for (let ox = 0; ox < op.OW; ox++) {
            const coeffs: number[] = []
            const taps: L[] = []
            for (let c = 0; c < op.inC; c++) {
              for (let ky = 0; ky < op.kh; ky++) {
                const iy = oy * op.strides[0] - op.pads[0] + ky
                if (iy < 0 || iy >= op.inH) continue
                for (let kx = 0; kx < op.kw; kx++) {
                  const ix = ox * op.strides[1] - op.pads[1] + kx
                  if (ix < 0 || ix >= op.inW) continue
                  coeffs.push(op.W[((o * op.inC + c) * op.kh + ky) * op.kw + kx]!)
                  taps.push(x[(c * op.inH + iy) * op.inW + ix]!)
                }
              }
            }
            out.push(cs.dot(coeffs, taps, BigInt(op.b[o]!)))
          }
        }
      }
      return out
    }
    case 'requant': {
      const ins = op.inputs.map((n) => values.get(n)!)
      const half = op.k > 0 ? 1n << BigInt(op.k - 1) : 0n
      const out: L[] = []
      for (let e = 0; e < ins[0]!.length; e++) {
        const v = cs.dot(op.m.map((row) => BigInt(row[e]!)), ins.map((t) => t[e]!), half)
        const K = op.K[e]!
        const bits = decompose(cs, v, K, `${op.node}[${e}]`)
        const k = op.k
        if (op.relu) {
          const sign = bits[K - 1]!
          const mag = cs.dot(bits.slice(k, K - 1).map((_, i) => 1n << BigInt(i)), bits.slice(k, K - 1), 0n)
          const r = cs.wire(() => cs.value(sign) * cs.value(mag))
          cs.enforce(sign, mag, r)
          out.push(r)
        } else if (op.leaky) {
          // Both branches are proven; the sign bit of v picks one: out = qn + s·(q - qn).
          const q = cs.dot(bits.slice(k).map((_, i) => 1n << BigInt(i)), bits.slice(k), -(1n << BigInt(K - 1 - k)))
          const a = BigInt(op.leaky.a)
          const kt = k + op.leaky.t
          const K2 = op.leaky.K[e]!
          const v2 = cs.dot(op.m.map((row) => BigInt(row[e]!) * a), ins.map((t) => t[e]!), 1n << BigInt(kt - 1))
          const bits2 = decompose(cs, v2, K2, `${op.node}[${e}] (negative branch)`)
          const qn = cs.dot(bits2.slice(kt).map((_, i) => 1n << BigInt(i)), bits2.slice(kt), -(1n << BigInt(K2 - 1 - kt)))
          const sign = bits[K - 1]!
          const diff = cs.sub(q, qn)
          const pick = cs.wire(() => cs.value(sign) * cs.value(diff))
          cs.enforce(sign, diff, pick)
          out.push(materialize(cs, cs.add(qn, pick)))
        } else {
          const q = cs.dot(bits.slice(k).map((_, i) => 1n << BigInt(i)), bits.slice(k), -(1n << BigInt(K - 1 - k)))
          out.push(materialize(cs, q))
        }
      }
      return out
    }
    case 'maxpool': case 'sumpool': {
      const x = values.get(op.input)!
      const out: L[] = []
      poolForEach(op, op.C, op.H, op.W, op.OH, op.OW, (i, taps) => {
        if (op.kind === 'sumpool') {
          out[i] = cs.dot(taps.map(() => 1), taps.map((t) => x[t]!), 0n)
          return
        }
        let cur: L = x[taps[0]!] as L
        for (let j = 1; j < taps.length; j++) {
          const d = cs.sub(x[taps[j]!]!, cur)
          const bits = decompose(cs, d, op.K, `${op.node}[${i}]`)
          const s = bits[op.K - 1]!
          const t = cs.wire(() => cs.value(s) * cs.value(d))
          cs.enforce(s, d, t)
          cur = cs.add(cur, t)
        }
        out[i] = cur
      })
      return out
    }
    case 'reshape':
      return values.get(op.input)!
  }
}
