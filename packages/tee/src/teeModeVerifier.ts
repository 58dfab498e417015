/**
 * The TEE check for @verity/protocol's verifyInferenceResult (its `modeVerifier` option), and the
 * JSON form of a verified attestation for explorers and APIs.
 *
 * A TEE result is trusted when: its `proof` is attestation evidence that verifies under the policy,
 * the receipt's proofHash equals attestationDigest(evidence), and the attestation's report data
 * commits to the receipt's node address (bindingFor). The result's `proof` field carries the
 * evidence in its canonical JSON form (normalizeEvidence).
 */
import { bytesToHex, type CheckOutcome, type Hex, type InferenceResult } from '@verity/protocol'
import { checkBinding, type BindingOptions } from './binding.ts'
import { attestationDigest, verifyAttestation } from './verifyAttestation.ts'
import type { AttestationEvidence, AttestationKind, VerifiedAttestation, VerifyPolicy } from './types.ts'

export type TeeModeVerifierOptions = {
  /**
   * When to verify at (unix ms or Date), or a function of the result: `atReceiptTime` checks that the
   * evidence was fresh and its certificates valid when the node signed (for saved results). Default: now.
   */
  now?: Date | number | ((result: InferenceResult) => Date | number) | undefined
  policy?: VerifyPolicy | undefined
  kind?: AttestationKind | undefined
  binding?: BindingOptions | undefined
}

/** Returns a `modeVerifier` for verifyInferenceResult that checks TEE results. */
export function teeModeVerifier(options: TeeModeVerifierOptions = {}): (result: InferenceResult) => CheckOutcome {
  return (result) => {
    const fail = (message: string): CheckOutcome => ({ check: 'mode', ok: false, message })
    if (result.receipt.mode !== 'TEE') return fail(`This verifier checks TEE results; the receipt says mode ${result.receipt.mode}.`)
    const evidence = result.proof as AttestationEvidence | undefined
    if (evidence === undefined || evidence === null || typeof evidence !== 'object') return fail('The result carries no attestation evidence in its proof field.')
    let verified: VerifiedAttestation
    try {
      if (attestationDigest(evidence) !== result.receipt.proofHash) return fail("The attached attestation is not the one the receipt's proofHash commits to.")
      const now = typeof options.now === 'function' ? options.now(result) : options.now ?? Date.now()
      verified = verifyAttestation(evidence, { now, policy: options.policy, kind: options.kind })
    } catch (error) {
      return fail(`The attached attestation cannot be read: ${(error as Error).message}`)
    }
    if (!verified.ok) return fail(`The ${verified.kind} attestation does not verify: ${verified.checks.filter((c) => !c.ok).map((c) => c.message).join(' ')}`)
    const binding = checkBinding(verified, result.receipt.node, options.binding)
    if (!binding.ok) return fail(binding.message)
    return { check: 'mode', ok: true, message: `Mode TEE: a verified ${verified.provider} attestation (measurement ${verified.measurement.slice(0, 18)}…) vouches for node ${result.receipt.node}.` }
  }
}

/** For TeeModeVerifierOptions.now: verify as of the moment the receipt was signed. */
export const atReceiptTime = (result: InferenceResult): number => result.receipt.timestamp * 1000

export type VerifiedAttestationJson = Omit<VerifiedAttestation, 'reportData'> & { reportData: Hex }

/** A verified attestation with its bytes as 0x-hex, ready for JSON. */
export function verifiedAttestationToJson(result: VerifiedAttestation): VerifiedAttestationJson {
  return { ...result, reportData: bytesToHex(result.reportData) }
}
