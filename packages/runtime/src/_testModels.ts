/**
 * Small ONNX models built in code for the runtime's tests and benchmarks: every dtype through
 * Identity, conversions (Cast, Not), shared symbolic dimensions, a deliberately slow MatMul chain, a
 * string Tile that can exhaust a worker's heap, and a float16 model Verity must refuse. Internal.
 */
import { buildModel, floatTensor, onnx } from '@verity/onnx'
import { dtypes, type DType } from '@verity/protocol'

/** One input per dtype (`in_<dtype>`, shape ['n']), each copied to `out_<dtype>` by Identity. */
export function allTypesIdentityModel(): Uint8Array {
  return buildModel({
    name: 'all-types-identity',
    inputs: dtypes.map((dtype) => ({ name: `in_${dtype}`, dtype, shape: ['n'] })),
    outputs: dtypes.map((dtype) => ({ name: `out_${dtype}`, dtype, shape: ['n'] })),
    nodes: dtypes.map((dtype) => ({ op: 'Identity', inputs: [`in_${dtype}`], outputs: [`out_${dtype}`] })),
  })
}

/** `x` float32 [2, 3] → `as_int64` (Cast, truncating) and `flags` bool [2, 3] → `negated` (Not). */
export function castNotModel(): Uint8Array {
  return buildModel({
    name: 'cast-not',
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }, { name: 'flags', dtype: 'bool', shape: [2, 3] }],
    outputs: [{ name: 'as_int64', dtype: 'int64', shape: [2, 3] }, { name: 'negated', dtype: 'bool', shape: [2, 3] }],
    nodes: [
      { op: 'Cast', inputs: ['x'], outputs: ['as_int64'], attrs: { to: 7 } },
      { op: 'Not', inputs: ['flags'], outputs: ['negated'] },
    ],
  })
}

/** `a` [batch, 4] + `b` [batch, 4] → `sum`: both inputs share the symbolic dimension "batch". */
export function sharedDimModel(): Uint8Array {
  return buildModel({
    name: 'shared-dim',
    inputs: [{ name: 'a', dtype: 'float32', shape: ['batch', 4] }, { name: 'b', dtype: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'sum', dtype: 'float32', shape: ['batch', 4] }],
    nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] }],
  })
}

/**
 * `x` [rows, size] multiplied by the same size×size matrix `depth` times: cost grows linearly with
 * `rows`, so one model serves both quick runs and runs slow enough to time out.
 */
export function matmulChainModel(size = 256, depth = 32): Uint8Array {
  const nodes = Array.from({ length: depth }, (_, i) => ({ op: 'MatMul', inputs: [i === 0 ? 'x' : `h${i - 1}`, 'W'], outputs: [i === depth - 1 ? 'y' : `h${i}`] }))
  // An orthogonal-ish scaled matrix keeps values bounded through the chain.
  const w = Array.from({ length: size * size }, (_, i) => (((i * 7919) % 997) / 997 - 0.5) * (2 / Math.sqrt(size)))
  return buildModel({
    name: 'matmul-chain',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['rows', size] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['rows', size] }],
    nodes,
    initializers: [floatTensor('W', [size, size], w)],
  })
}

/** `s` string [1] tiled `r` times (int64 [1]) → `y` string [n]: a large `r` fills a worker's JS heap. */
export function stringTileModel(): Uint8Array {
  return buildModel({
    name: 'string-tile',
    inputs: [{ name: 's', dtype: 'string', shape: [1] }, { name: 'r', dtype: 'int64', shape: [1] }],
    outputs: [{ name: 'y', dtype: 'string', shape: ['n'] }],
    nodes: [{ op: 'Tile', inputs: ['s', 'r'], outputs: ['y'] }],
  })
}

/** A valid model whose input is float16 (`half` [2] → Cast → `y` float32 [2]): Verity cannot carry float16. */
export function float16Model(): Uint8Array {
  const bytes = buildModel({
    name: 'float16-input',
    inputs: [{ name: 'half', dtype: 'float32' satisfies DType, shape: [2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    nodes: [{ op: 'Cast', inputs: ['half'], outputs: ['y'], attrs: { to: 1 } }],
  })
  const model = onnx.ModelProto.decode(bytes)
  model.graph!.input![0]!.type!.tensorType!.elemType = 10 // FLOAT16
  return onnx.ModelProto.encode(model).finish()
}

/** Integer matrix product: `a` uint8 [rows, 8] × a fixed uint8 [8, 3] weight → `y` int32 [rows, 3] (MatMulInteger). */
export const integerWeights = Uint8Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 256)
export function matMulIntegerModel(): Uint8Array {
  return buildModel({
    name: 'matmul-integer',
    inputs: [{ name: 'a', dtype: 'uint8', shape: ['rows', 8] }],
    outputs: [{ name: 'y', dtype: 'int32', shape: ['rows', 3] }],
    nodes: [{ op: 'MatMulInteger', inputs: ['a', 'B'], outputs: ['y'] }],
    initializers: [onnx.TensorProto.create({ name: 'B', dims: [8, 3], dataType: 2, rawData: integerWeights })],
  })
}

/** `x` [rows, cols] (both dynamic) × a fixed [4, 3] matrix: inputs pass the declared-shape checks, but cols ≠ 4 fails inside onnxruntime. */
export function dynamicMatMulModel(): Uint8Array {
  return buildModel({
    name: 'dynamic-matmul',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['rows', 'cols'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['rows', 3] }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
    initializers: [floatTensor('W', [4, 3], new Array(12).fill(0.5))],
  })
}

/** `x` float32 [n] × 0.5 → `y`: halving a small subnormal stays non-zero only without flush-to-zero. */
export function halveModel(): Uint8Array {
  return buildModel({
    name: 'halve',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['n'] }],
    nodes: [{ op: 'Mul', inputs: ['x', 'half'], outputs: ['y'] }],
    initializers: [floatTensor('half', [1], [0.5])],
  })
}
