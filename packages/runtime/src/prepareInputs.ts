/**
 * Input checking against a model's declared inputs, before anything runs. Every error is a
 * VerityError naming the tensor and the problem: INVALID_INPUT for a wrong name, dtype, rank,
 * dimension or value; INPUT_TOO_LARGE past the limits; UNSUPPORTED_MODEL when the model itself uses a
 * dtype Verity cannot carry.
 */
import type { Dim, ModelDescription, TensorSpec } from '@verity/onnx'
import {
  VerityError, dtypes, elementCount, flattenNested, isDType, tensorFromJson, tensorFromValues, utf8, type DType, type Tensor, type TensorMap,
} from '@verity/protocol'

export type InputLimits = {
  /** Most elements one input tensor may have. Default 16,777,216 (a 4096×4096 matrix). */
  maxElementsPerTensor?: number
  /** Most bytes all inputs together may take (strings: UTF-8 bytes + 4 each). Default 64 MiB. */
  maxTotalBytes?: number
  /** Accept NaN and ±Infinity in float inputs. Default false: they are rejected with the index of the first one. */
  allowNonFinite?: boolean
}

export const defaultInputLimits: Required<InputLimits> = Object.freeze({
  maxElementsPerTensor: 16_777_216,
  maxTotalBytes: 64 * 1024 * 1024,
  allowNonFinite: false,
})

const byteWidth: Record<Exclude<DType, 'string'>, number> = {
  float32: 4, float64: 8, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1,
}

function invalid(message: string, details: Record<string, unknown>): VerityError {
  return new VerityError('INVALID_INPUT', message, { details })
}

function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`
}

/**
 * Throws UNSUPPORTED_MODEL when an input or output of the model has a dtype Verity cannot carry
 * (float16, bfloat16, int4, complex, sequences, maps): such a model can be described but not run.
 */
export function assertRunnable(description: ModelDescription): void {
  const bad = [...description.inputs.map((s) => ({ ...s, role: 'input' })), ...description.outputs.map((s) => ({ ...s, role: 'output' }))]
    .filter((s) => s.dtype === null)
  if (bad.length === 0) return
  const list = bad.map((s) => `${s.role} "${s.name}" (${onnxTypeName(s.onnxType)})`).join(', ')
  throw new VerityError('UNSUPPORTED_MODEL', `The model cannot run on Verity: ${list} use${bad.length === 1 ? 's a type' : ' types'} Verity cannot carry; supported: ${dtypes.join(', ')}.`, {
    details: { tensors: bad.map((s) => ({ role: s.role, name: s.name, onnxType: onnxTypeName(s.onnxType) })) },
  })
}

const onnxTypeNames: Record<number, string> = {
  0: 'undefined or non-tensor', 10: 'float16', 14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz',
  19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
}
function onnxTypeName(code: number): string {
  return onnxTypeNames[code] ?? `ONNX type ${code}`
}

function specOf(description: ModelDescription, name: string): TensorSpec {
  const spec = description.inputs.find((s) => s.name === name)
  if (!spec) {
    const valid = description.inputs.map((s) => `"${s.name}"`).join(', ')
    throw invalid(`Unknown input "${name}": the model's inputs are ${valid}.`, { tensor: name, valid: description.inputs.map((s) => s.name) })
  }
  return spec
}

function assertNames(description: ModelDescription, names: readonly string[]): void {
  for (const name of names) specOf(description, name)
  const missing = description.inputs.filter((s) => !names.includes(s.name))
  if (missing.length > 0) {
    const list = missing.map((s) => `"${s.name}" (${s.dtype ?? '?'} ${s.shape ? formatShape(s.shape) : 'any shape'})`).join(', ')
    throw invalid(`Missing input${missing.length > 1 ? 's' : ''} ${list}.`, { missing: missing.map((s) => s.name) })
  }
}

function assertDType(spec: TensorSpec, got: string): void {
  if (got !== spec.dtype) {
    throw invalid(`Input "${spec.name}": expected dtype ${spec.dtype}, got ${got}.`, { tensor: spec.name, expected: spec.dtype, got })
  }
}

type SymbolBinding = { value: number; tensor: string; axis: number }

function assertShape(spec: TensorSpec, shape: readonly number[], symbols: Map<string, SymbolBinding>): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`Input "${spec.name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}.`, { tensor: spec.name, shape })
  }
  if (spec.shape === null) return
  if (shape.length !== spec.shape.length) {
    throw invalid(`Input "${spec.name}": expected rank ${spec.shape.length} ${formatShape(spec.shape)}, got rank ${shape.length} ${formatShape(shape)}.`, {
      tensor: spec.name, expected: spec.shape, got: shape,
    })
  }
  for (let axis = 0; axis < shape.length; axis++) {
    const want = spec.shape[axis]!
    const got = shape[axis]!
    if (typeof want === 'number' && got !== want) {
      throw invalid(`Input "${spec.name}": axis ${axis} must be ${want} (declared shape ${formatShape(spec.shape)}), got ${got} (shape ${formatShape(shape)}).`, {
        tensor: spec.name, axis, expected: want, got,
      })
    }
    if (typeof want === 'string') {
      const bound = symbols.get(want)
      if (bound === undefined) symbols.set(want, { value: got, tensor: spec.name, axis })
      else if (bound.value !== got) {
        throw invalid(
          `Input "${spec.name}": axis ${axis} is the dimension "${want}", which input "${bound.tensor}" axis ${bound.axis} set to ${bound.value}; got ${got}.`,
          { tensor: spec.name, axis, dimension: want, expected: bound.value, got, boundBy: bound.tensor },
        )
      }
    }
  }
}

function tooLarge(message: string, details: Record<string, unknown>): VerityError {
  return new VerityError('INPUT_TOO_LARGE', message, { details })
}

function assertElements(name: string, count: number, limits: Required<InputLimits>): void {
  if (count > limits.maxElementsPerTensor) {
    throw tooLarge(`Input "${name}" has ${count} elements; the limit is ${limits.maxElementsPerTensor} per tensor.`, {
      tensor: name, elements: count, limit: limits.maxElementsPerTensor,
    })
  }
}

function tensorBytes(tensor: Tensor): number {
  if (tensor.dtype === 'string') {
    let n = 0
    for (const s of tensor.data) n += 4 + utf8.encode(s).length
    return n
  }
  return tensor.data.length * byteWidth[tensor.dtype]
}

function assertFinite(name: string, tensor: Tensor): void {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') return
  const data = tensor.data
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    // v - v is 0 for finite numbers and NaN for NaN and ±Infinity: one comparison per element.
    if (v - v !== 0) {
      const value = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
      throw invalid(`Input "${name}": element ${i} is ${value}; NaN and Infinity are rejected (the node can be set to allow them).`, {
        tensor: name, index: i, value,
      })
    }
  }
}

const typedArrayOf: Record<Exclude<DType, 'string'>, new (...args: never[]) => ArrayLike<unknown>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
}

function assertTensorData(name: string, tensor: Tensor): void {
  const ok = tensor.dtype === 'string'
    ? Array.isArray(tensor.data) && tensor.data.every((s) => typeof s === 'string')
    : tensor.data instanceof typedArrayOf[tensor.dtype]
  if (!ok) throw invalid(`Input "${name}": data does not match dtype ${tensor.dtype}.`, { tensor: name, dtype: tensor.dtype })
  const n = elementCount(tensor.shape)
  if (tensor.data.length !== n) {
    throw invalid(`Input "${name}": shape ${formatShape(tensor.shape)} needs ${n} elements, data has ${tensor.data.length}.`, {
      tensor: name, shape: tensor.shape, elements: tensor.data.length,
    })
  }
}

function resolveLimits(limits: InputLimits | undefined): Required<InputLimits> {
  return { ...defaultInputLimits, ...Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined)) }
}

/**
 * Checks already-typed tensors against the model's declared inputs: names, dtypes, ranks, fixed and
 * symbolic dimensions, non-finite floats and size limits. `createRuntime().run` calls this itself.
 *
 * @throws VerityError INVALID_INPUT, INPUT_TOO_LARGE or UNSUPPORTED_MODEL.
 */
export function checkInputs(description: ModelDescription, inputs: TensorMap, limits?: InputLimits): void {
  const resolved = resolveLimits(limits)
  assertRunnable(description)
  if (inputs === null || typeof inputs !== 'object') throw invalid('Inputs must be an object of named tensors.', {})
  const names = Object.keys(inputs)
  assertNames(description, names)
  const symbols = new Map<string, SymbolBinding>()
  let totalBytes = 0
  for (const spec of description.inputs) {
    const tensor = inputs[spec.name]!
    assertDType(spec, tensor.dtype)
    assertShape(spec, tensor.shape, symbols)
    assertElements(spec.name, elementCount(tensor.shape), resolved)
    assertTensorData(spec.name, tensor)
    totalBytes += tensorBytes(tensor)
    if (!resolved.allowNonFinite) assertFinite(spec.name, tensor)
  }
  assertTotal(totalBytes, resolved)
}

function assertTotal(totalBytes: number, limits: Required<InputLimits>): void {
  if (totalBytes > limits.maxTotalBytes) {
    throw tooLarge(`The inputs take ${totalBytes} bytes; the limit is ${limits.maxTotalBytes}.`, { bytes: totalBytes, limit: limits.maxTotalBytes })
  }
}

function isTypedTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && ArrayBuffer.isView((value as { data?: unknown }).data) && Array.isArray((value as { shape?: unknown }).shape)
}

function isTensorJsonLike(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && ('dtype' in value || 'shape' in value || 'data' in value)
}

/** Elements a nested array holds, counted without flattening it (so oversized input is refused cheaply). */
function nestedCount(value: unknown): number {
  let n = 1
  let probe = value
  while (Array.isArray(probe)) {
    n *= probe.length
    probe = probe[0]
  }
  return n
}

/** Runs a protocol conversion, keeping its message but setting `details.tensor` to the bare input name. */
function naming<T>(name: string, convert: () => T): T {
  try {
    return convert()
  } catch (error) {
    if (error instanceof VerityError) throw new VerityError(error.code, error.message, { details: { ...error.details, tensor: name } })
    throw error
  }
}

/**
 * Turns a request's raw input into typed tensors, checking it against the model's declared inputs
 * first. Each input is either a protocol TensorJson `{dtype, shape, data}` (data flat or nested) or
 * plain nested arrays (`{x: [[1, 2], [3, 4]]}`; the dtype is taken from the model and the shape
 * from the nesting). Sizes are checked before any typed array is allocated.
 *
 * @param description the model's description (`runtime.describe(cid)` or @verity/onnx describeModel).
 * @param rawInput the parsed JSON input: an object keyed by input name.
 * @param limits size limits and the NaN/Infinity policy (defaults in `defaultInputLimits`).
 * @returns the inputs as a TensorMap, ready for `runtime.run`.
 * @throws VerityError INVALID_INPUT (naming the tensor and the problem), INPUT_TOO_LARGE, UNSUPPORTED_MODEL.
 *
 * @example
 * import { prepareInputs } from '@verity/runtime'
 * const inputs = prepareInputs(await runtime.describe(cid), { input: [[0.5, -1.25, 3, 0.125]] })
 */
export function prepareInputs(description: ModelDescription, rawInput: unknown, limits?: InputLimits): TensorMap {
  const resolved = resolveLimits(limits)
  assertRunnable(description)
  if (rawInput === null || typeof rawInput !== 'object' || Array.isArray(rawInput)) {
    throw invalid(`The input must be an object keyed by input name (${description.inputs.map((s) => `"${s.name}"`).join(', ')}), got ${Array.isArray(rawInput) ? 'an array' : rawInput === null ? 'null' : typeof rawInput}.`, {})
  }
  const raw = rawInput as Record<string, unknown>
  assertNames(description, Object.keys(raw))
  const symbols = new Map<string, SymbolBinding>()
  const out: TensorMap = {}
  let totalBytes = 0
  for (const spec of description.inputs) {
    const value = raw[spec.name]
    const dtype = spec.dtype!
    let tensor: Tensor
    if (isTypedTensor(value)) {
      // Already typed (a binary request's tensors): the same checks as checkInputs, no conversion.
      assertDType(spec, value.dtype)
      assertShape(spec, value.shape, symbols)
      assertElements(spec.name, elementCount(value.shape), resolved)
      assertTensorData(spec.name, value)
      tensor = value
    } else if (isTensorJsonLike(value)) {
      if (!isDType(value.dtype)) {
        throw invalid(`Input "${spec.name}": unknown dtype ${JSON.stringify(value.dtype)}; expected ${dtype}.`, { tensor: spec.name, expected: dtype, got: value.dtype ?? null })
      }
      assertDType(spec, value.dtype)
      const shape = value.shape as number[]
      assertShape(spec, shape, symbols)
      assertElements(spec.name, elementCount(shape), resolved)
      tensor = naming(spec.name, () => tensorFromJson(value, `Input "${spec.name}"`))
    } else {
      assertElements(spec.name, nestedCount(value), resolved)
      const { shape, flat } = naming(spec.name, () => flattenNested(value, `Input "${spec.name}"`))
      assertShape(spec, shape, symbols)
      tensor = naming(spec.name, () => tensorFromValues(dtype, shape, flat, `Input "${spec.name}"`))
    }
    totalBytes += tensorBytes(tensor)
    assertTotal(totalBytes, resolved)
    if (!resolved.allowNonFinite) assertFinite(spec.name, tensor)
    out[spec.name] = tensor
  }
  return out
}
