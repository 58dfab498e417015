/**
 * ZKML results in the SDK: the verification key comes from the model release in the node's hub
 * (content-addressed file `zk/vk.json`, checked against the release's `vkHash` on the model card),
 * the public signals are recomputed from the returned input and output, and the receipt's proofHash
 * must commit to the attached proof. Browser-safe (`@verity/zk/verify`).
 */
import type { CheckOutcome, InferenceResult, VerifyResultOptions } from '@verity/protocol'
import { verifyZkInferenceResult, vkHash, type ZkCheck, type ZkResultProof, type ZkVerifierKey } from '@verity/zk/verify'

/** What GET /v1/zk/:cid answers. */
export type ZkSetupJson = { cid: string; repo: string; release: string; published: boolean; vkHash: string; files: Record<string, string> }

/** The `proof` of a ZKML result as a node returns it; `verifierKey` is added by clients that save results for offline checks. */
export type ZkmlProof = ZkResultProof & {
  setup?: { repo: string; release: string }
  unprovenFloatOutput?: unknown
  timings?: unknown
  verifierKey?: ZkVerifierKey
}

export type ZkModeCheck = CheckOutcome & { zkChecks: ZkCheck[] }

/**
 * The ZKML mode check for a result, against `vk`. `pinnedVkHash`: the key hash you trust for this
 * model (from its release); the result fails when the key differs.
 */
export async function checkZkml(result: InferenceResult, vk: ZkVerifierKey, pinnedVkHash?: string): Promise<ZkModeCheck> {
  if (pinnedVkHash !== undefined && vkHash(vk.vk) !== pinnedVkHash) {
    return { check: 'mode', ok: false, message: `Mode ZKML: the verification key hashes to ${vkHash(vk.vk)}, not to ${pinnedVkHash}, the key of the model release: it is not this model's key.`, zkChecks: [] }
  }
  const proof = result.proof as ZkmlProof | undefined
  if (proof && typeof proof === 'object' && pinnedVkHash !== undefined && proof.vkHash !== pinnedVkHash) {
    return { check: 'mode', ok: false, message: `Mode ZKML: the node says it proved with key ${proof.vkHash}, but the model release's key is ${pinnedVkHash}.`, zkChecks: [] }
  }
  const v = await verifyZkInferenceResult(result, vk)
  return { check: 'mode', ok: v.ok, message: v.message, zkChecks: v.checks }
}

/** A synchronous modeVerifier (protocol's verifyInferenceResult) answering a check computed before. */
export const modeVerifierOf = (check: CheckOutcome): NonNullable<VerifyResultOptions['modeVerifier']> => () => ({ check: check.check, ok: check.ok, message: check.message })

export function parseVerifierKey(bytes: Uint8Array, cid: string): ZkVerifierKey {
  const key = JSON.parse(new TextDecoder().decode(bytes)) as ZkVerifierKey
  if (key?.version !== 1 || typeof key.vk !== 'object' || key.cid !== cid) throw new TypeError(`zk/vk.json is not a verification key for model ${cid}`)
  return key
}
