/**
 * QUORUM results: k nodes signed the same output for one request. Their receipts travel in the
 * result's `proof`; this module says what such a proof is and checks it offline (SDK, CLI, explorer).
 */
import { sameAddress } from './address.ts'
import type { Hex } from './bytes.ts'
import { recoverReceiptSigner, type Receipt } from './receipt.ts'
import type { CheckOutcome, InferenceResult } from './result.ts'
import type { TensorMapJson } from './tensor.ts'

/** One node's signed QUORUM answer, as carried in a quorum result's `proof.receipts`. */
export type QuorumVote = { receipt: Receipt; signature: Hex; node: string; output?: TensorMapJson }

/** `proof` of a QUORUM result: k agreeing receipts (and any dissenting ones seen on the way). */
export type QuorumProof = { kind: 'quorum'; k: number; receipts: QuorumVote[]; dissent?: QuorumVote[] }

/**
 * The offline QUORUM mode check: every receipt validly signed by a distinct signer, all for the same
 * requestId, model, input and output hashes as the result's receipt, mode QUORUM, at least k of them.
 */
export function quorumModeVerifier(options: { k?: number | undefined } = {}): (result: InferenceResult) => CheckOutcome {
  return (result) => {
    const fail = (message: string): CheckOutcome => ({ check: 'mode', ok: false, message })
    const top = result.receipt
    if (top.mode !== 'QUORUM') return fail(`Mode ${top.mode}: expected a QUORUM receipt.`)
    const proof = result.proof as Partial<QuorumProof> | undefined
    if (!proof || proof.kind !== 'quorum' || !Array.isArray(proof.receipts)) return fail('Mode QUORUM needs proof.receipts (the agreeing receipts); none were attached.')
    const k = options.k ?? proof.k ?? 0
    if (!Number.isInteger(proof.k) || (proof.k as number) < 1) return fail(`The quorum proof's k ${JSON.stringify(proof.k)} is not a positive integer.`)
    if (options.k !== undefined && (proof.k as number) < options.k) return fail(`The quorum was k = ${proof.k}, but k >= ${options.k} was required.`)
    const signers: string[] = []
    for (const [i, vote] of proof.receipts.entries()) {
      const r = vote?.receipt
      if (!r || typeof r !== 'object') return fail(`Quorum receipt ${i + 1} is missing.`)
      for (const field of ['requestId', 'modelDigest', 'inputHash', 'outputHash', 'chainId'] as const) {
        if (r[field] !== top[field]) return fail(`Quorum receipt ${i + 1} (node ${r.node}) has a different ${field} (${String(r[field])}) than the result (${String(top[field])}).`)
      }
      if (r.mode !== 'QUORUM') return fail(`Quorum receipt ${i + 1} (node ${r.node}) is mode ${r.mode}, not QUORUM.`)
      const signer = recoverReceiptSigner(r, vote.signature)
      if (signer === null || !sameAddress(signer, r.node)) return fail(`Quorum receipt ${i + 1}: the signature does not recover to node ${r.node}.`)
      if (signers.some((s) => sameAddress(s, signer))) return fail(`Node ${signer} signed more than one of the quorum receipts: the signers must be distinct.`)
      signers.push(signer)
    }
    if (!signers.some((s) => sameAddress(s, top.node))) return fail(`The result's own receipt (node ${top.node}) is not among the quorum receipts.`)
    if (signers.length < k) return fail(`Only ${signers.length} agreeing receipts, but the quorum needs ${k}.`)
    return { check: 'mode', ok: true, message: `Mode QUORUM: ${signers.length} distinct nodes (k = ${k}) signed the same output hash for request ${top.requestId.slice(0, 10)}…` }
  }
}

