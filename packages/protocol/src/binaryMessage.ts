/**
 * Binary inference messages: the tensors of a request or a result in their canonical VTS1 bytes
 * (tensor.ts) instead of JSON, for clients that already hold typed tensors. Specified once, here:
 *
 *   message := "VRB1" u32(len(head)) head tensorSet
 *   head    := UTF-8 JSON object (a request without `input`, or a result without `input`/`output`)
 *   tensorSet := VTS1 (tensor.ts); all integers little-endian
 *
 * Sent with content type `application/vnd.verity.vrb1` to `POST /v1/infer`, it is answered in kind:
 * the head is the result (receipt, signature, model, source, proof) and the tensor set its outputs.
 * The input is not echoed back: the client holds it. No base64 or JSON number parsing on either side,
 * and the input hash a receipt commits to is the sha2-256 of the very tensor-set bytes sent.
 */
import { concatBytes, utf8 } from './bytes.ts'
import { VerityError } from './errors.ts'
import { decodeTensorSet, encodeTensorSet, type TensorMap } from './tensor.ts'

export const BINARY_MESSAGE_MEDIA_TYPE = 'application/vnd.verity.vrb1'
const magic = utf8.encode('VRB1')

export type BinaryMessage = { head: Record<string, unknown>; tensors: TensorMap }

/** The bytes of a binary message (head JSON and tensors). */
export function encodeBinaryMessage(head: Record<string, unknown>, tensors: TensorMap): Uint8Array {
  const headBytes = utf8.encode(JSON.stringify(head))
  const length = new Uint8Array(4)
  new DataView(length.buffer).setUint32(0, headBytes.length, true)
  return concatBytes(magic, length, headBytes, encodeTensorSet(tensors))
}

/** Reads a binary message; a malformed one is INVALID_INPUT naming what is wrong and where. */
export function decodeBinaryMessage(bytes: Uint8Array, where = 'binary message'): BinaryMessage {
  const fail = (message: string, offset: number) => new VerityError('INVALID_INPUT', `${where}: ${message}`, { details: { offset } })
  if (bytes.length < 8) throw fail(`${bytes.length} bytes is too short (at least 8: "VRB1" and the head length)`, 0)
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic[i]) throw fail('does not start with "VRB1"', 0)
  const headLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true)
  if (8 + headLength > bytes.length) throw fail(`the head (${headLength} bytes) runs past the end of the message (${bytes.length} bytes)`, 4)
  let head: unknown
  try {
    head = JSON.parse(utf8.decode(bytes.subarray(8, 8 + headLength)))
  } catch (error) {
    throw fail(`the head is not UTF-8 JSON: ${(error as Error).message}`, 8)
  }
  if (head === null || typeof head !== 'object' || Array.isArray(head)) throw fail('the head must be a JSON object', 8)
  return { head: head as Record<string, unknown>, tensors: decodeTensorSet(bytes.subarray(8 + headLength), `${where} tensors`) }
}
