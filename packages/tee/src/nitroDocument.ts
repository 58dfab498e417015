/**
 * The AWS Nitro attestation document's encoding (COSE_Sign1 over a CBOR payload; see nitro.ts), kept
 * free of Node APIs so the browser verifier (browser.ts) parses documents with the same code.
 */
import { Encoder, Tag } from 'cbor-x'
import { VerityError } from '@verity/protocol'

export const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false })

export type NitroDocument = {
  protectedHeader: Uint8Array
  payload: Uint8Array
  signature: Uint8Array
  moduleId: string
  digest: string
  timestamp: number
  pcrs: Map<number, Uint8Array>
  certificate: Uint8Array
  cabundle: Uint8Array[]
  publicKey: Uint8Array | null
  userData: Uint8Array | null
  nonce: Uint8Array | null
}

export function malformed(message: string, cause?: unknown): VerityError {
  return new VerityError('ATTESTATION_MALFORMED', `Nitro attestation document: ${message}`, { cause })
}

const asBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

/** Decodes a Nitro attestation document (COSE_Sign1 bytes) without verifying it. */
export function parseNitroDocument(bytes: Uint8Array): NitroDocument {
  let outer: unknown
  try {
    outer = cbor.decode(bytes)
  } catch (cause) {
    throw malformed('not valid CBOR', cause)
  }
  if (outer instanceof Tag) outer = outer.value
  if (!Array.isArray(outer) || outer.length !== 4) throw malformed('expected a COSE_Sign1 array of 4 items')
  const [protectedHeader, , payload, signature] = outer as unknown[]
  if (!asBytes(protectedHeader) || !asBytes(payload) || !asBytes(signature)) throw malformed('COSE_Sign1 fields must be byte strings')
  let header: unknown
  let body: unknown
  try {
    header = cbor.decode(protectedHeader)
    body = cbor.decode(payload)
  } catch (cause) {
    throw malformed('protected header or payload is not valid CBOR', cause)
  }
  if (!(header instanceof Map) || header.get(1) !== -35) throw malformed('protected header must name ES384 (alg -35)')
  if (!(body instanceof Map)) throw malformed('payload must be a CBOR map')
  const get = (key: string): unknown => body.get(key)
  const moduleId = get('module_id')
  const digest = get('digest')
  const timestamp = get('timestamp')
  const pcrs = get('pcrs')
  const certificate = get('certificate')
  const cabundle = get('cabundle')
  if (typeof moduleId !== 'string' || moduleId === '') throw malformed('module_id missing')
  if (digest !== 'SHA384') throw malformed(`digest must be SHA384, got ${JSON.stringify(digest)}`)
  if (typeof timestamp !== 'number' && typeof timestamp !== 'bigint') throw malformed('timestamp missing')
  if (!(pcrs instanceof Map) || pcrs.size === 0 || pcrs.size > 32) throw malformed('pcrs must be a map of 1 to 32 entries')
  for (const [k, v] of pcrs) {
    if (typeof k !== 'number' || !asBytes(v) || ![32, 48, 64].includes(v.length)) throw malformed(`pcr ${String(k)} must be 32, 48 or 64 bytes`)
  }
  if (!asBytes(certificate)) throw malformed('certificate missing')
  if (!Array.isArray(cabundle) || cabundle.length === 0 || !cabundle.every(asBytes)) throw malformed('cabundle must be a non-empty list of certificates')
  const optional = (key: string): Uint8Array | null => {
    const v = get(key)
    if (v === undefined || v === null) return null
    if (!asBytes(v) || v.length > 1024) throw malformed(`${key} must be at most 1024 bytes`)
    return v
  }
  return {
    protectedHeader, payload, signature, moduleId, digest, timestamp: Number(timestamp),
    pcrs: pcrs as Map<number, Uint8Array>, certificate, cabundle: cabundle as Uint8Array[],
    publicKey: optional('public_key'), userData: optional('user_data'), nonce: optional('nonce'),
  }
}

/** Rebuilds a document's bytes after a field changed (tests use it to tamper). */
export function encodeNitroDocument(doc: NitroDocument, payloadOverride?: Map<string, unknown>): Uint8Array {
  const payload = payloadOverride === undefined ? doc.payload : cbor.encode(payloadOverride)
  return cbor.encode([doc.protectedHeader, new Map(), payload, doc.signature])
}

/** The payload as a CBOR map (to tamper with in tests, or to read vendor fields). */
export function nitroPayloadMap(doc: NitroDocument): Map<string, unknown> {
  return cbor.decode(doc.payload) as Map<string, unknown>
}
