/** One entry point for every evidence kind, and the digest receipts use to commit to evidence. */
import { VerityError, bytesToHex, canonicalJson, utf8, type Hex } from '@verity/protocol'
import { verifyNitro } from './nitro.ts'
import { verifySnp, SNP_REPORT_SIZE } from './snp.ts'
import { verifyDcap } from './dcap.ts'
import { verifyDev } from './dev.ts'
import { sha256, toBytes } from './_util.ts'
import { attestationKinds, type AttestationEvidence, type VerifiedAttestation, type VerifyOptions } from './types.ts'

export type VerifyAttestationParameters = AttestationEvidence | Uint8Array | string

/**
 * Verifies attestation evidence of any kind. Raw bytes (or base64/hex) are taken as a Nitro
 * document; SEV-SNP and DCAP need their certificates/collateral, so pass the evidence object.
 *
 * @example
 * const r = verifyAttestation({ kind: 'sev-snp', report, vcek }, { now: Date.now() })
 * if (!r.ok) console.log(r.checks.filter((c) => !c.ok).map((c) => c.message))
 * @throws VerityError ATTESTATION_MALFORMED for input that is no attestation of the kind claimed.
 */
export function verifyAttestation(evidence: VerifyAttestationParameters, options: VerifyOptions): VerifiedAttestation {
  if (evidence instanceof Uint8Array || typeof evidence === 'string') {
    const bytes = toBytes(evidence, 'attestation')
    if (bytes.length === SNP_REPORT_SIZE) {
      throw new VerityError('ATTESTATION_MALFORMED', 'These bytes look like an SEV-SNP report, which needs its VCEK: pass { kind: "sev-snp", report, vcek }')
    }
    if (bytes.length > 48 && (bytes[0] === 3 || bytes[0] === 4 || bytes[0] === 5) && bytes[1] === 0) {
      throw new VerityError('ATTESTATION_MALFORMED', 'These bytes look like an Intel DCAP quote, which needs Intel collateral: pass { kind: "tdx" | "sgx", quote, collateral }')
    }
    return check(verifyNitro(bytes, options), options)
  }
  if (evidence === null || typeof evidence !== 'object' || !(attestationKinds as readonly unknown[]).includes((evidence as { kind?: unknown }).kind)) {
    throw new VerityError('ATTESTATION_MALFORMED', `Attestation evidence must have kind ${attestationKinds.join(', ')}`, { details: { kind: (evidence as { kind?: unknown } | null)?.kind } })
  }
  switch (evidence.kind) {
    case 'nitro': return check(verifyNitro(evidence, options), options)
    case 'sev-snp': return check(verifySnp(evidence, options), options)
    case 'tdx':
    case 'sgx': return check(verifyDcap(evidence, options), options)
    case 'dev': return check(verifyDev(evidence, options), options)
  }
}

function check(result: VerifiedAttestation, options: VerifyOptions): VerifiedAttestation {
  if (options.kind === undefined || options.kind === result.kind) return result
  const checks = [...result.checks, { check: 'kind' as const, ok: false, message: `Expected a ${options.kind} attestation, got ${result.kind}.` }]
  return { ...result, ok: false, checks }
}

const bin = (value: string | Uint8Array, what: string): Hex => bytesToHex(toBytes(value, what))

/** Evidence in its canonical JSON form: every binary field as lower-case 0x-hex. */
export function normalizeEvidence(evidence: AttestationEvidence): AttestationEvidence {
  switch (evidence.kind) {
    case 'nitro': return { kind: 'nitro', document: bin(evidence.document, 'document') }
    case 'sev-snp': {
      const pemOrBin = (v: string | Uint8Array | undefined, what: string) =>
        v === undefined ? undefined : typeof v === 'string' && v.includes('-----BEGIN') ? bytesToHex(new Uint8Array(Buffer.from(v.replace(/-----[^-]+-----|\s+/g, ''), 'base64'))) : bin(v, what)
      return { kind: 'sev-snp', report: bin(evidence.report, 'report'), vcek: pemOrBin(evidence.vcek, 'vcek')!, ask: pemOrBin(evidence.ask, 'ask'), ark: pemOrBin(evidence.ark, 'ark') }
    }
    case 'tdx':
    case 'sgx': return { kind: evidence.kind, quote: bin(evidence.quote, 'quote'), collateral: evidence.collateral }
    case 'dev': return evidence
  }
}

/**
 * sha256(utf8(canonicalJson(normalizeEvidence(evidence)))): the bytes32 a receipt's proofHash uses
 * to commit to the attestation it relied on.
 */
export function attestationDigest(evidence: AttestationEvidence): Hex {
  return bytesToHex(sha256(utf8.encode(canonicalJson(normalizeEvidence(evidence)))))
}
