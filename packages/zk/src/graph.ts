/**
 * ONNX → a small float graph of the operators ZKML can prove, with shapes fixed for batch 1.
 * BatchNormalization is folded into the Conv/Gemm before it, a constant Add into that layer's bias,
 * Dropout/Identity disappear. Anything else fails with UNSUPPORTED_OPERATOR naming the op and node.
 */
import { VerityError } from '@verity/protocol'
import { decodeModel, type AttributeProto, type NodeProto, type TensorProto } from '@verity/onnx'

export const supportedOperators = [
  'Gemm', 'MatMul', 'Add', 'Conv', 'Relu', 'LeakyRelu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape',
  'BatchNormalization', 'Dropout', 'Identity', 'Constant',
] as const

export type Window = { kernel: [number, number]; strides: [number, number]; pads: [number, number, number, number] }

export type FOp =
  | { kind: 'dense'; node: string; input: string; output: string; inF: number; outF: number; W: Float64Array; b: Float64Array }
  | { kind: 'conv'; node: string; input: string; output: string; inC: number; outC: number; kh: number; kw: number; strides: [number, number]; pads: [number, number, number, number]; W: Float64Array; b: Float64Array }
  | { kind: 'relu'; node: string; input: string; output: string }
  | { kind: 'leakyrelu'; node: string; input: string; output: string; alpha: number }
  | ({ kind: 'maxpool' | 'avgpool'; node: string; input: string; output: string; countIncludePad: boolean } & Window)
  | { kind: 'reshape'; node: string; input: string; output: string }
  | { kind: 'add'; node: string; a: string; b: string; output: string }

export type FGraph = {
  input: { name: string; shape: number[] }
  /** `source` is the activation the output reads (after Identity/BatchNorm/bias-Add aliases). */
  outputs: Array<{ name: string; shape: number[]; source: string }>
  ops: FOp[]
  shapes: Map<string, number[]>
}

const toNumber = (v: unknown): number =>
  typeof v === 'number' ? v : v == null ? 0 : typeof (v as { toNumber?: unknown }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v)

function unsupported(message: string, details: Record<string, unknown>): VerityError {
  return new VerityError('UNSUPPORTED_OPERATOR', message, { details: { ...details, supported: [...supportedOperators] } })
}

function tensorValues(t: TensorProto): { dims: number[]; data: Float64Array } {
  const dims = (t.dims ?? []).map(toNumber)
  const n = dims.reduce((a, b) => a * b, 1)
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null
  const out = new Float64Array(n)
  switch (t.dataType) {
    case 1: for (let i = 0; i < n; i++) out[i] = view ? view.getFloat32(i * 4, true) : t.floatData![i]!; break
    case 11: for (let i = 0; i < n; i++) out[i] = view ? view.getFloat64(i * 8, true) : t.doubleData![i]!; break
    case 7: for (let i = 0; i < n; i++) out[i] = view ? Number(view.getBigInt64(i * 8, true)) : toNumber(t.int64Data![i]); break
    case 6: for (let i = 0; i < n; i++) out[i] = view ? view.getInt32(i * 4, true) : t.int32Data![i]!; break
    default: throw new VerityError('UNSUPPORTED_OPERATOR', `Initializer "${t.name}" has ONNX data type ${t.dataType}; ZKML reads float32, float64, int32 and int64 constants.`, { details: { initializer: t.name } })
  }
  return { dims, data: out }
}

function attrs(node: NodeProto): Map<string, AttributeProto> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]))
}
const attrInt = (a: Map<string, AttributeProto>, name: string, dflt: number): number => (a.has(name) ? toNumber(a.get(name)!.i) : dflt)
const attrFloat = (a: Map<string, AttributeProto>, name: string, dflt: number): number => (a.has(name) ? a.get(name)!.f ?? dflt : dflt)
const attrInts = (a: Map<string, AttributeProto>, name: string): number[] | null => (a.has(name) ? (a.get(name)!.ints ?? []).map(toNumber) : null)

/** Parses an ONNX model into the float graph ZKML compiles. */
export function parseGraph(bytes: Uint8Array): FGraph {
  const model = decodeModel(bytes)
  const graph = model.graph!
  const consts = new Map<string, { dims: number[]; data: Float64Array }>()
  for (const init of graph.initializer ?? []) consts.set(init.name ?? '', tensorValues(init))
  const initNames = new Set(consts.keys())
  const inputs = (graph.input ?? []).filter((i) => !initNames.has(i.name ?? ''))
  if (inputs.length !== 1) throw unsupported(`ZKML circuits take exactly one input tensor; this model has ${inputs.length} (${inputs.map((i) => i.name).join(', ')}).`, { inputs: inputs.map((i) => i.name) })
  const inInfo = inputs[0]!
  if ((inInfo.type?.tensorType?.elemType ?? 0) !== 1) throw unsupported(`ZKML circuits take a float32 input; input "${inInfo.name}" has ONNX type ${inInfo.type?.tensorType?.elemType}.`, { input: inInfo.name })
  const inShape = (inInfo.type?.tensorType?.shape?.dim ?? []).map((d, i) => {
    const v = toNumber(d.dimValue)
    if (v > 0) return v
    if (i === 0) return 1
    throw unsupported(`Input "${inInfo.name}" has a symbolic dimension ${i} (${d.dimParam}); ZKML circuits need fixed shapes except the batch.`, { input: inInfo.name, dim: i })
  })
  if (inShape[0] !== 1) throw unsupported(`ZKML proves one example at a time: input "${inInfo.name}" has batch ${inShape[0]}.`, { input: inInfo.name })

  const shapes = new Map<string, number[]>([[inInfo.name ?? '', inShape]])
  const alias = new Map<string, string>()
  const resolve = (n: string): string => alias.get(n) ?? n
  const ops: FOp[] = []
  const consumers = new Map<string, number>()
  for (const n of graph.node ?? []) for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1)
  for (const o of graph.output ?? []) consumers.set(o.name ?? '', (consumers.get(o.name ?? '') ?? 0) + 1)
  const producer = new Map<string, FOp>()

  const shapeOf = (name: string, node: NodeProto): number[] => {
    const s = shapes.get(resolve(name))
    if (!s) throw unsupported(`Node "${node.name}" (${node.opType}) reads "${name}", which is neither the input nor an activation ZKML computes.`, { node: node.name, op: node.opType })
    return s
  }
  const constant = (name: string, node: NodeProto, what: string) => {
    const c = consts.get(name)
    if (!c) throw unsupported(`Node "${node.name}" (${node.opType}): ${what} "${name}" must be a constant (initializer); ZKML bakes weights into the circuit.`, { node: node.name, op: node.opType, tensor: name })
    return c
  }
  const linearBefore = (name: string): (FOp & { kind: 'dense' | 'conv' }) | null => {
    const p = producer.get(resolve(name))
    return p && (p.kind === 'dense' || p.kind === 'conv') && (consumers.get(name) ?? 0) === 1 ? p : null
  }
  const emit = (op: FOp, shape: number[]) => {
    ops.push(op)
    shapes.set(op.output, shape)
    producer.set(op.output, op)
  }

  for (const node of graph.node ?? []) {
    const op = node.opType ?? ''
    const a = attrs(node)
    const name = node.name || node.output?.[0] || op
    const ins = node.input ?? []
    const out = node.output?.[0] ?? ''
    const where = { node: name, op }
    switch (op) {
      case 'Constant': {
        const t = a.get('value')?.t
        if (!t) throw unsupported(`Constant node "${name}" has no tensor value; ZKML reads tensor constants only.`, where)
        consts.set(out, tensorValues(t))
        break
      }
      case 'Identity': case 'Dropout':
        alias.set(out, resolve(ins[0]!))
        break
      case 'Gemm': case 'MatMul': {
        const x = resolve(ins[0]!)
        const xs = shapeOf(x, node)
        if (xs.length !== 2) throw unsupported(`${op} "${name}" reads a rank-${xs.length} tensor; ZKML supports ${op} on [1, features] (add a Flatten first).`, where)
        if (op === 'Gemm' && attrInt(a, 'transA', 0) !== 0) throw unsupported(`Gemm "${name}" has transA=1; ZKML supports transA=0.`, where)
        const B = constant(ins[1]!, node, 'the weight matrix')
        const transB = op === 'Gemm' ? attrInt(a, 'transB', 0) : 0
        const alpha = op === 'Gemm' ? attrFloat(a, 'alpha', 1) : 1
        const beta = op === 'Gemm' ? attrFloat(a, 'beta', 1) : 1
        const [r, c] = B.dims as [number, number]
        const inF = transB ? c : r
        const outF = transB ? r : c
        if (inF !== xs[1]) throw unsupported(`${op} "${name}": weight shape [${B.dims}] does not fit input [${xs}].`, where)
        const W = new Float64Array(inF * outF)
        for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) W[o * inF + i] = alpha * (transB ? B.data[o * inF + i]! : B.data[i * outF + o]!)
        const b = new Float64Array(outF)
        if (op === 'Gemm' && ins[2]) {
          const C = constant(ins[2], node, 'the bias')
          for (let o = 0; o < outF; o++) b[o] = beta * (C.data.length === 1 ? C.data[0]! : C.data[o]!)
        }
        emit({ kind: 'dense', node: name, input: x, output: out, inF, outF, W, b }, [1, outF])
        break
      }
      case 'Conv': {
        const x = resolve(ins[0]!)
        const xs = shapeOf(x, node)
        if (xs.length !== 4) throw unsupported(`Conv "${name}" reads a rank-${xs.length} tensor; ZKML supports 2-D Conv on NCHW.`, where)
        if (attrInt(a, 'group', 1) !== 1) throw unsupported(`Conv "${name}" is grouped (group=${attrInt(a, 'group', 1)}); ZKML supports group=1.`, where)
        if ((attrInts(a, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw unsupported(`Conv "${name}" is dilated; ZKML supports dilation 1.`, where)
        const autoPad = a.get('auto_pad')?.s ? new TextDecoder().decode(a.get('auto_pad')!.s!) : 'NOTSET'
        if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw unsupported(`Conv "${name}" uses auto_pad=${autoPad}; give explicit pads.`, where)
        const Wt = constant(ins[1]!, node, 'the kernel')
        const [outC, inC, kh, kw] = Wt.dims as [number, number, number, number]
        if (inC !== xs[1]) throw unsupported(`Conv "${name}": kernel [${Wt.dims}] does not fit input [${xs}].`, where)
        const strides = (attrInts(a, 'strides') ?? [1, 1]) as [number, number]
        const pads = (attrInts(a, 'pads') ?? [0, 0, 0, 0]) as number[]
        const p4: [number, number, number, number] = [pads[0]!, pads[1]!, pads[2]!, pads[3]!]
        const b = new Float64Array(outC)
        if (ins[2]) b.set(constant(ins[2], node, 'the bias').data)
        const oh = Math.floor((xs[2]! + p4[0] + p4[2] - kh) / strides[0]) + 1
        const ow = Math.floor((xs[3]! + p4[1] + p4[3] - kw) / strides[1]) + 1
        emit({ kind: 'conv', node: name, input: x, output: out, inC, outC, kh, kw, strides, pads: p4, W: Float64Array.from(Wt.data), b }, [1, outC, oh, ow])
        break
      }
      case 'BatchNormalization': {
        const prev = linearBefore(ins[0]!)
        if (!prev) throw unsupported(`BatchNormalization "${name}" does not follow a Conv or Gemm it can be folded into; ZKML supports BatchNormalization only right after one.`, where)
        const [g, beta, mean, v] = [1, 2, 3, 4].map((i) => constant(ins[i]!, node, 'a parameter').data) as [Float64Array, Float64Array, Float64Array, Float64Array]
        const eps = attrFloat(a, 'epsilon', 1e-5)
        const outC = prev.kind === 'dense' ? prev.outF : prev.outC
        const per = prev.W.length / outC
        for (let c = 0; c < outC; c++) {
          const f = g[c]! / Math.sqrt(v[c]! + eps)
          for (let j = 0; j < per; j++) prev.W[c * per + j]! *= f
          prev.b[c] = (prev.b[c]! - mean[c]!) * f + beta[c]!
        }
        alias.set(out, prev.output)
        break
      }
      case 'Add': {
        const [l, r] = [ins[0]!, ins[1]!]
        const cName = consts.has(l) ? l : consts.has(r) ? r : null
        if (cName !== null) {
          const prev = linearBefore(cName === l ? r : l)
          if (!prev) throw unsupported(`Add "${name}" adds a constant to something other than a Conv/Gemm/MatMul output; ZKML folds constant Adds into the layer before.`, where)
          const c = consts.get(cName)!.data
          const outC = prev.kind === 'dense' ? prev.outF : prev.outC
          if (c.length !== 1 && c.length !== outC) throw unsupported(`Add "${name}": a constant of ${c.length} values cannot be a per-channel bias for ${outC} channels.`, where)
          for (let o = 0; o < outC; o++) prev.b[o]! += c.length === 1 ? c[0]! : c[o]!
          alias.set(out, prev.output)
          break
        }
        const sa = shapeOf(l, node)
        const sb = shapeOf(r, node)
        if (sa.join() !== sb.join()) throw unsupported(`Add "${name}" broadcasts [${sa}] with [${sb}]; ZKML adds tensors of the same shape.`, where)
        emit({ kind: 'add', node: name, a: resolve(l), b: resolve(r), output: out }, sa)
        break
      }
      case 'LeakyRelu':
        emit({ kind: 'leakyrelu', node: name, input: resolve(ins[0]!), output: out, alpha: attrFloat(a, 'alpha', 0.01) }, shapeOf(ins[0]!, node))
        break
      case 'Relu':
        emit({ kind: 'relu', node: name, input: resolve(ins[0]!), output: out }, shapeOf(ins[0]!, node))
        break
      case 'MaxPool': case 'AveragePool': case 'GlobalAveragePool': {
        const x = resolve(ins[0]!)
        const xs = shapeOf(x, node)
        if (xs.length !== 4) throw unsupported(`${op} "${name}" reads a rank-${xs.length} tensor; ZKML supports 2-D pooling on NCHW.`, where)
        if (attrInt(a, 'ceil_mode', 0) !== 0) throw unsupported(`${op} "${name}" uses ceil_mode=1; ZKML supports ceil_mode=0.`, where)
        const global = op === 'GlobalAveragePool'
        const kernel = (global ? [xs[2]!, xs[3]!] : attrInts(a, 'kernel_shape')!) as [number, number]
        const strides = (global ? [1, 1] : attrInts(a, 'strides') ?? [1, 1]) as [number, number]
        const pads = (global ? [0, 0, 0, 0] : attrInts(a, 'pads') ?? [0, 0, 0, 0]) as [number, number, number, number]
        const oh = Math.floor((xs[2]! + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1
        const ow = Math.floor((xs[3]! + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1
        emit({ kind: op === 'MaxPool' ? 'maxpool' : 'avgpool', node: name, input: x, output: out, kernel, strides, pads, countIncludePad: attrInt(a, 'count_include_pad', 0) === 1 }, [xs[0]!, xs[1]!, oh, ow])
        break
      }
      case 'Flatten': case 'Reshape': {
        const x = resolve(ins[0]!)
        const xs = shapeOf(x, node)
        const n = xs.reduce((p, q) => p * q, 1)
        let shape: number[]
        if (op === 'Flatten') {
          const axis = attrInt(a, 'axis', 1)
          shape = [xs.slice(0, axis).reduce((p, q) => p * q, 1), xs.slice(axis).reduce((p, q) => p * q, 1)]
        } else {
          const target = Array.from(constant(ins[1]!, node, 'the target shape').data, (d, i) => (d === 0 ? xs[i]! : d))
          const known = target.filter((d) => d !== -1).reduce((p, q) => p * q, 1)
          shape = target.map((d) => (d === -1 ? n / known : d))
        }
        if (shape.reduce((p, q) => p * q, 1) !== n || shape[0] !== 1) throw unsupported(`${op} "${name}" gives shape [${shape}] from [${xs}]; ZKML needs the batch (1) first and the same element count.`, where)
        emit({ kind: 'reshape', node: name, input: x, output: out }, shape)
        break
      }
      default:
        throw unsupported(`Operator ${op} (node "${name}") is not supported by ZKML. Supported: ${supportedOperators.join(', ')}.`, where)
    }
  }
  const outputs = (graph.output ?? []).map((o) => {
    const n = resolve(o.name ?? '')
    const s = shapes.get(n)
    if (!s) throw unsupported(`Graph output "${o.name}" is not computed by a supported operator.`, { output: o.name })
    return { name: o.name ?? '', shape: s, source: n }
  })
  return { input: { name: inInfo.name ?? '', shape: inShape }, outputs, ops, shapes }
}

/** Runs the float graph (float64 math) for calibration; returns every activation by name. */
export function runFloat(g: FGraph, input: Float64Array): Map<string, Float64Array> {
  const vals = new Map<string, Float64Array>([[g.input.name, input]])
  for (const op of g.ops) {
    switch (op.kind) {
      case 'dense': {
        const x = vals.get(op.input)!
        const y = new Float64Array(op.outF)
        for (let o = 0; o < op.outF; o++) {
          let s = op.b[o]!
          for (let i = 0; i < op.inF; i++) s += op.W[o * op.inF + i]! * x[i]!
          y[o] = s
        }
        vals.set(op.output, y)
        break
      }
      case 'conv': {
        const x = vals.get(op.input)!
        const [, C, H, Wd] = g.shapes.get(op.input)!
        const [, , OH, OW] = g.shapes.get(op.output)!
        const y = new Float64Array(op.outC * OH! * OW!)
        convForEach(op, C!, H!, Wd!, OH!, OW!, (o, oy, ox, taps) => {
          let s = op.b[o]!
          for (const [wi, xi] of taps) s += op.W[wi]! * x[xi]!
          y[(o * OH! + oy) * OW! + ox] = s
        })
        vals.set(op.output, y)
        break
      }
      case 'relu':
        vals.set(op.output, vals.get(op.input)!.map((v) => Math.max(0, v)))
        break
      case 'leakyrelu':
        vals.set(op.output, vals.get(op.input)!.map((v) => (v >= 0 ? v : op.alpha * v)))
        break
      case 'maxpool': case 'avgpool': {
        const x = vals.get(op.input)!
        const [, C, H, Wd] = g.shapes.get(op.input)!
        const [, , OH, OW] = g.shapes.get(op.output)!
        const y = new Float64Array(C! * OH! * OW!)
        poolForEach(op, C!, H!, Wd!, OH!, OW!, (idx, taps, count) => {
          y[idx] = op.kind === 'maxpool' ? Math.max(...taps.map((t) => x[t]!)) : taps.reduce((s, t) => s + x[t]!, 0) / count
        })
        vals.set(op.output, y)
        break
      }
      case 'reshape':
        vals.set(op.output, vals.get(op.input)!)
        break
      case 'add': {
        const a = vals.get(op.a)!
        const b = vals.get(op.b)!
        vals.set(op.output, a.map((v, i) => v + b[i]!))
        break
      }
    }
  }
  return vals
}

/** Calls fn for each conv output with its (weight index, input index) taps inside the padded image. */
export function convForEach(op: FOp & { kind: 'conv' }, C: number, H: number, W: number, OH: number, OW: number, fn: (o: number, oy: number, ox: number, taps: Array<[number, number]>) => void): void {
  for (let o = 0; o < op.outC; o++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const taps: Array<[number, number]> = []
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < op.kh; ky++) {
            const iy = oy * op.strides[0] - op.pads[0] + ky
            if (iy < 0 || iy >= H) continue
            for (let kx = 0; kx < op.kw; kx++) {
              const ix = ox * op.strides[1] - op.pads[1] + kx
              if (ix < 0 || ix >= W) continue
              taps.push([((o * C + c) * op.kh + ky) * op.kw + kx, (c * H + iy) * W + ix])
            }
          }
        }
        fn(o, oy, ox, taps)
      }
    }
  }
}

/** Calls fn for each pooling output with its input indices and the divisor AveragePool uses. */
export function poolForEach(op: Window & { countIncludePad: boolean }, C: number, H: number, W: number, OH: number, OW: number, fn: (index: number, taps: number[], count: number) => void): void {
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const taps: number[] = []
        for (let ky = 0; ky < op.kernel[0]; ky++) {
          const iy = oy * op.strides[0] - op.pads[0] + ky
          if (iy < 0 || iy >= H) continue
          for (let kx = 0; kx < op.kernel[1]; kx++) {
            const ix = ox * op.strides[1] - op.pads[1] + kx
            if (ix < 0 || ix >= W) continue
            taps.push((c * H + iy) * W + ix)
          }
        }
        fn((c * OH + oy) * OW + ox, taps, op.countIncludePad ? op.kernel[0] * op.kernel[1] : taps.length)
      }
    }
  }
}
