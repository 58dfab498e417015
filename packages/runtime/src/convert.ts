/**
 * Conversion between protocol Tensors and onnxruntime tensors (runs inside the workers), and the
 * transfer lists that move tensor buffers between threads without copying.
 */
import ort from 'onnxruntime-node'
import { VerityError, type Tensor, type TensorMap } from '@verity/protocol'

/** onnxruntime's tensor type names that map 1:1 onto protocol dtypes (bool is Uint8Array 0/1 in both). */
const fromOrtType: Record<string, Tensor['dtype']> = {
  float32: 'float32', float64: 'float64', int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', string: 'string',
}

export function toOrtTensor(tensor: Tensor): ort.Tensor {
  // The Tensor union and ort's (type, data) overloads line up dtype by dtype; TypeScript cannot see through the union.
  return new ort.Tensor(tensor.dtype as 'float32', tensor.data as Float32Array, tensor.shape)
}

export function toOrtFeeds(inputs: TensorMap): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {}
  for (const [name, tensor] of Object.entries(inputs)) feeds[name] = toOrtTensor(tensor)
  return feeds
}

/** An onnxruntime output as a protocol Tensor; UNSUPPORTED_MODEL for types Verity cannot carry. */
export function fromOrtTensor(name: string, value: ort.OnnxValue): Tensor {
  const type = (value as ort.Tensor).type
  const dtype = fromOrtType[type]
  if (dtype === undefined) {
    throw new VerityError('UNSUPPORTED_MODEL', `Output "${name}" is ${type}, which Verity cannot carry; re-export the model with a supported output type.`, {
      details: { tensor: name, type },
    })
  }
  const t = value as ort.Tensor
  const shape = t.dims.map(Number)
  const data = dtype === 'string' ? Array.from(t.data as string[]) : t.data
  return { dtype, shape, data } as Tensor
}

export function fromOrtOutputs(outputs: Record<string, ort.OnnxValue>): TensorMap {
  const out: TensorMap = {}
  for (const [name, value] of Object.entries(outputs)) out[name] = fromOrtTensor(name, value)
  return out
}

/**
 * Prepares a tensor map for postMessage: returns a map whose typed arrays each own their whole
 * ArrayBuffer (views that share a bigger or pooled buffer are copied, others are used as they are)
 * and the transfer list of those buffers. After the transfer the sender's arrays are detached: the
 * buffers move to the other thread instead of being copied.
 */
export function transferable(map: TensorMap): { map: TensorMap; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = []
  const out: TensorMap = {}
  for (const [name, tensor] of Object.entries(map)) {
    if (tensor.dtype === 'string') {
      out[name] = tensor
      continue
    }
    const data = tensor.data
    const ownsBuffer = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      && !transfer.includes(data.buffer)
    const moved = (ownsBuffer ? tensor : { ...tensor, data: data.slice() }) as Tensor
    out[name] = moved
    transfer.push((moved.data as Float32Array).buffer as ArrayBuffer)
  }
  return { map: out, transfer }
}
