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
import { cbor, malformed, parseNitroDocument } from './nitroDocument.ts'
import { X509Certificate, verify as verifySignature } from 'node:crypto'
import { bytesToHex } from '@verity/protocol'
import { AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { Checks, checkChain, iso, isAllZero, nowMs, result, toBytes } from './_util.ts'
import type { NitroEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

export { parseNitroDocument, encodeNitroDocument, nitroPayloadMap, type NitroDocument } from './nitroDocument.ts'

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
