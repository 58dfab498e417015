/**
 * The "run it" form, as data: a model's declared inputs become one field per tensor (dtype, shape with
 * its dynamic dimensions as number fields, data as nested JSON arrays), and a filled form becomes the
 * `input` of POST /v1/infer — or a message per field saying what is wrong.
 */
import { elementCount, flattenNested, isDType, type DType, type IoSchema, type TensorMapJson, type TensorSpecJson } from '@verity/protocol'

/** A fixed dimension, or a dynamic one (named by the model, or anonymous) the user sets. */
export type DimField = { kind: 'fixed'; size: number } | { kind: 'dynamic'; label: string; size: number }
export type InputField = {
  name: string
  dtype: DType
  /** False when the model does not declare the dtype (float32 is assumed). */
  dtypeDeclared: boolean
  dims: DimField[]
  /** Nested JSON arrays as typed by the user. */
  data: string
}
export type FormModel = { fields: InputField[] }

/** Largest example the form fills in (elements); bigger inputs are better sent from a file or the CLI. */
export const MAX_EXAMPLE_ELEMENTS = 200_000

function dimField(dim: TensorSpecJson['shape'] extends (infer D)[] | null ? D : never, index: number): DimField {
  if (typeof dim === 'number' && dim > 0) return { kind: 'fixed', size: dim }
  const label = typeof dim === 'string' && dim.length > 0 ? dim : `dim ${index}`
  return { kind: 'dynamic', label, size: 1 }
}

export function formModelFromSchema(schema: IoSchema | null): FormModel {
  if (!schema) return { fields: [] }
  return {
    fields: schema.inputs.map((spec) => ({
      name: spec.name,
      dtype: isDType(spec.dtype) ? spec.dtype : 'float32',
      dtypeDeclared: isDType(spec.dtype),
      dims: spec.shape === null ? [{ kind: 'dynamic', label: 'length', size: 1 }] : spec.shape.map(dimField),
      data: '',
    })),
  }
}

export function fieldShape(field: InputField): number[] {
  return field.dims.map((d) => d.size)
}

/** Sets a dynamic dimension; fixed ones cannot change. Returns a new field. */
export function setDim(field: InputField, index: number, size: number): InputField {
  return { ...field, dims: field.dims.map((d, i) => (i === index && d.kind === 'dynamic' ? { ...d, size } : d)) }
}

function exampleValue(dtype: DType, i: number): number | boolean | string {
  switch (dtype) {
    case 'float32': case 'float64': return Math.round(Math.sin(i + 1) * 1000) / 1000
    case 'bool': return i % 2 === 0
    case 'string': return `text ${i}`
    case 'int8': case 'int16': case 'int32': case 'int64': return (i % 7) - 3
    default: return i % 10
  }
}

/** Reshapes a flat row-major array into nested arrays of `shape`. */
export function nest(flat: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0]
  let level: unknown[] = [...flat]
  for (let axis = shape.length - 1; axis >= 1; axis--) {
    const size = shape[axis]!
    const next: unknown[] = []
    for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size))
    level = next
  }
  return level
}

/** Fills the data with deterministic example values of the field's dtype and shape. */
export function fillExample(field: InputField): InputField {
  const shape = fieldShape(field)
  const n = elementCount(shape)
  if (n > MAX_EXAMPLE_ELEMENTS) throw new RangeError(`${field.name}: shape [${shape.join(', ')}] has ${n} elements; the form fills at most ${MAX_EXAMPLE_ELEMENTS}. Make the dynamic dimensions smaller.`)
  const flat = Array.from({ length: n }, (_, i) => exampleValue(field.dtype, i))
  return { ...field, data: JSON.stringify(nest(flat, shape)) }
}

export type BuildInputReturnType = { ok: true; input: TensorMapJson } | { ok: false; errors: Record<string, string> }

/**
 * Turns the form into the `input` of an inference request. Data must be nested arrays of the form's
 * shape, or a flat array with as many elements (read in row-major order).
 */
export function buildInferInput(model: FormModel): BuildInputReturnType {
  const errors: Record<string, string> = {}
  const input: TensorMapJson = {}
  for (const field of model.fields) {
    const shape = fieldShape(field)
    if (field.data.trim() === '') {
      errors[field.name] = `Enter the data of ${field.name} as nested JSON arrays of shape [${shape.join(', ')}], or press "Fill example".`
      continue
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(field.data)
    } catch (error) {
      errors[field.name] = `The data of ${field.name} is not valid JSON: ${(error as Error).message}.`
      continue
    }
    let flat: unknown[]
    let given: number[]
    try {
      ({ flat, shape: given } = flattenNested(parsed, field.name))
    } catch (error) {
      errors[field.name] = (error as Error).message
      continue
    }
    const sameShape = given.length === shape.length && given.every((d, i) => d === shape[i])
    if (!sameShape && !(given.length === 1 && flat.length === elementCount(shape))) {
      errors[field.name] = `The data of ${field.name} has shape [${given.join(', ')}] (${flat.length} elements), but the form says [${shape.join(', ')}] (${elementCount(shape)} elements).`
      continue
    }
    input[field.name] = { dtype: field.dtype, shape, data: flat as Array<number | string | boolean> }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, input }
}
