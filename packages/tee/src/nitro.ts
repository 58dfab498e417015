/**
 * AWS Nitro Enclaves attestation documents (NSM API, "attestation document" spec:
 * https://github.com/aws/aws-nitro-enclaves-nsm-api/blob/main/docs/attestation_process.md).
 *
 *   document  = COSE_Sign1 [protected, unprotected, payload, signature]  (RFC 9052 §4.2, optional tag 18)
 *   protected = { 1 (alg): -35 (ES384) }
 *   payload   = CBOR map { module_id, digest: "SHA384", timestamp (ms), pcrs {0..15: 48 bytes},
 *               certificate (DER), cabundle [root, …, issuer of certificate], public_key?, user_data?, nonce? }
 *   signature = r || s (48 + 48 bytes) over Sig_structure ["Signature1", protected, h'', payload]
 *
 * The leaf certificate signs the document; the cabundle chains it to the AWS Nitro root, pinned by
 * fingerprint. A debug enclave reports PCR0..2 as all zeros (its memory is open to the parent), so
 * it is refused unless policy.allowDebug.
 */
import { Encoder, Tag } from 'cbor-x'
import { X509Certificate, verify as verifySignature } from 'node:crypto'
import { VerityError, bytesToHex } from '@verity/protocol'
import { AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { Checks, checkChain, iso, isAllZero, nowMs, result, toBytes } from './_util.ts'
import type { NitroEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false })

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

function malformed(message: string, cause?: unknown): VerityError {
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

/**
 * Verifies an AWS Nitro Enclaves attestation document.
 * @throws VerityError ATTESTATION_MALFORMED when the bytes are not a Nitro document at all.
 * @returns checks for root, chain, validity, signature, freshness and debug; `ok` only if all pass.
 */
export function verifyNitro(evidence: NitroEvidence | Uint8Array | string, options: VerifyOptions): VerifiedAttestation {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const raw = evidence instanceof Uint8Array || typeof evidence === 'string' ? evidence : evidence.document
  const doc = parseNitroDocument(toBytes(raw, 'nitro document'))
  const checks = new Checks()

  const pinned = new X509Certificate(policy.roots?.nitro ?? AWS_NITRO_ROOT_G1_PEM)
  let leaf: X509Certificate
  let bundle: X509Certificate[]
  try {
    leaf = new X509Certificate(doc.certificate)
    bundle = doc.cabundle.map((c) => new X509Certificate(c))
  } catch (cause) {
    throw malformed('certificate or cabundle holds an unreadable certificate', cause)
  }
  // cabundle is ordered root first; the chain to check runs leaf → root.
  checkChain(checks, [leaf, ...[...bundle].reverse()], pinned, now, 'AWS Nitro')

  const sigStructure = cbor.encode(['Signature1', doc.protectedHeader, new Uint8Array(0), doc.payload])
  const key = leaf.publicKey
  let signatureOk = false
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1' && doc.signature.length === 96) {
    // COSE ECDSA signatures are r || s (IEEE P1363) with no low-s rule (RFC 9053 §2.1); OpenSSL accepts high-s.
    signatureOk = verifySignature('sha384', sigStructure, { key, dsaEncoding: 'ieee-p1363' }, doc.signature)
  }
  checks.add('signature', signatureOk, signatureOk
    ? `The document is signed (ES384) by the enclave certificate "${doc.moduleId}".`
    : 'The document signature does not match its contents and the enclave certificate: it was altered or forged.')

  const maxAge = (policy.maxAgeSeconds ?? 600) * 1000
  const age = now - doc.timestamp
  const fresh = age >= -60_000 && age <= maxAge
  checks.add('freshness', fresh, fresh
    ? `Produced at ${iso(doc.timestamp)}, ${Math.round(age / 1000)} s before the check (limit ${maxAge / 1000} s).`
    : age < 0
      ? `Produced at ${iso(doc.timestamp)}, which is in the future relative to ${iso(now)}.`
      : `Produced at ${iso(doc.timestamp)}, ${Math.round(age / 1000)} s before ${iso(now)}: older than the ${maxAge / 1000} s limit.`)

  const pcr = (i: number): Uint8Array => doc.pcrs.get(i) ?? new Uint8Array(48)
  const debug = isAllZero(pcr(0)) && isAllZero(pcr(1)) && isAllZero(pcr(2))
  checks.add('debug', !debug || policy.allowDebug === true, !debug
    ? 'The enclave runs in production mode (PCR0-2 are set).'
    : policy.allowDebug === true
      ? 'The enclave runs in DEBUG mode (PCR0-2 are zero): its memory is readable by the host. Accepted because the policy allows debug.'
      : 'The enclave runs in DEBUG mode (PCR0-2 are zero): its memory is readable by the host, so nothing it signs can be trusted.')

  const pcrs: Record<string, string> = {}
  for (const [k, v] of [...doc.pcrs].sort(([a], [b]) => a - b)) pcrs[String(k)] = bytesToHex(v)
  return result(checks, {
    kind: 'nitro', provider: 'aws-nitro', measurement: pcr(0), reportData: doc.userData ?? new Uint8Array(0), debug,
    timestamp: doc.timestamp,
    claims: {
      moduleId: doc.moduleId, pcrs, publicKey: doc.publicKey && bytesToHex(doc.publicKey), userData: doc.userData && bytesToHex(doc.userData),
      nonce: doc.nonce && bytesToHex(doc.nonce), certificateSubject: leaf.subject.replace(/\n/g, ', '),
    },
  }, options)
}
