/** The SDK's default check of TEE results: @verity/tee's teeModeVerifier under the client's policy. */
import { atReceiptTime, teeModeVerifier, type AttestationEvidence, type TeeProviderName, type VerifyPolicy } from '@verity/tee'
import type { Address, Hex, VerifyResultOptions } from '@verity/protocol'

/** GET /v1/attestation: the node's current evidence, its digest (proofHash of its TEE receipts) and measurement hash. */
export type NodeAttestationJson = { node: Address; provider: TeeProviderName; measurement: Hex; digest: Hex; evidence: AttestationEvidence }

export type TeeOptions = {
  /**
   * Accept attestations from the INSECURE dev provider (nothing vouches for them). Only for local dev
   * networks (`verity up --tee dev`); default false, so such results fail verification.
   */
  allowDevTee?: boolean | undefined
  /** Further attestation policy (accepted measurements, maximum age, TCB statuses...). */
  teePolicy?: VerifyPolicy | undefined
}

export function teeVerifier(options: TeeOptions, at: { atReceiptTime?: boolean } = {}): NonNullable<VerifyResultOptions['modeVerifier']> {
  return teeModeVerifier({
    policy: { ...options.teePolicy, allowInsecureDev: options.allowDevTee === true || options.teePolicy?.allowInsecureDev === true },
    ...(at.atReceiptTime ? { now: atReceiptTime } : {}),
  })
}
