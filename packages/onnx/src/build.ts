/**
 * Building ONNX models in code: used to generate the sample models Verity ships and the models its
 * tests and benchmarks run. Weights are stored as raw little-endian initializers.
 */
import type { DType } from '@verity/protocol'
import { onnx, type AttributeProto, type NodeProto, type TensorProto } from './proto.ts'
import { dtypeToOnnx, type Dim } from './types.ts'

export type IoSpec = { name: string; dtype: DType; shape: Dim[] }
export type AttrValue = number | string | number[] | { floats: number[] } | { tensor: TensorProto }
export type NodeSpec = { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, AttrValue>; domain?: string }

export type BuildModelParameters = {
  name: string
  inputs: IoSpec[]
  outputs: IoSpec[]
  nodes: NodeSpec[]
  initializers?: TensorProto[]
  opset?: number
  producer?: string
  docString?: string
}

function valueInfo(io: IoSpec) {
  return onnx.ValueInfoProto.create({
    name: io.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: dtypeToOnnx(io.dtype),
        shape: onnx.TensorShapeProto.create({
          dim: io.shape.map((d) => (typeof d === 'number' ? onnx.TensorShapeProto.Dimension.create({ dimValue: d }) : onnx.TensorShapeProto.Dimension.create({ dimParam: d ?? 'unk' }))),
        }),
      }),
    }),
  })
}

function attribute(name: string, value: AttrValue): AttributeProto {
  const A = onnx.AttributeProto.AttributeType
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value }
  }
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) }
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value }
  if ('floats' in value) return { name, type: A.FLOATS, floats: value.floats }
  return { name, type: A.TENSOR, t: value.tensor }
}

export function node(spec: NodeSpec): NodeProto {
  return onnx.NodeProto.create({
    opType: spec.op,
    input: spec.inputs,
    output: spec.outputs,
    name: spec.name ?? spec.outputs[0] ?? spec.op,
    domain: spec.domain ?? '',
    attribute: Object.entries(spec.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  })
}

/** A float32 initializer from values (row-major). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values as ArrayLike<number>)
  return onnx.TensorProto.create({ name, dims, dataType: 1, rawData: new Uint8Array(data.buffer) })
}

/** An int64 initializer (shapes for Reshape, axes, ...). */
export function int64Tensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)))
  return onnx.TensorProto.create({ name, dims, dataType: 7, rawData: new Uint8Array(data.buffer) })
}

/** An int32 initializer (token ids, int32 comparisons). */
export function int32Tensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = Int32Array.from(values as ArrayLike<number>)
  return onnx.TensorProto.create({ name, dims, dataType: 6, rawData: new Uint8Array(data.buffer) })
}

/** Serializes a model (ir_version 8, default opset 13). */
export function buildModel(p: BuildModelParameters): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: p.producer ?? 'verity',
    producerVersion: '0.1',
    docString: p.docString ?? '',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: p.opset ?? 13 })],
    graph: onnx.GraphProto.create({
      name: p.name,
      node: p.nodes.map(node),
      initializer: p.initializers ?? [],
      input: p.inputs.map(valueInfo),
      output: p.outputs.map(valueInfo),
    }),
  })
  return onnx.ModelProto.encode(model).finish()
}

/** Deterministic pseudo-random numbers (mulberry32) so generated models are byte-identical across runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A dense MLP (Gemm + Relu layers, last layer linear) with seeded random weights. */
export function buildMlp(p: { name: string; sizes: number[]; seed?: number; inputName?: string; outputName?: string; batch?: Dim }): Uint8Array {
  const rand = seededRandom(p.seed ?? 1)
  const nodes: NodeSpec[] = []
  const initializers: TensorProto[] = []
  const inputName = p.inputName ?? 'input'
  const outputName = p.outputName ?? 'output'
  let current = inputName
  for (let l = 0; l + 1 < p.sizes.length; l++) {
    const [fanIn, fanOut] = [p.sizes[l]!, p.sizes[l + 1]!]
    const scale = Math.sqrt(2 / fanIn)
    initializers.push(
      floatTensor(`W${l}`, [fanIn, fanOut], Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * scale)),
      floatTensor(`B${l}`, [fanOut], Array.from({ length: fanOut }, () => (rand() * 2 - 1) * 0.1)),
    )
    const last = l + 2 === p.sizes.length
    const gemmOut = last ? outputName : `h${l}`
    nodes.push({ op: 'Gemm', inputs: [current, `W${l}`, `B${l}`], outputs: [gemmOut] })
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [gemmOut], outputs: [`r${l}`] })
      current = `r${l}`
    }
  }
  const batch = p.batch === undefined ? 'batch' : p.batch
  return buildModel({
    name: p.name,
    inputs: [{ name: inputName, dtype: 'float32', shape: [batch, p.sizes[0]!] }],
    outputs: [{ name: outputName, dtype: 'float32', shape: [batch, p.sizes.at(-1)!] }],
    nodes,
    initializers,
  })
}
