/**
 * Offline checks of an LLM answer against its receipt, for clients: the request and answer hash to
 * the receipt's inputHash and outputHash, the model digest names the model asked for, the mode is
 * TEE, and the signature recovers to the node. Whether the attestation behind proofHash is good is
 * @verity/tee's job (teeModeVerifier / verifyAttestation + checkBinding).
 */
import { assertReceipt, recoverReceiptSigner, sameAddress, type Receipt } from '@verity/protocol'
import { hashOutput, hashRequest, llmModelDigest } from './hashing.ts'
import type { ChatCompletionRequest, ChatCompletionResponse } from './types.ts'

export type LlmReceiptCheck = { check: 'format' | 'model' | 'input-hash' | 'output-hash' | 'mode' | 'signature'; ok: boolean; message: string }

export type VerifyLlmReceiptParameters = {
  request: ChatCompletionRequest
  /** The answer as the gateway returned it (model = "provider/model"). */
  response: Pick<ChatCompletionResponse, 'model' | 'choices'>
  receipt: Receipt
  signature: string
}

export function verifyLlmReceipt(params: VerifyLlmReceiptParameters): { ok: boolean; checks: LlmReceiptCheck[] } {
  const checks: LlmReceiptCheck[] = []
  try {
    assertReceipt(params.receipt)
  } catch (error) {
    checks.push({ check: 'format', ok: false, message: `The receipt is malformed: ${(error as Error).message}.` })
    return { ok: false, checks }
  }
  const r = params.receipt
  const model = params.request.model
  const modelOk = r.modelDigest === llmModelDigest(model) && params.response.model === model
  checks.push({ check: 'model', ok: modelOk, message: modelOk ? `The receipt names model ${model}.` : `The receipt or answer names another model than ${model}.` })
  const input = hashRequest(params.request)
  checks.push({ check: 'input-hash', ok: input === r.inputHash, message: input === r.inputHash ? 'The request hashes to the receipt\'s inputHash.' : 'The request does not hash to the receipt\'s inputHash: it was changed after signing.' })
  const output = hashOutput(params.response)
  checks.push({ check: 'output-hash', ok: output === r.outputHash, message: output === r.outputHash ? 'The answer hashes to the receipt\'s outputHash.' : 'The answer does not hash to the receipt\'s outputHash: it was changed after signing.' })
  checks.push({ check: 'mode', ok: r.mode === 'TEE', message: r.mode === 'TEE' ? 'Mode TEE: proofHash names the attestation the node relied on (verify it with @verity/tee).' : `LLM receipts are TEE receipts; this one says ${r.mode}.` })
  const signer = recoverReceiptSigner(r, params.signature)
  const sigOk = signer !== null && sameAddress(signer, r.node)
  checks.push({ check: 'signature', ok: sigOk, message: sigOk ? `Signed by node ${r.node}.` : `The signature does not recover to node ${r.node}.` })
  return { ok: checks.every((c) => c.ok), checks }
}
