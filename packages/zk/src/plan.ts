/**
 * Quantization: turns the float graph plus calibration samples into an integer plan, the exact
 * arithmetic the circuit proves and the reference executor runs.
 *
 * - Input: one byte per element, q = clamp(round(x / scale) + zeroPoint, 0, 255); the circuit uses q - zeroPoint.
 * - Weights: int8, symmetric, per output channel (per tensor for a layer that produces a graph output,
 *   so its outputs share one scale); biases: integers at the accumulator's scale.
 * - Every integer tensor carries a scale per element (real ≈ int · scale) and a proven bound on |int|
 *   (worst case over all inputs, from the weights: no input can overflow what the circuit range-checks).
 * - Requantization: q = floor((Σ_t acc_t · m_t + 2^(k-1)) / 2^k), fused with Relu where one follows;
 *   target scales come from calibration (max |activation| maps to 127, or 255 after Relu).
 * - AveragePool is a sum whose divisor moves into the scale; MaxPool compares small integers.
 */
import { VerityError } from '@verity/protocol'
import { convForEach, poolForEach, runFloat, type FGraph, type FOp, type Window } from './graph.ts'
import { quantizeInputValues } from './verify.ts'

export type QOp =
  | { kind: 'dense'; node: string; input: string; output: string; inF: number; outF: number; W: number[]; b: string[] }
  | { kind: 'conv'; node: string; input: string; output: string; inC: number; inH: number; inW: number; outC: number; OH: number; OW: number; kh: number; kw: number; strides: [number, number]; pads: [number, number, number, number]; W: number[]; b: string[] }
  | { kind: 'requant'; node: string; inputs: string[]; output: string; m: string[][]; k: number; K: number[]; relu: boolean; leaky?: LeakyBranch | undefined }
  | ({ kind: 'maxpool' | 'sumpool'; node: string; input: string; output: string; C: number; H: number; W: number; OH: number; OW: number; K: number; countIncludePad: boolean } & Window)
  | { kind: 'reshape'; node: string; input: string; output: string }

/** LeakyRelu's negative branch: q' = floor((Σ acc·m·a + 2^(k+t-1)) / 2^(k+t)), a = round(alpha · 2^t). */
export type LeakyBranch = { a: string; t: number; K: number[] }

export type LayerReport = { node: string; op: string; output: string; elements: number; scale: number; bound: string; bits: number }

export type Plan = {
  version: 1
  input: { name: string; shape: number[]; scale: number; zeroPoint: number }
  outputs: Array<{ name: string; shape: number[]; source: string; scales: number[]; dtype: 'int32' | 'int64' }>
  ops: QOp[]
  layers: LayerReport[]
  /** 'public': every output integer is a public signal; 'poseidon': one signal, their hash. */
  outputCommitment: 'public' | 'poseidon'
}

type QT = { scale: Float64Array; bound: bigint[] }

const SMALL = 1n << 20n
const M_BITS = 10

const bitLength = (x: bigint): number => (x <= 0n ? 0 : x.toString(2).length)
const abs = (x: bigint): bigint => (x < 0n ? -x : x)
const uniform = (s: Float64Array): boolean => s.every((v) => v === s[0])
const maxOf = (b: bigint[]): bigint => b.reduce((a, c) => (c > a ? c : a), 0n)

/** Max |value| of every activation over the calibration set. */
export function calibrate(g: FGraph, samples: readonly Float64Array[]): Map<string, number> {
  const stats = new Map<string, number>()
  let inMin = Infinity
  for (const x of samples) {
    const vals = runFloat(g, x)
    for (const [name, v] of vals) {
      let m = stats.get(name) ?? 0
      for (const e of v) if (Math.abs(e) > m) m = Math.abs(e)
      stats.set(name, m)
    }
    for (const e of x) inMin = Math.min(inMin, e)
  }
  stats.set('\u0000inputMin', inMin)
  return stats
}

/** The input quantization (one definition, shared with the browser-safe verifier). */
export const quantizeInput = quantizeInputValues

export function buildPlan(g: FGraph, stats: Map<string, number>, outputCommitment: Plan['outputCommitment'] = 'public'): Plan {
  const maxAbs = (name: string) => stats.get(name) || 1
  const inputNonNegative = (stats.get('\u0000inputMin') ?? 0) >= 0
  const inScale = inputNonNegative ? maxAbs(g.input.name) / 255 : maxAbs(g.input.name) / 127
  const zeroPoint = inputNonNegative ? 0 : 128
  const inN = g.input.shape.reduce((a, b) => a * b, 1)
  const tensors = new Map<string, QT>([[g.input.name, { scale: new Float64Array(inN).fill(inScale), bound: new Array(inN).fill(BigInt(Math.max(zeroPoint, 255 - zeroPoint))) }]])
  const ops: QOp[] = []
  const layers: LayerReport[] = []
  const outputSources = new Set(g.outputs.map((o) => o.source))
  let fresh = 0

  const record = (node: string, op: string, output: string, K = 0) => {
    const t = tensors.get(output)!
    layers.push({ node, op, output, elements: t.bound.length, scale: t.scale[0]!, bound: maxOf(t.bound).toString(), bits: K })
  }

  /** Emits a requantization of `inputs` (summed) to one target scale; returns the new tensor name. */
  const requant = (node: string, inputs: string[], target: number, relu: boolean, output?: string, alpha?: number): string => {
    const ts = inputs.map((n) => tensors.get(n)!)
    const n = ts[0]!.bound.length
    let maxM = 0
    for (const t of ts) for (const s of t.scale) maxM = Math.max(maxM, s / target)
    const k = Math.max(0, M_BITS - Math.ceil(Math.log2(maxM || 1)))
    const m = ts.map((t) => Array.from(t.scale, (s) => BigInt(Math.round((s / target) * 2 ** k))))
    const half = k > 0 ? 1n << BigInt(k - 1) : 0n
    const K: number[] = []
    const bound: bigint[] = []
    for (let e = 0; e < n; e++) {
      let v = half
      for (let j = 0; j < ts.length; j++) v += ts[j]!.bound[e]! * abs(m[j]![e]!)
      K.push(Math.max(bitLength(v) + 1, k + 1))
      bound.push((v >> BigInt(k)) + 1n)
    }
    const out = output ?? `${inputs[0]}\u0000q${fresh++}`
    let leaky: LeakyBranch | undefined
    if (alpha !== undefined) {
      const t = 12
      const a = BigInt(Math.round(alpha * 2 ** t))
      const half2 = 1n << BigInt(k + t - 1)
      const K2: number[] = []
      for (let e = 0; e < n; e++) {
        let v = half2
        for (let j = 0; j < ts.length; j++) v += ts[j]!.bound[e]! * abs(m[j]![e]! * a)
        K2.push(Math.max(bitLength(v) + 1, k + t + 1))
      }
      leaky = { a: a.toString(), t, K: K2 }
    }
    tensors.set(out, { scale: new Float64Array(n).fill(target), bound })
    ops.push({ kind: 'requant', node, inputs, output: out, m: m.map((r) => r.map(String)), k, K, relu, leaky })
    record(node, leaky ? 'Requant+LeakyRelu' : relu ? 'Requant+Relu' : 'Requant', out, Math.max(...K) + (leaky ? Math.max(...leaky.K) : 0))
    return out
  }

  /** A tensor a linear layer or MaxPool can read: one scale (when `sameScale`) and small values. */
  const small = (node: string, name: string, floatName: string, sameScale: boolean): string => {
    const t = tensors.get(name)!
    if ((!sameScale || uniform(t.scale)) && maxOf(t.bound) <= SMALL) return name
    return requant(node, [name], maxAbs(floatName) / 127, false)
  }

  const weights = (W: Float64Array, outC: number, perTensor: boolean) => {
    const per = W.length / outC
    const sw = new Float64Array(outC)
    const all = W.reduce((a, v) => Math.max(a, Math.abs(v)), 0)
    for (let c = 0; c < outC; c++) {
      let mx = 0
      for (let j = 0; j < per; j++) mx = Math.max(mx, Math.abs(W[c * per + j]!))
      sw[c] = (perTensor ? all : mx) / 127 || 1
    }
    const Wq = Array.from(W, (w, i) => Math.round(w / sw[Math.floor(i / per)]!))
    return { Wq, sw }
  }

  for (const op of g.ops as FOp[]) {
    switch (op.kind) {
      case 'dense': case 'conv': {
        const x = small(op.node, op.input, op.input, true)
        const tx = tensors.get(x)!
        const sIn = tx.scale[0]!
        const outC = op.kind === 'dense' ? op.outF : op.outC
        const { Wq, sw } = weights(op.W, outC, outputSources.has(op.output))
        const bq = Array.from(op.b, (b, c) => BigInt(Math.round(b / (sIn * sw[c]!))))
        const outShape = g.shapes.get(op.output)!
        const n = outShape.reduce((a, b) => a * b, 1)
        const scale = new Float64Array(n)
        const bound: bigint[] = new Array(n).fill(0n)
        if (op.kind === 'dense') {
          for (let o = 0; o < op.outF; o++) {
            let b = abs(bq[o]!)
            for (let i = 0; i < op.inF; i++) b += BigInt(Math.abs(Wq[o * op.inF + i]!)) * tx.bound[i]!
            bound[o] = b
            scale[o] = sIn * sw[o]!
          }
          ops.push({ kind: 'dense', node: op.node, input: x, output: op.output, inF: op.inF, outF: op.outF, W: Wq, b: bq.map(String) })
        } else {
          const [, C, H, W] = g.shapes.get(op.input)! as [number, number, number, number]
          const [, , OH, OW] = outShape as [number, number, number, number]
          convForEach(op, C, H, W, OH, OW, (o, oy, ox, taps) => {
            const idx = (o * OH + oy) * OW + ox
            let b = abs(bq[o]!)
            for (const [wi, xi] of taps) b += BigInt(Math.abs(Wq[wi]!)) * tx.bound[xi]!
            bound[idx] = b
            scale[idx] = sIn * sw[o]!
          })
          ops.push({ kind: 'conv', node: op.node, input: x, output: op.output, inC: C, inH: H, inW: W, outC: op.outC, OH, OW, kh: op.kh, kw: op.kw, strides: op.strides, pads: op.pads, W: Wq, b: bq.map(String) })
        }
        tensors.set(op.output, { scale, bound })
        record(op.node, op.kind === 'dense' ? 'Gemm' : 'Conv', op.output)
        break
      }
      case 'relu': {
        const t = tensors.get(op.input)!
        // Relu of small values at one scale is exact with m = 1; otherwise requantize to the calibrated range.
        if (uniform(t.scale) && maxOf(t.bound) <= SMALL) requant(op.node, [op.input], t.scale[0]!, true, op.output)
        else requant(op.node, [op.input], maxAbs(op.output) / 255, true, op.output)
        break
      }
      case 'leakyrelu': {
        requant(op.node, [op.input], maxAbs(op.output) / 127, false, op.output, op.alpha)
        break
      }
      case 'add': {
        requant(op.node, [op.a, op.b], maxAbs(op.output) / 127, false, op.output)
        break
      }
      case 'maxpool': case 'avgpool': {
        const [, C, H, W] = g.shapes.get(op.input)! as [number, number, number, number]
        const [, , OH, OW] = g.shapes.get(op.output)! as [number, number, number, number]
        const x = op.kind === 'maxpool' ? small(op.node, op.input, op.input, false) : op.input
        let tx = tensors.get(x)!
        let xin = x
        let ok = true
        poolForEach(op, C, H, W, OH, OW, (_i, taps) => { if (taps.some((t) => tx.scale[t] !== tx.scale[taps[0]!])) ok = false })
        if (!ok) {
          xin = requant(op.node, [x], maxAbs(op.input) / 127, false)
          tx = tensors.get(xin)!
        }
        const scale = new Float64Array(C * OH * OW)
        const bound: bigint[] = new Array(C * OH * OW).fill(0n)
        poolForEach(op, C, H, W, OH, OW, (i, taps, count) => {
          if (op.kind === 'maxpool') {
            scale[i] = tx.scale[taps[0]!]!
            bound[i] = taps.reduce((a, t) => (tx.bound[t]! > a ? tx.bound[t]! : a), 0n)
          } else {
            scale[i] = tx.scale[taps[0]!]! / count
            bound[i] = taps.reduce((a, t) => a + tx.bound[t]!, 0n)
          }
        })
        const K = bitLength(2n * maxOf(tx.bound)) + 1
        ops.push({ kind: op.kind === 'maxpool' ? 'maxpool' : 'sumpool', node: op.node, input: xin, output: op.output, C, H, W, OH, OW, K, kernel: op.kernel, strides: op.strides, pads: op.pads, countIncludePad: op.countIncludePad })
        tensors.set(op.output, { scale, bound })
        record(op.node, op.kind === 'maxpool' ? 'MaxPool' : 'AveragePool', op.output, op.kind === 'maxpool' ? K : 0)
        break
      }
      case 'reshape': {
        tensors.set(op.output, tensors.get(op.input)!)
        ops.push({ kind: 'reshape', node: op.node, input: op.input, output: op.output })
        break
      }
    }
  }
  const outputs = g.outputs.map((o) => {
    const t = tensors.get(o.source)
    if (!t) throw new VerityError('UNSUPPORTED_OPERATOR', `Graph output "${o.name}" is not computed by the circuit.`, { details: { output: o.name } })
    return { name: o.name, shape: o.shape, source: o.source, scales: Array.from(t.scale), dtype: maxOf(t.bound) < 2n ** 31n ? 'int32' as const : 'int64' as const }
  })
  return { version: 1, input: { name: g.input.name, shape: g.input.shape, scale: inScale, zeroPoint }, outputs, ops, layers, outputCommitment }
}
