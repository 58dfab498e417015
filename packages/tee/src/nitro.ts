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
import { AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { Checks, checkChain, nowMs, toBytes } from './_util.ts'
import { finishNitro } from './verdicts.ts'
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
  return finishNitro(checks, doc, signatureOk, leaf.subject.replace(/\n/g, ', '), now, options)
}
