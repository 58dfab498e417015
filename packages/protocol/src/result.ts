/**
 * The inference result a client receives and may save (`verity infer --out`), and the offline checks
 * that decide whether to trust it. Every client (SDK, CLI, explorer) runs these same checks.
 */
import { cidDigest, isCid } from './cid.ts'
import { isBytes32, type Hex } from './bytes.ts'
import { sameAddress, type Address } from './address.ts'
import { assertReceipt, receiptDigest, recoverReceiptSigner, ZERO_HASH, type Receipt } from './receipt.ts'
import { hashTensorSet, tensorMapFromJson, type TensorMapJson } from './tensor.ts'

export type InferenceResult = {
  /** Format version of this object. */
  version: 1
  /** CID of the model file that ran. */
  model: string
  /** The input as the node received it, canonical JSON tensors. */
  input: TensorMapJson
  output: TensorMapJson
  receipt: Receipt
  /** r || s || v over the receipt's EIP-712 digest. */
  signature: Hex
  /** Mode-specific evidence (ZK proof, attestation, quorum receipts); absent for VANILLA. */
  proof?: unknown
  /** Where the result came from (informational; never trusted by the checks). */
  source?: { node?: string; ref?: string }
  /** What the node did with the receipt when a settlement mode was asked for (informational). */
  settlement?: import('./api.ts').LlmSettlementJson
}

export type CheckId = 'format' | 'model' | 'input-hash' | 'output-hash' | 'signature' | 'signer' | 'mode' | 'registry' | 'inclusion'
  // TEE (LLM) results: the attestation verifies and is the one proofHash names; it binds the signing key.
  | 'attestation' | 'binding'

export type CheckOutcome = {
  check: CheckId
  ok: boolean
  /** Plain words: what was checked and what was found. */
  message: string
}

export type VerifyResultOptions = {
  /** Accept only these signer addresses (e.g. the node you asked, or registered nodes). */
  trustedSigners?: readonly string[] | undefined
  /** The model you asked for; the result must be for exactly this CID. */
  expectedModel?: string | undefined
  /** Extra checks for modes beyond VANILLA (ZK, TEE, quorum) supplied by their packages. */
  modeVerifier?: ((result: InferenceResult) => CheckOutcome) | undefined
}

export type VerifyResultReturnType = { ok: boolean; checks: CheckOutcome[]; receiptId: Hex | null; signer: Address | null }

const short = (hex: string): string => `${hex.slice(0, 10)}…${hex.slice(-6)}`

/** Runs every offline check on a result; never throws on a bad result, reports it. */
export function verifyInferenceResult(result: unknown, options: VerifyResultOptions = {}): VerifyResultReturnType {
  const checks: CheckOutcome[] = []
  const fail = (check: CheckId, message: string): VerifyResultReturnType => {
    checks.push({ check, ok: false, message })
    return { ok: false, checks, receiptId: null, signer: null }
  }
  if (result === null || typeof result !== 'object') return fail('format', 'The result is not a JSON object.')
  const r = result as InferenceResult
  try {
    assertReceipt(r.receipt)
  } catch (error) {
    return fail('format', `The receipt is malformed: ${(error as Error).message}.`)
  }
  if (!isCid(r.model)) return fail('format', `The model field ${JSON.stringify(r.model)} is not a model CID.`)
  checks.push({ check: 'format', ok: true, message: 'The result and its receipt are well-formed.' })
  const receipt = r.receipt

  const modelOk = cidDigest(r.model) === receipt.modelDigest && (options.expectedModel === undefined || options.expectedModel === r.model)
  checks.push({
    check: 'model', ok: modelOk,
    message: modelOk
      ? `The receipt names model ${r.model}${options.expectedModel ? ', the one requested' : ''}.`
      : options.expectedModel !== undefined && options.expectedModel !== r.model
        ? `The result is for model ${r.model}, but ${options.expectedModel} was requested.`
        : `The receipt's model digest ${short(receipt.modelDigest)} does not match model ${r.model}.`,
  })

  for (const [check, tensors, claimed, label] of [
    ['input-hash', r.input, receipt.inputHash, 'input'],
    ['output-hash', r.output, receipt.outputHash, 'output'],
  ] as const) {
    let hash: Hex | null = null
    let problem = ''
    try {
      hash = hashTensorSet(tensorMapFromJson(tensors, label))
    } catch (error) {
      problem = (error as Error).message
    }
    const ok = hash === claimed
    checks.push({
      check, ok,
      message: ok
        ? `The ${label} tensors hash to ${short(claimed)}, as the receipt says.`
        : hash === null
          ? `The ${label} tensors cannot be read: ${problem}.`
          : `The ${label} tensors hash to ${short(hash)}, but the receipt says ${short(claimed)}: the ${label} was changed after signing.`,
    })
  }

  const signer = recoverReceiptSigner(receipt, r.signature)
  const signatureOk = signer !== null && sameAddress(signer, receipt.node)
  checks.push({
    check: 'signature', ok: signatureOk,
    message: signatureOk
      ? `The receipt is signed by node ${receipt.node} (EIP-712, chain ${receipt.chainId}).`
      : signer === null
        ? 'The signature is malformed or does not recover to any key.'
        : `The signature recovers to ${signer}, not to the node ${receipt.node} the receipt names: the receipt was altered or signed by someone else.`,
  })

  if (options.trustedSigners !== undefined) {
    const trusted = options.trustedSigners.some((a) => sameAddress(a, receipt.node))
    checks.push({
      check: 'signer', ok: trusted,
      message: trusted ? `Node ${receipt.node} is one of the signers you trust.` : `Node ${receipt.node} is not among the signers you trust (${options.trustedSigners.join(', ') || 'none'}).`,
    })
  }

  if (options.modeVerifier) checks.push(options.modeVerifier(r))
  else if (receipt.mode === 'VANILLA') {
    const ok = receipt.proofHash === ZERO_HASH
    checks.push({ check: 'mode', ok, message: ok ? 'Mode VANILLA: the node vouches for the output with its signature alone; no proof is attached.' : 'Mode VANILLA must carry a zero proof hash.' })
  } else {
    checks.push({ check: 'mode', ok: false, message: `Mode ${receipt.mode} needs its proof checked, and this verifier has no ${receipt.mode} checker.` })
  }

  const ok = checks.every((c) => c.ok)
  return { ok, checks, receiptId: receiptDigest(receipt), signer }
}

