import type { DType } from '@verity/protocol'

/** ONNX TensorProto.DataType codes (onnx.proto) and the Verity dtypes they map to. */
export const onnxElemType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const

const toDType: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 11: 'float64', 12: 'uint32', 13: 'uint64',
}
const fromDType: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float64: 11, uint32: 12, uint64: 13,
}

export function dtypeFromOnnx(elemType: number): DType | null {
  return toDType[elemType] ?? null
}

export function dtypeToOnnx(dtype: DType): number {
  return fromDType[dtype]
}

/** A dimension is a fixed size, a named symbolic size (e.g. "batch"), or unknown (null). */
export type Dim = number | string | null

export type TensorSpec = {
  name: string
  /** null when ONNX uses a type Verity cannot carry (e.g. float16); such models are described but not runnable. */
  dtype: DType | null
  onnxType: number
  shape: Dim[] | null
}

export type ModelDescription = {
  irVersion: number
  opsets: Array<{ domain: string; version: number }>
  producer: string
  graphName: string
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  nodeCount: number
  /** Distinct operator types, sorted. */
  operators: string[]
  /** Number of scalar parameters stored in initializers. */
  parameterCount: number
}
