/**
 * Decoding and structural validation of ONNX files. A file is accepted only when its protobuf parses,
 * it has a graph with at least one input and output, every node input is produced by something
 * earlier (a graph input, an initializer or a node output), and every initializer's raw bytes match
 * its declared shape: truncated and corrupt uploads fail here, with the reason.
 */
import { VerityError } from '@verity/protocol'
import { onnx, type GraphProto, type ModelProto, type TensorProto, type ValueInfoProto } from './proto.ts'
import { dtypeFromOnnx, type Dim, type ModelDescription, type TensorSpec } from './types.ts'

const elemWidth: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 }

function bad(message: string, details: Record<string, unknown> = {}): VerityError {
  return new VerityError('INVALID_MODEL_FILE', message, { details })
}

// protobufjs returns int64 fields as Long objects when long.js is present.
const toNumber = (v: unknown): number =>
  typeof v === 'number' ? v : v == null ? 0 : typeof (v as { toNumber?: unknown }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v)

/** Parses ONNX bytes; throws INVALID_MODEL_FILE naming the problem. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw bad('The ONNX file is empty.')
  let model: ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (cause) {
    throw bad(`The file is not a valid ONNX protobuf (${(cause as Error).message}); it may be truncated or not an ONNX model.`, { size: bytes.length })
  }
  validateModel(model)
  return model
}

function validateModel(model: ModelProto): void {
  const graph = model.graph
  if (!graph) throw bad('The ONNX model has no graph.')
  if (!model.irVersion) throw bad('The ONNX model has no ir_version: it is not a complete model file.')
  const known = new Set<string>([''])
  for (const init of graph.initializer ?? []) {
    checkInitializer(init)
    known.add(init.name ?? '')
  }
  const inputs = graphInputs(graph)
  if (inputs.length === 0) throw bad('The ONNX graph declares no inputs.')
  if ((graph.output ?? []).length === 0) throw bad('The ONNX graph declares no outputs.')
  for (const input of graph.input ?? []) known.add(input.name ?? '')
  for (const [i, node] of (graph.node ?? []).entries()) {
    if (!node.opType) throw bad(`Node #${i} has no operator type.`, { node: i })
    for (const name of node.input ?? []) {
      if (!known.has(name)) throw bad(`Node #${i} (${node.opType} "${node.name ?? ''}") reads "${name}", which nothing before it produces.`, { node: i, input: name })
    }
    for (const name of node.output ?? []) known.add(name)
  }
  for (const output of graph.output ?? []) {
    if (!known.has(output.name ?? '')) throw bad(`Graph output "${output.name}" is not produced by any node.`, { output: output.name })
  }
}

function checkInitializer(t: TensorProto): void {
  const dims = (t.dims ?? []).map(toNumber)
  const count = dims.reduce((a, b) => a * b, 1)
  const width = elemWidth[t.dataType ?? 0]
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw bad(`Initializer "${t.name}" keeps its data in an external file; upload a self-contained model (onnx.save with save_as_external_data=False).`, { initializer: t.name })
  }
  if (t.rawData && t.rawData.length > 0 && width !== undefined && t.rawData.length !== count * width) {
    throw bad(`Initializer "${t.name}" should hold ${count * width} bytes for shape [${dims.join(', ')}] but has ${t.rawData.length}: the file is truncated or corrupt.`, { initializer: t.name })
  }
}

function graphInputs(graph: GraphProto): ValueInfoProto[] {
  // Older exporters also list initializers as graph inputs; those are weights, not inputs.
  const initializers = new Set((graph.initializer ?? []).map((i) => i.name))
  return (graph.input ?? []).filter((i) => !initializers.has(i.name))
}

function spec(info: ValueInfoProto): TensorSpec {
  const tensorType = info.type?.tensorType
  const onnxType = tensorType?.elemType ?? 0
  const shape: Dim[] | null = tensorType?.shape
    ? (tensorType.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimValue != null && toNumber(d.dimValue) === 0 && !d.dimParam ? null : null))
    : null
  return { name: info.name ?? '', dtype: dtypeFromOnnx(onnxType), onnxType, shape }
}

/** Inputs, outputs, operators and size of a model, read from the graph itself. */
export function describeModel(bytes: Uint8Array | ModelProto): ModelDescription {
  const model = bytes instanceof Uint8Array ? decodeModel(bytes) : bytes
  const graph = model.graph!
  let parameterCount = 0
  const countOf = (t: TensorProto) => (t.dims ?? []).map(toNumber).reduce((a, b) => a * b, 1)
  for (const init of graph.initializer ?? []) parameterCount += countOf(init)
  // Some exporters (paddle2onnx) keep weights in Constant nodes instead of initializers.
  for (const n of graph.node ?? []) if (n.opType === 'Constant') for (const a of n.attribute ?? []) if (a.t) parameterCount += countOf(a.t)
  return {
    irVersion: toNumber(model.irVersion),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    graphName: graph.name ?? '',
    inputs: graphInputs(graph).map(spec),
    outputs: (graph.output ?? []).map(spec),
    nodeCount: (graph.node ?? []).length,
    operators: [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))].sort(),
    parameterCount,
  }
}
