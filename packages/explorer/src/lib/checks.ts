/**
 * What the explorer says about a result or a stored receipt: a verdict and each check in plain words.
 * Every check is re-run here, in the reader's browser, with @verity/protocol's verifyInferenceResult
 * (signature recovery, tensor hashing, model digest) — nothing is taken from the server's word.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  assertReceipt, bytesToHex, receiptDigest, recoverReceiptSigner, sameAddress, verifyInferenceResult,
  type Address, type CheckOutcome, type Hex, type InferenceResult, type StoredReceipt,
  quorumModeVerifier,
} from '@verity/protocol'

export type CheckStatus = 'pass' | 'fail' | 'skip'
export type DisplayCheck = { id: string; title: string; status: CheckStatus; message: string }
export type VerdictStatus = 'verified' | 'failed' | 'incomplete'
export type Verdict = {
  status: VerdictStatus; headline: string; checks: DisplayCheck[]; receiptId: Hex | null; signer: Address | null
  /** What the evidence says, for display (e.g. a TEE's provider and measurement). */
  facts?: Array<[string, string]>
}

export const checkTitles: Record<string, string> = {
  format: 'Readable result',
  id: 'Receipt id',
  model: 'Which model',
  'input-hash': 'Input recomputed',
  'output-hash': 'Output recomputed',
  signature: 'Who signed',
  signer: 'Signer you trust',
  mode: 'Proof, attestation or quorum',
  settlement: 'Settlement',
}

export type VerifyForDisplayOptions = {
  /** Addresses to trust (e.g. the node serving the page for its own receipts). */
  trustedSigners?: readonly string[] | undefined
  expectedModel?: string | undefined
  /** The receipt id the reader asked for (from the URL): the receipt must hash to it. */
  expectedId?: string | undefined
}

/** A stored receipt (GET /v1/receipts/:id) has an `id` and no `version`; a saved result has `version`. */
export function isStoredReceipt(value: unknown): value is StoredReceipt {
  return typeof value === 'object' && value !== null && 'id' in value && 'receipt' in value && !('version' in value)
}

function display(outcome: CheckOutcome): DisplayCheck {
  return { id: outcome.check, title: checkTitles[outcome.check] ?? outcome.check, status: outcome.ok ? 'pass' : 'fail', message: outcome.message }
}

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`

function settlementCheck(value: unknown): DisplayCheck | null {
  const s = (value as { settlement?: unknown } | null)?.settlement
  if (s === undefined || s === null || typeof s !== 'object') return null
  const { status, batchRoot, txHash } = s as { status?: unknown; batchRoot?: unknown; txHash?: unknown }
  const parts = [typeof status === 'string' ? `status ${status}` : null, typeof batchRoot === 'string' ? `batch root ${short(batchRoot)}` : null, typeof txHash === 'string' ? `transaction ${short(txHash)}` : null].filter(Boolean)
  return { id: 'settlement', title: checkTitles.settlement!, status: 'skip', message: `The node reports this receipt's settlement as ${parts.join(', ') || 'present'}; this page does not check it on chain yet.` }
}

function headline(status: VerdictStatus, checks: DisplayCheck[], result: InferenceResult | null): string {
  const failed = checks.filter((c) => c.status === 'fail')
  if (status === 'failed') return `Not verified: ${failed.map((c) => c.title.toLowerCase()).join(', ')} failed. Do not rely on this output.`
  const who = result ? `node ${result.receipt.node} signed this output of model ${short(result.model)}` : 'the receipt is signed'
  if (status === 'incomplete' && checks.some((c) => c.id === 'mode' && c.status === 'skip' && /dev provider/.test(c.message))) {
    return `Partly verified: ${who}, but its TEE attestation comes from the dev provider, which proves nothing about the code that ran.`
  }
  if (status === 'incomplete') return `Partly verified: ${who}; ${checks.filter((c) => c.status === 'skip').map((c) => c.title.toLowerCase()).join(', ')} could not be checked here.`
  return `Verified in your browser: ${who}, and every check passed.`
}

/** The receipt's modelDigest for an LLM (@verity/llm-gateway llmModelDigest: sha256("verity-llm-model-v1\n" + "provider/model")). */
const llmModelDigest = (name: string): Hex => bytesToHex(sha256(new TextEncoder().encode(`verity-llm-model-v1\n${name}`)))

/**
 * A stored LLM receipt (model "llm:provider/model"): the node keeps no prompt or answer, so the page
 * re-checks what it can (id, model, signature, signer) and says what only the holder of the answer
 * can check (`verity verify` on the saved answer).
 */
function verifyLlmStored(value: StoredReceipt, options: VerifyForDisplayOptions): Verdict {
  const fail = (message: string): Verdict => {
    const checks: DisplayCheck[] = [{ id: 'format', title: checkTitles.format!, status: 'fail', message }]
    return { status: 'failed', headline: headline('failed', checks, null), checks, receiptId: null, signer: null }
  }
  const receipt = value.receipt
  try {
    assertReceipt(receipt)
  } catch (error) {
    return fail(`The receipt is malformed: ${(error as Error).message}.`)
  }
  const name = value.model.slice('llm:'.length)
  const id = receiptDigest(receipt)
  const signer = recoverReceiptSigner(receipt, value.signature)
  const pass = (ok: boolean): CheckStatus => (ok ? 'pass' : 'fail')
  const checks: DisplayCheck[] = [{ id: 'format', title: checkTitles.format!, status: 'pass', message: 'The receipt is well-formed.' }]
  if (options.expectedId !== undefined) {
    const ok = id === options.expectedId.toLowerCase()
    checks.push({ id: 'id', title: checkTitles.id!, status: pass(ok), message: ok ? `The receipt hashes to ${short(id)}, the id in this page's address.` : `The receipt hashes to ${short(id)}, not to the id ${short(options.expectedId)} in this page's address.` })
  }
  const modelOk = receipt.modelDigest === llmModelDigest(name)
  checks.push({ id: 'model', title: checkTitles.model!, status: pass(modelOk), message: modelOk ? `The receipt names the LLM ${name}.` : `The receipt's model digest is not the one of LLM ${name}.` })
  for (const [check, label] of [['input-hash', 'request'], ['output-hash', 'answer']] as const) {
    checks.push({ id: check, title: checkTitles[check]!, status: 'skip', message: `Nodes keep no LLM ${label}s: whoever holds the saved answer checks its hash with \`verity verify\`.` })
  }
  const sigOk = signer !== null && sameAddress(signer, receipt.node)
  checks.push({ id: 'signature', title: checkTitles.signature!, status: pass(sigOk), message: sigOk ? `Signed by node ${receipt.node}.` : `The signature does not recover to node ${receipt.node}.` })
  if (options.trustedSigners !== undefined) {
    const ok = signer !== null && options.trustedSigners.some((t) => sameAddress(t, signer))
    checks.push({ id: 'signer', title: checkTitles.signer!, status: pass(ok), message: ok ? `Node ${signer} is a signer you trust.` : `Node ${signer ?? 'unknown'} is not among the signers you trust.` })
  }
  checks.push({ id: 'mode', title: checkTitles.mode!, status: 'skip', message: `Mode ${receipt.mode}: proofHash ${short(receipt.proofHash)} names the node's TEE attestation; check it with \`verity verify\` on the saved answer.` })
  const status: VerdictStatus = checks.some((c) => c.status === 'fail') ? 'failed' : 'incomplete'
  const headlineText = status === 'failed'
    ? headline('failed', checks, null)
    : `Partly verified: node ${receipt.node} signed an answer of LLM ${name}; the request, answer and attestation are checked by whoever holds the saved answer.`
  return { status, headline: headlineText, checks, receiptId: id, signer: sigOk ? receipt.node : null }
}

/** A stored receipt as the result it was issued in: tensors the node did not keep are empty, the evidence as kept. */
function storedAsResult(value: StoredReceipt): InferenceResult {
  return {
    version: 1, model: value.model, input: value.input ?? {}, output: value.output ?? {}, receipt: value.receipt, signature: value.signature,
    ...(value.proof !== undefined && value.proof !== null ? { proof: value.proof } : {}),
  }
}

/** Re-runs every check on a saved result or a stored receipt, for display. Never throws on bad input. */
export function verifyForDisplay(value: unknown, options: VerifyForDisplayOptions = {}): Verdict {
  const stored = isStoredReceipt(value)
  if (stored && typeof value.model === 'string' && value.model.startsWith('llm:')) return verifyLlmStored(value, options)
  const result: InferenceResult | null = stored
    ? storedAsResult(value)
    : (value as InferenceResult | null)
  const verification = verifyInferenceResult(result, { trustedSigners: options.trustedSigners, expectedModel: options.expectedModel })
  const checks = verification.checks.map(display)

  if (stored) {
    for (const [id, present, label] of [['input-hash', value.input !== undefined, 'input'], ['output-hash', value.output !== undefined, 'output']] as const) {
      const c = checks.find((x) => x.id === id)
      if (c && !present) {
        c.status = 'skip'
        c.message = `The node did not keep this ${label} (too large to store with the receipt), so its hash ${short(id === 'input-hash' ? value.receipt.inputHash : value.receipt.outputHash)} cannot be recomputed here.`
      }
    }
  }
  if (options.expectedId !== undefined && verification.receiptId !== null) {
    const ok = verification.receiptId === options.expectedId.toLowerCase()
    checks.splice(1, 0, {
      id: 'id', title: checkTitles.id!, status: ok ? 'pass' : 'fail',
      message: ok ? `The receipt hashes to ${short(options.expectedId)}, the id in this page's address.` : `The receipt hashes to ${short(verification.receiptId)}, not to the id ${short(options.expectedId)} in this page's address.`,
    })
  }
  // A mode this browser has no checker for is not a failure of the node: it is a check not done here.
  const mode = checks.find((c) => c.id === 'mode')
  if (mode && mode.status === 'fail' && result?.receipt && result.receipt.mode !== 'VANILLA' && /has no \w+ checker/.test(mode.message)) {
    mode.status = 'skip'
    mode.message = `Mode ${result.receipt.mode}: this page cannot check ${result.receipt.mode} evidence yet; verify it with the CLI (\`verity verify\`).`
  }
  if (stored && mode && value.proof === undefined && result?.receipt.mode === 'TEE') {
    mode.message = 'Mode TEE: this node did not keep the attestation with the receipt (issued before it did, or too large). Open the saved result JSON on "Verify a result" to check the attestation in your browser.'
  }
  if (stored && mode && value.proof === undefined && result?.receipt.mode === 'ZKML') {
    mode.message = 'Mode ZKML: this node did not keep the proof with the receipt (issued before it did, or too large). Open the saved result JSON on "Verify a result" to check the Groth16 proof in your browser.'
  }
  const settlement = settlementCheck(value)
  if (settlement) checks.push(settlement)
  return finish(checks, result, verification.receiptId, verification.signer)
}

function finish(checks: DisplayCheck[], result: InferenceResult | null, receiptId: Hex | null, signer: Address | null): Verdict {
  const status: VerdictStatus = checks.some((c) => c.status === 'fail') ? 'failed' : checks.some((c) => c.status === 'skip') ? 'incomplete' : 'verified'
  return { status, headline: headline(status, checks, status === 'failed' ? null : result), checks, receiptId, signer }
}

/** The verdict with `extra` checks replacing those of the same id (or appended), status and headline recomputed. */
export function withChecks(verdict: Verdict, extra: readonly DisplayCheck[], result: InferenceResult | StoredReceipt): Verdict {
  const ids = new Set(extra.map((c) => c.id))
  const checks = [...verdict.checks.filter((c) => !ids.has(c.id)), ...extra]
  const r: InferenceResult = isStoredReceipt(result) ? { version: 1, model: result.model, input: {}, output: {}, receipt: result.receipt, signature: result.signature } : result
  const done = finish(checks, verdict.status === 'failed' ? null : r, verdict.receiptId, verdict.signer)
  return { ...done, ...(verdict.facts ? { facts: verdict.facts } : {}) }
}

const hasProof = (value: unknown): value is InferenceResult & { proof: object } =>
  typeof value === 'object' && value !== null && ['ZKML', 'TEE', 'QUORUM'].includes((value as InferenceResult).receipt?.mode) && typeof (value as InferenceResult).proof === 'object' && (value as InferenceResult).proof !== null

/**
 * verifyForDisplay, then the evidence checks that need more code or data: for a ZKML result with its
 * proof, the Groth16 proof and its commitments (the verifier is loaded only now, off the first load).
 */
export async function verifyWithEvidence(value: unknown, options: VerifyForDisplayOptions = {}): Promise<Verdict> {
  const verdict = verifyForDisplay(value, options)
  const stored = isStoredReceipt(value)
  if (stored && typeof value.model === 'string' && value.model.startsWith('llm:')) {
    // The node keeps an LLM receipt's attestation evidence (not its request or answer): check that much here.
    const result = storedAsResult(value)
    if (verdict.status === 'failed' || !hasProof(result) || result.receipt.mode !== 'TEE') return verdict
    const evidence = await import('./teeCheck.ts').then((m) => m.checkTeeInBrowser(result))
    const checks = verdict.checks.flatMap((c) => (c.id === 'mode' ? [evidence.mode, ...evidence.details] : [c]))
    const failed = checks.some((c) => c.status === 'fail')
    return {
      ...verdict, checks, status: failed ? 'failed' : 'incomplete',
      headline: failed ? headline('failed', checks, null) : `${verdict.headline.replace(/, the request, answer and attestation are checked by whoever holds the saved answer\.$/, '')}; its attestation is re-checked below; the request and answer are checked by whoever holds the saved answer.`,
      ...('facts' in evidence && evidence.facts ? { facts: evidence.facts as Array<[string, string]> } : {}),
    }
  }
  const result = stored ? storedAsResult(value) : value
  if (!hasProof(result)) return verdict
  const mode = result.receipt.mode
  // A ZK proof commits to the input and output: when the node kept only their hashes, it cannot be re-checked here.
  if (stored && mode === 'ZKML' && (value.input === undefined || value.output === undefined)) {
    return withMode(verdict, { id: 'mode', title: 'ZK proof', status: 'skip', message: 'Mode ZKML: the node kept the proof but not the full input or output (too large), and the proof commits to both; check the saved result JSON on "Verify a result" instead.' }, [], result)
  }
  const evidence = mode === 'ZKML'
    ? await import('./zkCheck.ts').then((m) => m.checkZkmlInBrowser(result))
    : mode === 'TEE' ? await import('./teeCheck.ts').then((m) => m.checkTeeInBrowser(result))
      : mode === 'QUORUM' ? checkQuorum(result) : null
  if (!evidence) return verdict
  return withMode(verdict, evidence.mode, evidence.details, result, 'facts' in evidence ? evidence.facts as Array<[string, string]> : undefined)
}

/** The QUORUM proof: every agreeing receipt re-checked here (signature, signer, same request and hashes). */
function checkQuorum(result: InferenceResult): { mode: DisplayCheck; details: DisplayCheck[] } {
  const outcome = quorumModeVerifier()(result)
  return { mode: { id: 'mode', title: 'Quorum of nodes', status: outcome.ok ? 'pass' : 'fail', message: outcome.message }, details: [] }
}

function withMode(verdict: Verdict, mode: DisplayCheck, details: DisplayCheck[], result: InferenceResult, facts?: Array<[string, string]>): Verdict {
  const checks = verdict.checks.flatMap((c) => (c.id === 'mode' ? [mode, ...details] : [c]))
  const done = finish(checks, null, verdict.receiptId, verdict.signer)
  return { ...done, headline: done.status === 'failed' ? done.headline : headline(done.status, checks, result), ...(facts ? { facts } : {}) }
}

/** Verifies pasted or dropped text: JSON that is not parseable fails the "Readable result" check. */
export async function verifyTextWithEvidence(text: string, options: VerifyForDisplayOptions = {}): Promise<Verdict & { value: unknown }> {
  const quick = verifyText(text, options)
  return quick.value === null ? quick : { ...(await verifyWithEvidence(quick.value, options)), value: quick.value }
}

/** Verifies pasted or dropped text: JSON that is not parseable fails the "Readable result" check. */
export function verifyText(text: string, options: VerifyForDisplayOptions = {}): Verdict & { value: unknown } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const checks: DisplayCheck[] = [{ id: 'format', title: checkTitles.format!, status: 'fail', message: `The text is not JSON: ${(error as Error).message}.` }]
    return { status: 'failed', headline: headline('failed', checks, null), checks, receiptId: null, signer: null, value: null }
  }
  return { ...verifyForDisplay(value, options), value }
}

/** True when `address` is the node serving the page. */
export function isThisNode(address: string | null, nodeAddress: string | undefined): boolean {
  return address !== null && nodeAddress !== undefined && sameAddress(address, nodeAddress)
}

export { receiptDigest }
