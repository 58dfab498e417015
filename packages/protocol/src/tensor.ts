/**
 * Canonical tensor encoding (Verity Tensor Set, "VTS1"). Specified once, here:
 *
 *   tensorSet := "VTS1" u32(count) tensor*          tensors sorted by name (UTF-8 bytes, ascending)
 *   tensor    := u32(len(name)) name u8(dtype) u32(rank) u64(dim)* data
 *   data      := elements in row-major order, little-endian, fixed width per dtype;
 *                bool as one byte 0/1; string as u32(len) UTF-8 bytes per element
 *
 * All integers in the framing are little-endian. Float NaNs are canonicalised to the quiet NaN
 * (0x7fc00000 / 0x7ff8000000000000) so that equal values hash equally; -0 stays -0.
 * tensorSetHash = sha2-256(tensorSet), written as 0x-hex bytes32. The hash is order-independent
 * because the names are sorted before encoding.
 */
import { createSha256 } from '#sha256'
import { bytesToHex, concatBytes, utf8, type Hex } from './bytes.ts'
import { VerityError } from './errors.ts'

export const dtypes = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string'] as const
export type DType = (typeof dtypes)[number]

/** Wire codes of the dtypes (stable: never renumber). */
export const dtypeCode: Record<DType, number> = {
  float32: 1, float64: 2, int8: 3, int16: 4, int32: 5, int64: 6, uint8: 7, uint16: 8, uint32: 9, uint64: 10, bool: 11, string: 12,
}

const byteWidth: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1,
}

const littleEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** In-memory tensor: flat typed data in row-major order. */
export type Tensor =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array }
  | { dtype: 'int8'; shape: number[]; data: Int8Array }
  | { dtype: 'int16'; shape: number[]; data: Int16Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array }
  | { dtype: 'uint16'; shape: number[]; data: Uint16Array }
  | { dtype: 'uint32'; shape: number[]; data: Uint32Array }
  | { dtype: 'uint64'; shape: number[]; data: BigUint64Array }
  | { dtype: 'bool'; shape: number[]; data: Uint8Array }
  | { dtype: 'string'; shape: number[]; data: string[] }

export type TensorMap = Record<string, Tensor>

/**
 * JSON form of a tensor: flat `data` in row-major order. 64-bit integers are decimal strings (JSON
 * numbers lose precision past 2^53); non-finite floats are the strings "NaN", "Infinity", "-Infinity";
 * bools are true/false.
 */
export type TensorJson =
  | { dtype: DType; shape: number[]; data: Array<number | string | boolean> }
  /**
   * Compact form for large tensors: `base64` holds exactly the `data` bytes of the VTS1 encoding
   * (little-endian elements; strings as u32 length + UTF-8). Same tensor, same hash, far cheaper to
   * serialise and parse than decimal floats.
   */
  | { dtype: DType; shape: number[]; base64: string }
export type TensorMapJson = Record<string, TensorJson>
export type TensorEncoding = 'json' | 'base64'

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (dtypes as readonly string[]).includes(value)
}

export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

function invalid(message: string, details: Record<string, unknown>): VerityError {
  return new VerityError('INVALID_INPUT', message, { details })
}

function assertShape(shape: unknown, where: string): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, { tensor: where })
  }
}

/** Flattens nested arrays (row-major) and infers the shape; ragged arrays are an error. */
export function flattenNested(value: unknown, where: string): { shape: number[]; flat: unknown[] } {
  const shape: number[] = []
  let probe: unknown = value
  while (Array.isArray(probe)) {
    shape.push(probe.length)
    probe = probe[0]
  }
  const flat: unknown[] = []
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw invalid(`${where}: ragged nested array at ${path} (expected a scalar)`, { tensor: where, path })
      flat.push(node)
      return
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw invalid(`${where}: ragged nested array at ${path}: expected ${shape[depth]} items, got ${Array.isArray(node) ? node.length : typeof node}`, { tensor: where, path })
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`)
  }
  walk(value, 0, '')
  return { shape, flat }
}

function toFloat(v: unknown, where: string, i: number): number {
  if (typeof v === 'number') return v
  if (v === 'NaN') return Number.NaN
  if (v === 'Infinity') return Number.POSITIVE_INFINITY
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY
  throw invalid(`${where}: element ${i} is ${JSON.stringify(v)}, expected a number`, { tensor: where, index: i })
}

function toInt(v: unknown, where: string, i: number, min: number, max: number, dtype: DType): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${where}: element ${i} is ${JSON.stringify(v)}, expected an integer in ${dtype} range [${min}, ${max}]`, { tensor: where, index: i })
  }
  return v
}

function toBig(v: unknown, where: string, i: number, min: bigint, max: bigint, dtype: DType): bigint {
  let b: bigint
  if (typeof v === 'bigint') b = v
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v)
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) b = BigInt(v)
  else throw invalid(`${where}: element ${i} is ${JSON.stringify(v)}, expected a ${dtype} integer (number or decimal string)`, { tensor: where, index: i })
  if (b < min || b > max) throw invalid(`${where}: element ${i} = ${b} is out of ${dtype} range`, { tensor: where, index: i })
  return b
}

const intRanges: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
}

/** Builds a typed tensor from a dtype, shape and flat JS values, checking every element. */
export function tensorFromValues(dtype: DType, shape: number[], values: readonly unknown[], where = 'tensor'): Tensor {
  assertShape(shape, where)
  const n = elementCount(shape)
  if (values.length !== n) {
    throw invalid(`${where}: shape ${JSON.stringify(shape)} needs ${n} elements, got ${values.length}`, { tensor: where, shape, elements: values.length })
  }
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: Float32Array.from(values, (v, i) => toFloat(v, where, i)) }
    case 'float64':
      return { dtype, shape, data: Float64Array.from(values, (v, i) => toFloat(v, where, i)) }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': {
      const [min, max] = intRanges[dtype]!
      const ctor = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array }[dtype]
      const data = new ctor(values.length)
      for (let i = 0; i < values.length; i++) data[i] = toInt(values[i], where, i, min, max, dtype)
      return { dtype, shape, data } as Tensor
    }
    case 'int64':
      return { dtype, shape, data: BigInt64Array.from(values, (v, i) => toBig(v, where, i, -(2n ** 63n), 2n ** 63n - 1n, dtype)) }
    case 'uint64':
      return { dtype, shape, data: BigUint64Array.from(values, (v, i) => toBig(v, where, i, 0n, 2n ** 64n - 1n, dtype)) }
    case 'bool':
      return { dtype, shape, data: Uint8Array.from(values, (v, i) => {
        if (v === true || v === 1) return 1
        if (v === false || v === 0) return 0
        throw invalid(`${where}: element ${i} is ${JSON.stringify(v)}, expected a boolean`, { tensor: where, index: i })
      }) }
    case 'string':
      return { dtype, shape, data: values.map((v, i) => {
        if (typeof v !== 'string') throw invalid(`${where}: element ${i} is ${JSON.stringify(v)}, expected a string`, { tensor: where, index: i })
        return v
      }) }
  }
}

/** Parses one tensor in JSON form `{dtype, shape, data}` (data flat or nested). */
export function tensorFromJson(json: unknown, where = 'tensor'): Tensor {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid(`${where}: expected {dtype, shape, data}, got ${Array.isArray(json) ? 'an array' : typeof json}`, { tensor: where })
  }
  const { dtype, shape, data, base64 } = json as Record<string, unknown>
  if (!isDType(dtype)) throw invalid(`${where}: unknown dtype ${JSON.stringify(dtype)}; valid: ${dtypes.join(', ')}`, { tensor: where, dtype })
  if (typeof base64 === 'string') return tensorFromBase64(dtype, shape, base64, where)
  if (!Array.isArray(data)) throw invalid(`${where}: data must be an array (or give base64)`, { tensor: where })
  const flat = data.some(Array.isArray) ? flattenNested(data, where).flat : data
  return tensorFromValues(dtype, shape as number[], flat, where)
}

function decodeBase64(text: string, where: string): Uint8Array {
  const notBase64 = () => invalid(`${where}: base64 is not valid standard base64`, { tensor: where })
  if (text.length % 4 !== 0) throw notBase64()
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer
  if (B) {
    // Buffer skips characters outside the alphabet; a decoded length short of what the text length
    // implies means there were some (cheaper than a regular expression over megabytes).
    const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
    const bytes = B.from(text, 'base64')
    if (bytes.length !== (text.length / 4) * 3 - padding || text.indexOf('-') !== -1 || text.indexOf('_') !== -1) throw notBase64()
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw notBase64()
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

function encodeBase64(bytes: Uint8Array): string {
  const B = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): { toString(e: string): string } } }).Buffer
  if (B) return B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

const arrayType = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
} as const

function tensorFromBase64(dtype: DType, shape: unknown, base64: string, where: string): Tensor {
  assertShape(shape, where)
  return tensorFromDataBytes(dtype, shape, decodeBase64(base64, where), where, 'base64')
}

/** A tensor from its canonical data bytes (VTS1 `data`), copied into fresh, aligned memory. */
function tensorFromDataBytes(dtype: DType, shape: number[], bytes: Uint8Array, where: string, source = 'the data'): Tensor {
  const n = elementCount(shape)
  if (dtype === 'string') {
    const data: string[] = []
    let o = 0
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < n; i++) {
      if (o + 4 > bytes.length) throw invalid(`${where}: ${source} holds ${i} strings, shape needs ${n}`, { tensor: where })
      const len = view.getUint32(o, true)
      o += 4
      if (o + len > bytes.length) throw invalid(`${where}: string ${i} runs past the end of ${source}`, { tensor: where })
      data.push(utf8.decode(bytes.subarray(o, o + len)))
      o += len
    }
    if (o !== bytes.length) throw invalid(`${where}: ${source} has ${bytes.length - o} bytes after the last string`, { tensor: where })
    return { dtype, shape, data }
  }
  const width = byteWidth[dtype]!
  if (bytes.length !== n * width) throw invalid(`${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${n * width} bytes, ${source} holds ${bytes.length}`, { tensor: where })
  // Copy into a fresh, aligned buffer, reading little-endian whatever the host order.
  const aligned = new Uint8Array(n * width)
  if (littleEndianHost) aligned.set(bytes)
  else for (let i = 0; i < n; i++) for (let b = 0; b < width; b++) aligned[i * width + b] = bytes[i * width + width - 1 - b]!
  const data = new arrayType[dtype](aligned.buffer)
  if (dtype === 'bool') for (let i = 0; i < n; i++) if ((data as Uint8Array)[i]! > 1) throw invalid(`${where}: bool element ${i} is ${(data as Uint8Array)[i]}, expected 0 or 1`, { tensor: where, index: i })
  return { dtype, shape, data } as Tensor
}

/** JSON form of a tensor (see TensorJson); `base64` gives the compact form. */
export function tensorToJson(tensor: Tensor, encoding: TensorEncoding = 'json'): TensorJson {
  if (encoding === 'base64') return { dtype: tensor.dtype, shape: [...tensor.shape], base64: encodeBase64(dataBytes(tensor)) }
  const values: Array<number | string | boolean> = []
  switch (tensor.dtype) {
    case 'float32': case 'float64':
      for (const v of tensor.data) values.push(Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity')
      break
    case 'int64': case 'uint64':
      for (const v of tensor.data) values.push(v.toString())
      break
    case 'bool':
      for (const v of tensor.data) values.push(v !== 0)
      break
    case 'string':
      values.push(...tensor.data)
      break
    default:
      for (const v of tensor.data) values.push(v)
  }
  return { dtype: tensor.dtype, shape: [...tensor.shape], data: values }
}

export function tensorMapToJson(map: TensorMap, encoding: TensorEncoding = 'json'): TensorMapJson {
  const out: TensorMapJson = {}
  for (const name of Object.keys(map).sort()) out[name] = tensorToJson(map[name]!, encoding)
  return out
}

export function tensorMapFromJson(json: unknown, where = 'input'): TensorMap {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(`${where}: expected an object of named tensors`, {})
  const out: TensorMap = {}
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) out[name] = tensorFromJson(value, `${where}.${name}`)
  return out
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
  return b
}

/**
 * The canonical data bytes of a tensor. On little-endian hosts this is a view of the tensor's own
 * memory unless a value needs canonicalising (NaN payloads, bools other than 0/1): hashing and
 * base64 only read it, and megabyte outputs are then hashed without a copy.
 */
function dataBytes(tensor: Tensor): Uint8Array {
  if (tensor.dtype === 'string') return concatBytes(...tensor.data.flatMap((s) => { const b = utf8.encode(s); return [u32(b.length), b] }))
  const d = tensor.data
  const n = d.length
  if (littleEndianHost) {
    const view = new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
    if (tensor.dtype === 'float32') {
      const f = d as Float32Array
      let i = 0
      while (i < n && f[i] === f[i]) i++
      if (i === n) return view
      const out = view.slice()
      const u = new Uint32Array(out.buffer)
      for (; i < n; i++) if (f[i] !== f[i]) u[i] = 0x7fc00000
      return out
    }
    if (tensor.dtype === 'float64') {
      const f = d as Float64Array
      let i = 0
      while (i < n && f[i] === f[i]) i++
      if (i === n) return view
      const out = view.slice()
      const u = new BigUint64Array(out.buffer)
      for (; i < n; i++) if (f[i] !== f[i]) u[i] = 0x7ff8000000000000n
      return out
    }
    if (tensor.dtype === 'bool') {
      const b = d as Uint8Array
      let i = 0
      while (i < n && b[i]! <= 1) i++
      if (i === n) return view
      const out = view.slice()
      for (; i < n; i++) if (out[i] !== 0) out[i] = 1
      return out
    }
    return view
  }
  const width = byteWidth[tensor.dtype]!
  const out = new Uint8Array(n * width)
  const view = new DataView(out.buffer)
  switch (tensor.dtype) {
    case 'float32':
      for (let i = 0; i < n; i++) { const v = (d as Float32Array)[i]!; if (Number.isNaN(v)) view.setUint32(i * 4, 0x7fc00000, true); else view.setFloat32(i * 4, v, true) }
      break
    case 'float64':
      for (let i = 0; i < n; i++) { const v = (d as Float64Array)[i]!; if (Number.isNaN(v)) view.setBigUint64(i * 8, 0x7ff8000000000000n, true); else view.setFloat64(i * 8, v, true) }
      break
    case 'int8': for (let i = 0; i < n; i++) view.setInt8(i, (d as Int8Array)[i]!); break
    case 'uint8': for (let i = 0; i < n; i++) view.setUint8(i, (d as Uint8Array)[i]!); break
    case 'bool': for (let i = 0; i < n; i++) view.setUint8(i, (d as Uint8Array)[i]! ? 1 : 0); break
    case 'int16': for (let i = 0; i < n; i++) view.setInt16(i * 2, (d as Int16Array)[i]!, true); break
    case 'uint16': for (let i = 0; i < n; i++) view.setUint16(i * 2, (d as Uint16Array)[i]!, true); break
    case 'int32': for (let i = 0; i < n; i++) view.setInt32(i * 4, (d as Int32Array)[i]!, true); break
    case 'uint32': for (let i = 0; i < n; i++) view.setUint32(i * 4, (d as Uint32Array)[i]!, true); break
    case 'int64': for (let i = 0; i < n; i++) view.setBigInt64(i * 8, (d as BigInt64Array)[i]!, true); break
    case 'uint64': for (let i = 0; i < n; i++) view.setBigUint64(i * 8, (d as BigUint64Array)[i]!, true); break
  }
  return out
}

function compareUtf8(a: string, b: string): number {
  return compareBytes(utf8.encode(a), utf8.encode(b))
}

/** The VTS1 parts of a set of named tensors, in order; concatenated they are its canonical encoding. */
function tensorSetParts(map: TensorMap): Uint8Array[] {
  const names = Object.keys(map).sort(compareUtf8)
  const parts: Uint8Array[] = [utf8.encode('VTS1'), u32(names.length)]
  for (const name of names) {
    const t = map[name]!
    const n = elementCount(t.shape)
    if (t.data.length !== n) throw invalid(`${name}: shape ${JSON.stringify(t.shape)} needs ${n} elements, data has ${t.data.length}`, { tensor: name })
    const nameBytes = utf8.encode(name)
    parts.push(u32(nameBytes.length), nameBytes, Uint8Array.of(dtypeCode[t.dtype]), u32(t.shape.length), ...t.shape.map(u64), dataBytes(t))
  }
  return parts
}

/** The canonical VTS1 bytes of a set of named tensors. */
export function encodeTensorSet(map: TensorMap): Uint8Array {
  return concatBytes(...tensorSetParts(map))
}

/**
 * Reads the canonical VTS1 bytes of a tensor set back (strict: names sorted and unique, known dtypes,
 * data sizes that match the shapes, nothing after the last tensor). Data is copied into fresh,
 * aligned memory, so the source buffer may be reused.
 */
export function decodeTensorSet(bytes: Uint8Array, where = 'tensor set'): TensorMap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let o = 0
  const need = (count: number, what: string) => {
    if (o + count > bytes.length) throw invalid(`${where}: ${what} runs past the end (byte ${o} + ${count} of ${bytes.length})`, { offset: o })
  }
  need(8, 'the header')
  if (utf8.decode(bytes.subarray(0, 4)) !== 'VTS1') throw invalid(`${where}: does not start with "VTS1"`, { offset: 0 })
  const count = view.getUint32(4, true)
  o = 8
  const out: TensorMap = {}
  let previous: Uint8Array | null = null
  for (let t = 0; t < count; t++) {
    need(4, `tensor ${t}'s name length`)
    const nameLength = view.getUint32(o, true)
    o += 4
    need(nameLength, `tensor ${t}'s name`)
    const nameBytes = bytes.subarray(o, o + nameLength)
    o += nameLength
    let name: string
    try {
      name = utf8.decode(nameBytes)
    } catch {
      throw invalid(`${where}: tensor ${t}'s name is not valid UTF-8`, { offset: o - nameLength })
    }
    if (previous !== null && compareBytes(previous, nameBytes) >= 0) {
      throw invalid(`${where}: tensor "${name}" is out of order or repeated (names must be unique, sorted by UTF-8 bytes)`, { tensor: name })
    }
    previous = nameBytes
    need(5, `tensor "${name}"'s dtype and rank`)
    const code = bytes[o]!
    const dtype = dtypes.find((d) => dtypeCode[d] === code)
    if (dtype === undefined) throw invalid(`${where}: tensor "${name}" has unknown dtype code ${code}`, { tensor: name, code })
    const rank = view.getUint32(o + 1, true)
    o += 5
    need(rank * 8, `tensor "${name}"'s shape`)
    const shape: number[] = []
    for (let d = 0; d < rank; d++) {
      const dim = view.getBigUint64(o, true)
      o += 8
      if (dim > BigInt(bytes.length)) throw invalid(`${where}: tensor "${name}" dimension ${d} is ${dim}, more than the message could hold`, { tensor: name })
      shape.push(Number(dim))
    }
    const n = elementCount(shape)
    let size: number
    if (dtype === 'string') {
      size = 0
      for (let i = 0; i < n; i++) {
        need(size + 4, `tensor "${name}" string ${i}`)
        size += 4 + view.getUint32(o + size, true)
      }
    } else {
      size = n * byteWidth[dtype]!
    }
    need(size, `tensor "${name}"'s data`)
    out[name] = tensorFromDataBytes(dtype, shape, bytes.subarray(o, o + size), `${where}: tensor "${name}"`)
    o += size
  }
  if (o !== bytes.length) throw invalid(`${where}: ${bytes.length - o} bytes after the last tensor`, { offset: o })
  return out
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

/** sha2-256 of the canonical encoding: the inputHash / outputHash a receipt commits to. */
export function hashTensorSet(map: TensorMap): Hex {
  // Streamed part by part: the tensors' data is hashed in place, never concatenated.
  const hash = createSha256()
  for (const part of tensorSetParts(map)) hash.update(part)
  return bytesToHex(hash.digest())
}
