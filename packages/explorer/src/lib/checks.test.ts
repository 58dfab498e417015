import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  cidForBytes, cidDigest, generatePrivateKey, hashTensorSet, privateKeyToAddress, receiptDigest, signReceipt, tensorMapFromJson, ZERO_HASH,
  type InferenceResult, type Receipt, type StoredReceipt, type TensorMapJson,
} from '@verity/protocol'
import { verifyForDisplay, verifyText, verifyWithEvidence } from './checks.ts'
import { attestationDigest, bindingFor, createDevAttester } from '@verity/tee'

const key = generatePrivateKey()
const node = privateKeyToAddress(key)
const model = cidForBytes(new TextEncoder().encode('a model'))
const input: TensorMapJson = { input: { dtype: 'float32', shape: [1, 2], data: [0.5, -1] } }
const output: TensorMapJson = { output: { dtype: 'float32', shape: [1, 1], data: [0.25] } }

function signed(mode: Receipt['mode'] = 'VANILLA'): InferenceResult {
  const receipt: Receipt = {
    requestId: `0x${'11'.repeat(32)}`, modelDigest: cidDigest(model), inputHash: hashTensorSet(tensorMapFromJson(input)), outputHash: hashTensorSet(tensorMapFromJson(output)),
    mode, proofHash: mode === 'VANILLA' ? ZERO_HASH : `0x${'22'.repeat(32)}`, node, timestamp: 1_700_000_000, chainId: 31337,
  }
  return { version: 1, model, input, output, receipt, signature: signReceipt(receipt, key) }
}

const status = (v: ReturnType<typeof verifyForDisplay>) => Object.fromEntries(v.checks.map((c) => [c.id, c.status]))

test('a genuine result is verified, each check named in plain words', () => {
  const v = verifyForDisplay(signed(), { trustedSigners: [node], expectedModel: model })
  assert.equal(v.status, 'verified')
  assert.deepEqual(status(v), { format: 'pass', model: 'pass', 'input-hash': 'pass', 'output-hash': 'pass', signature: 'pass', signer: 'pass', mode: 'pass' })
  assert.deepEqual(v.checks.map((c) => c.title), ['Readable result', 'Which model', 'Input recomputed', 'Output recomputed', 'Who signed', 'Signer you trust', 'Proof, attestation or quorum'])
  assert.match(v.headline, /^Verified in your browser: node 0x/)
  assert.equal(v.signer, node)
})

test('a changed output fails the output check by name, and the verdict says so', () => {
  const r = signed()
  ;(r.output.output as { data: unknown[] }).data[0] = 0.75
  const v = verifyForDisplay(r)
  assert.equal(v.status, 'failed')
  assert.equal(status(v)['output-hash'], 'fail')
  assert.equal(status(v)['input-hash'], 'pass')
  assert.match(v.checks.find((c) => c.id === 'output-hash')!.message, /the output was changed after signing/)
  assert.match(v.headline, /Not verified: output recomputed failed/)
})

test('a changed receipt field breaks the signature; an untrusted signer fails the signer check', () => {
  const r = signed()
  r.receipt.timestamp += 1
  assert.equal(status(verifyForDisplay(r)).signature, 'fail')
  const other = privateKeyToAddress(generatePrivateKey())
  const v = verifyForDisplay(signed(), { trustedSigners: [other] })
  assert.equal(status(v).signer, 'fail')
  assert.equal(v.status, 'failed')
})

test('stored receipts: the id must match the URL; missing tensors are "not checked here", not failures', () => {
  const r = signed()
  const id = receiptDigest(r.receipt)
  const stored: StoredReceipt = { id, model, receipt: r.receipt, signature: r.signature, createdAt: new Date().toISOString(), input, output }
  const full = verifyForDisplay(stored, { expectedId: id })
  assert.equal(full.status, 'verified')
  assert.equal(full.checks[1]!.id, 'id')
  assert.equal(verifyForDisplay(stored, { expectedId: `0x${'ab'.repeat(32)}` }).status, 'failed')
  const { output: _, ...withoutOutput } = stored
  const partial = verifyForDisplay(withoutOutput, { expectedId: id })
  assert.equal(partial.status, 'incomplete')
  assert.equal(status(partial)['output-hash'], 'skip')
  assert.match(partial.checks.find((c) => c.id === 'output-hash')!.message, /did not keep this output/)
  assert.match(partial.headline, /^Partly verified/)
})

test('modes this browser cannot check are reported as not checked, and settlement is shown when present', () => {
  const v = verifyForDisplay({ ...signed('TEE'), settlement: { status: 'settled', batchRoot: `0x${'33'.repeat(32)}` } })
  assert.equal(status(v).mode, 'skip')
  assert.match(v.checks.find((c) => c.id === 'mode')!.message, /cannot check TEE evidence yet/)
  assert.equal(status(v).settlement, 'skip')
  assert.match(v.checks.find((c) => c.id === 'settlement')!.message, /status settled, batch root 0x33333333/)
  assert.equal(v.status, 'incomplete')
  // A VANILLA receipt carrying a proof hash is a failure, not a gap.
  const r = signed()
  r.receipt.proofHash = `0x${'44'.repeat(32)}`
  r.signature = signReceipt(r.receipt, key)
  assert.equal(status(verifyForDisplay(r)).mode, 'fail')
})

test('verifyText: non-JSON and non-results fail the "Readable result" check', () => {
  const notJson = verifyText('{"version": 1,')
  assert.equal(notJson.status, 'failed')
  assert.deepEqual(notJson.checks.map((c) => [c.title, c.status]), [['Readable result', 'fail']])
  assert.match(notJson.checks[0]!.message, /The text is not JSON/)
  assert.equal(verifyText('42').checks[0]!.status, 'fail')
  assert.equal(verifyText(JSON.stringify(signed())).status, 'verified')
})

test('a stored LLM receipt: id, model, signature re-checked; request, answer and attestation left to the holder of the answer', async () => {
  const { llmModelDigest } = await import('@verity/llm-gateway')
  const receipt: Receipt = {
    requestId: `0x${'33'.repeat(32)}`, modelDigest: llmModelDigest('acme/small-model'), inputHash: `0x${'44'.repeat(32)}`, outputHash: `0x${'55'.repeat(32)}`,
    mode: 'TEE', proofHash: `0x${'66'.repeat(32)}`, node, timestamp: 1_700_000_000, chainId: 31337,
  }
  const id = receiptDigest(receipt)
  const stored: StoredReceipt = { id, model: 'llm:acme/small-model', receipt, signature: signReceipt(receipt, key), createdAt: new Date(0).toISOString() }
  const v = verifyForDisplay(stored, { expectedId: id, trustedSigners: [node] })
  assert.equal(v.status, 'incomplete')
  assert.deepEqual(status(v), { format: 'pass', id: 'pass', model: 'pass', 'input-hash': 'skip', 'output-hash': 'skip', signature: 'pass', signer: 'pass', mode: 'skip' })
  assert.match(v.headline, /^Partly verified: node 0x[0-9a-fA-F]{40} signed an answer of LLM acme\/small-model/)
  assert.equal(status(verifyForDisplay({ ...stored, model: 'llm:acme/other' })).model, 'fail')
  assert.equal(verifyForDisplay({ ...stored, signature: signReceipt(receipt, generatePrivateKey()) }).status, 'failed')
})

test('a stored LLM receipt with its kept attestation evidence has the attestation re-checked in the page', async () => {
  const { llmModelDigest } = await import('@verity/llm-gateway')
  const evidence = createDevAttester().attest(bindingFor(node), 1_700_000_000_000)
  const receipt: Receipt = {
    requestId: `0x${'33'.repeat(32)}`, modelDigest: llmModelDigest('acme/small-model'), inputHash: `0x${'44'.repeat(32)}`, outputHash: `0x${'55'.repeat(32)}`,
    mode: 'TEE', proofHash: attestationDigest(evidence), node, timestamp: 1_700_000_000, chainId: 31337,
  }
  const id = receiptDigest(receipt)
  const stored: StoredReceipt = { id, model: 'llm:acme/small-model', receipt, signature: signReceipt(receipt, key), createdAt: new Date(0).toISOString(), proof: evidence }
  const v = await verifyWithEvidence(stored, { expectedId: id })
  assert.equal(v.status, 'incomplete')
  assert.equal(status(v)['tee-signature'], 'pass')
  assert.equal(status(v)['input-hash'], 'skip')
  assert.match(v.checks.find((c) => c.id === 'mode')!.message, /proves NOTHING/)
  assert.match(v.headline, /attestation is re-checked below/)
  const altered = await verifyWithEvidence({ ...stored, proof: { ...evidence, reportData: `0x${'ab'.repeat(32)}` } }, { expectedId: id })
  assert.equal(altered.status, 'failed')
  assert.match(altered.checks.find((c) => c.id === 'mode')!.message, /not the one the receipt's proofHash commits to/)
})

test('a stored TEE receipt with its kept attestation is re-checked from the receipt alone; without it, the page says why not', async () => {
  const evidence = createDevAttester().attest(bindingFor(node), 1_700_000_000_000)
  const receipt: Receipt = { ...signed().receipt, mode: 'TEE', proofHash: attestationDigest(evidence) }
  const id = receiptDigest(receipt)
  const stored: StoredReceipt = { id, model, receipt, signature: signReceipt(receipt, key), createdAt: '2023-11-14T22:13:20.000Z', input, output, proof: evidence }
  const v = await verifyWithEvidence(stored, { expectedId: id, trustedSigners: [node] })
  assert.equal(v.status, 'incomplete')
  assert.equal(status(v)['tee-signature'], 'pass')
  assert.match(v.checks.find((c) => c.id === 'mode')!.message, /proves NOTHING/)
  const altered = await verifyWithEvidence({ ...stored, proof: { ...evidence, reportData: `0x${'ab'.repeat(32)}` } }, { expectedId: id })
  assert.equal(altered.status, 'failed')
  assert.match(altered.checks.find((c) => c.id === 'mode')!.message, /not the one the receipt's proofHash commits to/)
  const { proof: _, ...withoutProof } = stored
  const bare = await verifyWithEvidence(withoutProof, { expectedId: id })
  assert.equal(status(bare).mode, 'skip')
  assert.match(bare.checks.find((c) => c.id === 'mode')!.message, /did not keep the attestation/)
})

test('a stored ZKML receipt whose input the node did not keep is not re-proven, and says so', async () => {
  const r = signed('ZKML')
  const stored: StoredReceipt = { id: receiptDigest(r.receipt), model, receipt: r.receipt, signature: r.signature, createdAt: '2023-11-14T22:13:20.000Z', output, proof: { system: 'groth16-bn254' } }
  const v = await verifyWithEvidence(stored)
  assert.equal(status(v).mode, 'skip')
  assert.match(v.checks.find((c) => c.id === 'mode')!.message, /proof commits to both/)
})

test('a QUORUM result: every agreeing receipt is re-checked in the page; a forged vote fails the quorum check by name', async () => {
  const top = signed('QUORUM')
  const otherKey = generatePrivateKey()
  const otherReceipt: Receipt = { ...top.receipt, node: privateKeyToAddress(otherKey), proofHash: top.receipt.proofHash }
  const votes = [
    { receipt: top.receipt, signature: top.signature, node: top.receipt.node },
    { receipt: otherReceipt, signature: signReceipt(otherReceipt, otherKey), node: otherReceipt.node },
  ]
  const result: InferenceResult = { ...top, proof: { kind: 'quorum', k: 2, receipts: votes } }
  const v = await verifyWithEvidence(result, { trustedSigners: [node] })
  assert.equal(status(v).mode, 'pass')
  assert.match(v.checks.find((c) => c.id === 'mode')!.message, /Mode QUORUM: 2 distinct nodes \(k = 2\)/)
  const forged = { ...result, proof: { kind: 'quorum', k: 2, receipts: [votes[0], { ...votes[1]!, signature: signReceipt(otherReceipt, generatePrivateKey()) }] } }
  const bad = await verifyWithEvidence(forged, { trustedSigners: [node] })
  assert.equal(bad.status, 'failed')
  assert.match(bad.checks.find((c) => c.id === 'mode')!.message, /Quorum receipt 2: the signature does not recover/)
})
